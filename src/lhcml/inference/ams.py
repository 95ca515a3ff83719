"""The HiggsML Approximate Median Significance and the cut scan that maximises it.

    AMS = sqrt(2 ((s + b + b_r) ln(1 + s / (b + b_r)) - s))

(Adam-Bourdarios et al., HiggsML challenge 2014) with ``s`` and ``b`` the expected signal
and background yields passing the cut in the W/Z mass window and the regularisation term
``b_r = 10``, which keeps the optimiser away from cuts with almost no background. For
``s << b`` it tends to ``s / sqrt(b + b_r)``.

The scan runs on the template split (not the pseudo-data), with yield weights at the
configured luminosity (:mod:`.yields`). Cuts are placed at signal-efficiency quantiles of
the score of W/Z jets in the window; a cut is *eligible* only if at least
``min_background_jets`` simulated background jets pass it in the window, so that the
estimate of ``b`` is not a fluctuation of a handful of heavily weighted QCD jets (each
QCD jet carries ~10^5 jets at 138 fb^-1).
"""

from __future__ import annotations

import numpy as np

from lhcml.inference.pseudodata import jet_yields


def ams(s, b, b_r: float = 10.0):
    """AMS of signal ``s`` over background ``b`` (arrays broadcast; s, b + b_r > 0)."""
    s = np.asarray(s, np.float64)
    d = np.asarray(b, np.float64) + b_r
    if np.any(d <= 0) or np.any(s < 0):
        raise ValueError("AMS needs s >= 0 and b + b_r > 0")
    return np.sqrt(np.maximum(2.0 * ((s + d) * np.log1p(s / d) - s), 0.0))


def signal_quantile_cuts(score_sig: np.ndarray, weight_sig: np.ndarray, efficiencies) -> np.ndarray:
    """Thresholds ``t`` with weighted fraction ``eps`` of the signal at ``score >= t``."""
    order = np.argsort(score_sig)[::-1]
    s, w = np.asarray(score_sig)[order], np.asarray(weight_sig, np.float64)[order]
    cum = np.cumsum(w) / w.sum()
    idx = np.searchsorted(cum, np.asarray(efficiencies, np.float64) - 1e-12)
    return s[np.minimum(idx, len(s) - 1)]


def scan(
    score: np.ndarray,
    yield_weight: np.ndarray,
    signal: np.ndarray,
    msd: np.ndarray,
    window: tuple[float, float],
    efficiencies,
    b_r: float = 10.0,
    min_background_jets: int = 20,
) -> dict:
    """AMS for cuts ``score >= t`` at the signal efficiencies ``efficiencies`` in the window.

    Returns the scan (thresholds, efficiencies, s, b and their MC statistical errors,
    simulated background jets passing, AMS, eligibility) and the best eligible cut.
    Raises ValueError if the window holds no signal or no cut is eligible.
    """
    score = np.asarray(score, np.float64)
    w = np.asarray(yield_weight, np.float64)
    signal = np.asarray(signal, bool)
    in_win = (np.asarray(msd) >= window[0]) & (np.asarray(msd) < window[1])
    sig, bkg = in_win & signal, in_win & ~signal
    if not sig.any() or w[sig].sum() <= 0:
        raise ValueError(f"no signal jets in the mass window {list(window)} GeV")
    cuts = signal_quantile_cuts(score[sig], w[sig], efficiencies)
    passed = score[None, :] >= cuts[:, None]
    s = (passed & sig) @ w
    b = (passed & bkg) @ w
    s_err = np.sqrt((passed & sig) @ w**2)
    b_err = np.sqrt((passed & bkg) @ w**2)
    n_b = (passed & bkg).sum(axis=1)
    values = ams(s, b, b_r)
    eligible = n_b >= min_background_jets
    if not eligible.any():
        raise ValueError(
            f"no cut leaves {min_background_jets} simulated background jets in the mass window "
            f"{list(window)} GeV (inference.ams.min_background_jets)"
        )
    best = int(np.flatnonzero(eligible)[np.argmax(values[eligible])])
    b_tot, s_tot = w[bkg].sum(), w[sig].sum()
    return {
        "threshold": float(cuts[best]),
        "ams": float(values[best]),
        "s": float(s[best]),
        "b": float(b[best]),
        "s_err": float(s_err[best]),
        "b_err": float(b_err[best]),
        "eps_s": float(s[best] / s_tot),
        "eps_b": float(b[best] / b_tot) if b_tot > 0 else None,
        "background_jets": int(n_b[best]),
        "scan": {
            "threshold": cuts.tolist(),
            "eps_s": (s / s_tot).tolist(),
            "s": s.tolist(),
            "b": b.tolist(),
            "s_err": s_err.tolist(),
            "b_err": b_err.tolist(),
            "background_jets": n_b.tolist(),
            "ams": values.tolist(),
            "eligible": eligible.tolist(),
        },
    }


def ams_of_scores(
    features: dict,
    score,
    meta: dict,
    lumi_fb: float,
    window,
    efficiencies,
    b_r: float,
    min_background_jets: int,
) -> dict:
    """The AMS scan (:func:`scan`) of ``score`` on the feature columns
    ``features`` (:func:`.inputs.read_features`), with yields at ``lumi_fb`` from the
    pseudo-data bookkeeping ``meta``. Raises ValueError if no cut is eligible."""
    signal, yw = jet_yields(features, meta, lumi_fb)
    result = scan(
        score,
        yw,
        signal,
        features["msd"],
        tuple(window),
        efficiencies,
        b_r=b_r,
        min_background_jets=min_background_jets,
    )
    return {"lumi_fb": lumi_fb, "b_r": b_r, "window": list(window), **result}
