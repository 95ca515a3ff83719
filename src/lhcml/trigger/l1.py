"""L1 rate of a jet trigger on the emulated tagger, and the W/Z efficiency at a fixed rate.

The L1 seed: the leading large-R jet has ``pt > pt_threshold`` (GeV) and the emulated
tagger's W/Z score ``p_W + p_Z`` (the sum of the two softmax outputs) is above a threshold
``t``.

Rate. QCD multijet production dominates the rate. The QCD sample was generated with
cross section ``sigma`` (Pythia's estimate for its pT-hat range; the skim cutflow's
``xsec_pb``) in ``N_gen`` events. At instantaneous luminosity ``L`` and bunch-crossing
frequency ``f_BX`` (40 MHz), a crossing holds on average ``mu = L sigma / f_BX`` QCD
interactions of the generated phase space; with ``eps`` the fraction of generated events
that fire, the number firing per crossing is Poisson with mean ``mu eps``, and the rate is

    R = f_BX * (1 - exp(-L * sigma * eps / f_BX))   (~ L * sigma * eps when small)

(:func:`l1_rate`). ``eps`` is estimated from the trigger test split (:func:`qcd_weights`):
each gluon (quark) test jet stands for ``N_c(skim) / N_c(test)`` skimmed QCD events of its
class, so ``eps = sum over passing test jets of N_c(skim) / (N_c(test) N_gen)``.

Assumptions (written to the results): only the generated phase space counts (pT-hat above
the generator cut, so ``pt_threshold`` should lie above it, where the sample is complete);
the L1 jet is the offline leading large-R jet of the skim (no L1 calorimeter resolution,
no pile-up), so events that fail the skim (``|eta|``, the soft-drop mass window) and QCD
jets without a gluon or quark label never fire (their share of the skim is given as
``unlabelled_fraction``); W/Z, top and other processes add to the rate and are neglected.

Efficiency: the fraction of the W and Z test jets with ``pt > pt_threshold`` and score
above the threshold that gives the target rate (:func:`threshold_at_rate`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

PB_TO_CM2 = 1.0e-36
DEFAULT_L1 = {
    "pt_threshold": 400.0,
    "luminosity_cm2s": 2.0e34,
    "bunch_crossing_mhz": 40.0,
    "target_rate_khz": 0.005,
    "signal_classes": ["W", "Z"],
    "background_classes": ["gluon", "quark"],
}


def l1_rate(
    eps: np.ndarray | float, sigma_pb: float, luminosity_cm2s: float, bunch_crossing_hz: float
) -> np.ndarray | float:
    """Rate in Hz of a trigger firing on a fraction ``eps`` of the generated QCD events."""
    if sigma_pb <= 0 or luminosity_cm2s <= 0 or bunch_crossing_hz <= 0:
        raise ValueError(
            f"sigma_pb, luminosity_cm2s and bunch_crossing_hz must be > 0, got "
            f"{sigma_pb}, {luminosity_cm2s}, {bunch_crossing_hz}"
        )
    mu = luminosity_cm2s * sigma_pb * PB_TO_CM2 / bunch_crossing_hz
    return bunch_crossing_hz * -np.expm1(-mu * np.asarray(eps, dtype=np.float64))


def qcd_weights(
    classes: np.ndarray, skim_counts: Mapping[str, int], n_generated: int, background_classes
) -> np.ndarray:
    """Per test jet: the fraction of generated QCD events it stands for (0 for non-QCD).

    ``classes`` are the test jets' class names; ``skim_counts`` the number of skimmed QCD
    events per class (before the per-class cap of the trigger data set).
    """
    classes = np.asarray(classes, dtype=object)
    w = np.zeros(len(classes), dtype=np.float64)
    if n_generated <= 0:
        raise ValueError(f"n_generated must be > 0, got {n_generated}")
    for c in background_classes:
        sel = classes == c
        if sel.any():
            w[sel] = skim_counts[c] / (sel.sum() * n_generated)
    return w


def rate_curve(
    score: np.ndarray,
    passes_pt: np.ndarray,
    weight: np.ndarray,
    sigma_pb: float,
    luminosity_cm2s: float,
    bunch_crossing_hz: float,
):
    """``(thresholds, rates_hz)``: the rate when keeping ``score >= thresholds[k]``,
    thresholds descending over the distinct scores of the QCD jets passing the pT cut."""
    sel = passes_pt & (weight > 0)
    s, w = np.asarray(score)[sel], np.asarray(weight)[sel]
    order = np.argsort(-s, kind="stable")
    s, eps = s[order], np.cumsum(w[order])
    last = np.r_[s[1:] != s[:-1], True]  # keep the last of equal scores (ties pass together)
    return s[last], l1_rate(eps[last], sigma_pb, luminosity_cm2s, bunch_crossing_hz)


def threshold_at_rate(thresholds: np.ndarray, rates: np.ndarray, target_hz: float) -> float:
    """Lowest threshold whose rate is at most ``target_hz`` (``inf`` when even the highest
    scoring QCD jet alone exceeds it; ``-inf`` when the pT cut alone stays below it)."""
    ok = np.flatnonzero(rates <= target_hz)
    if len(ok) == 0:
        return math.inf
    if ok[-1] == len(rates) - 1:
        return -math.inf
    return float(thresholds[ok[-1]])


def efficiency(
    score: np.ndarray, passes_pt: np.ndarray, signal: np.ndarray, threshold: float
) -> float:
    """Fraction of the signal jets with ``pt`` above the L1 cut and ``score >= threshold``."""
    signal = np.asarray(signal, dtype=bool)
    if not signal.any():
        raise ValueError("no signal jets in the test split")
    fired = passes_pt & (np.asarray(score) >= threshold)
    return float(fired[signal].mean())


def evaluate_tagger(score, pt, classes, weight, params, sigma_pb) -> dict:
    """Rate and efficiency summary of one tagger's W/Z score (see the module docstring)."""
    p = {**DEFAULT_L1, **params}
    f_bx = float(p["bunch_crossing_mhz"]) * 1e6
    lumi = float(p["luminosity_cm2s"])
    passes_pt = np.asarray(pt) > float(p["pt_threshold"])
    signal = np.isin(np.asarray(classes, dtype=object), list(p["signal_classes"]))
    thr, rates = rate_curve(score, passes_pt, weight, sigma_pb, lumi, f_bx)
    target = float(p["target_rate_khz"]) * 1e3
    t = threshold_at_rate(thr, rates, target)
    pt_only = float(l1_rate(np.sum(weight[passes_pt]), sigma_pb, lumi, f_bx))
    return {
        "threshold": t,
        "rate_khz": float(
            l1_rate(np.sum(weight[passes_pt & (np.asarray(score) >= t)]), sigma_pb, lumi, f_bx)
        )
        / 1e3,
        "signal_efficiency": efficiency(score, passes_pt, signal, t),
        "pt_only_rate_khz": pt_only / 1e3,
        "pt_only_signal_efficiency": efficiency(score, passes_pt, signal, -math.inf),
        "curve": {
            "threshold": thr.tolist(),
            "rate_khz": (rates / 1e3).tolist(),
            "signal_efficiency": [efficiency(score, passes_pt, signal, x) for x in thr],
        },
    }
