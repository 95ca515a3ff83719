"""Mass sculpting metric: Jensen-Shannon divergence of the QCD m_SD spectra, and R50.

Conventions (as in the decorrelation literature, e.g. Kasieczka & Shih 2020)
-----------------------------------------------------------------------------
* The cut is the one keeping 50% of the (physics-weighted) signal,
  ``score >= threshold_at_50`` as in :mod:`lhcml.taggers.metrics`.
* The QCD jets (``y = 0``) passing and failing that cut are histogrammed in m_SD with the
  configured bin edges (GeV; jets outside the edges are not counted), weighted with the
  physics weights and normalised to unit sum.
* JSD(P, F) = 1/2 KL(P || M) + 1/2 KL(F || M), M = (P + F) / 2, with log base 2, so
  0 <= JSD <= 1: 0 for identical spectra (no sculpting), 1 for disjoint ones. The quoted
  figure of merit is 1/JSD (larger = better decorrelated), beside R50 = 1/eps_B.
* Uncertainties: the Poisson bootstrap of :mod:`lhcml.taggers.metrics` (same seed, same
  replicas, so R50 and its error equal those of the tagger metrics); in each replica the
  cut is re-derived and both R50 and the JSD are recomputed. Finite statistics bias the
  JSD upwards (two samples of one spectrum still differ by fluctuations): with N_pass
  passing QCD jets in k bins the floor is roughly (k - 1) / (8 ln2 N_pass).
  :func:`random_cut_jsd` measures it: the mean JSD of random cuts that pass the same
  QCD fraction as the tagger (a cut that knows nothing of the mass); a tagger cannot be
  shown to sculpt less than that, so 1/JSD is bounded by its inverse at that efficiency.
"""

from __future__ import annotations

import math

import numpy as np

from lhcml.taggers.metrics import auc_from_curve, eps_b_at, rejection, roc_curve


def bin_edges(binning: dict) -> np.ndarray:
    """Edges (GeV) from the config mapping ``{min, max, bins}`` (uniform bins)."""
    lo, hi, n = float(binning["min"]), float(binning["max"]), int(binning["bins"])
    if not (hi > lo and n >= 1):
        raise ValueError(f"bad m_SD binning {binning}: need max > min and bins >= 1")
    return np.linspace(lo, hi, n + 1)


def jensen_shannon(p, q) -> float:
    """JSD (log base 2) between two histograms, each normalised here to unit sum.

    Returns NaN if either histogram is empty.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in shape: {p.shape} vs {q.shape}")
    if p.sum() <= 0 or q.sum() <= 0:
        return math.nan
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))


def mass_jsd(msd, passing, weight, edges) -> float:
    """JSD between the weighted m_SD histograms of the passing and the failing jets."""
    msd = np.asarray(msd, dtype=np.float64)
    passing = np.asarray(passing, dtype=bool)
    weight = np.asarray(weight, dtype=np.float64)
    h_pass, _ = np.histogram(msd[passing], bins=edges, weights=weight[passing])
    h_fail, _ = np.histogram(msd[~passing], bins=edges, weights=weight[~passing])
    return jensen_shannon(h_pass, h_fail)


def inverse(jsd: float) -> float:
    """1/JSD (inf for 0, NaN for NaN)."""
    if math.isnan(jsd):
        return math.nan
    return math.inf if jsd <= 0 else 1.0 / jsd


def _cut_at(eps, thresholds, target: float) -> float:
    """The loosest threshold whose efficiency ``eps`` reaches ``target`` (ROC arrays)."""
    return float(thresholds[min(int(np.searchsorted(eps, target, side="left")), len(eps) - 1)])


def _point(y, score, msd, weight, edges, signal_efficiency):
    """AUC, eps_B, the cut and the JSD for one set of weights."""
    eps_s, eps_b, thresholds = roc_curve(y, score, weight)
    threshold = _cut_at(eps_s, thresholds, signal_efficiency)
    qcd = y == 0
    jsd = mass_jsd(msd[qcd], score[qcd] >= threshold, weight[qcd], edges)
    return auc_from_curve(eps_s, eps_b), eps_b_at(eps_s, eps_b, signal_efficiency), threshold, jsd


#: Random cuts averaged by :func:`random_cut_jsd`.
RANDOM_CUTS = 20


def random_cut_jsd(msd, passing, weight, edges, seed: int = 0, n_cuts: int = RANDOM_CUTS):
    """Mean JSD of ``n_cuts`` random cuts passing as many jets as ``passing`` does.

    Each cut passes a random subset (seeded) of the same number of jets, so its pass and
    fail spectra differ only by statistical fluctuations: the finite-statistics floor of
    :func:`mass_jsd` at that efficiency, with these weights. NaN with no jet passing.
    """
    msd = np.asarray(msd, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    n_pass = int(np.count_nonzero(passing))
    if n_pass == 0 or n_pass == len(msd):
        return math.nan
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_cuts):
        cut = np.zeros(len(msd), dtype=bool)
        cut[rng.choice(len(msd), n_pass, replace=False)] = True
        values.append(mass_jsd(msd, cut, weight, edges))
    return float(np.mean(values))


def _std(values) -> float | None:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(np.std(finite, ddof=1)) if len(finite) > 1 else None


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def decorrelation_metrics(
    y,
    score,
    msd,
    weight,
    edges,
    n_bootstrap: int = 0,
    seed: int = 0,
    signal_efficiency: float = 0.5,
) -> dict:
    """AUC, R50, JSD and 1/JSD at the cut keeping ``signal_efficiency`` of the signal.

    ``y`` (1 signal, 0 QCD; other jets are ignored), ``score`` (higher = more signal-like),
    ``msd`` (GeV), ``weight`` (physics weights), ``edges`` (m_SD bin edges, GeV). Errors
    are standard deviations over ``n_bootstrap`` Poisson replicas (None without); infinite
    R50 or 1/JSD replicas are left out of the spread. Infinite values are reported as None.
    ``jsd_random_cut`` (and its inverse) is the finite-statistics floor at the same QCD
    efficiency (:func:`random_cut_jsd`).
    """
    y = np.asarray(y)
    keep = (y == 0) | (y == 1)
    y = y[keep]
    score = np.asarray(score, dtype=np.float64)[keep]
    msd = np.asarray(msd, dtype=np.float64)[keep]
    weight = np.asarray(weight, dtype=np.float64)[keep]
    edges = np.asarray(edges, dtype=np.float64)
    auc, eps_b, threshold, jsd = _point(y, score, msd, weight, edges, signal_efficiency)
    out = {
        "auc": auc,
        "r50": _finite_or_none(rejection(eps_b)),
        "eps_b_at_50": eps_b,
        "threshold_at_50": threshold,
        "jsd": _finite_or_none(jsd),
        "inv_jsd": _finite_or_none(inverse(jsd)),
        "auc_err": None,
        "r50_err": None,
        "jsd_err": None,
        "inv_jsd_err": None,
        "bootstrap": int(n_bootstrap),
    }
    qcd = y == 0
    floor = random_cut_jsd(msd[qcd], score[qcd] >= threshold, weight[qcd], edges, seed)
    out["jsd_random_cut"] = _finite_or_none(floor)
    out["inv_jsd_random_cut"] = _finite_or_none(inverse(floor))
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)  # the replicas of lhcml.taggers.metrics.evaluate
        reps = []
        for _ in range(n_bootstrap):
            w = weight * rng.poisson(1.0, size=len(weight))
            a, eb, _, j = _point(y, score, msd, w, edges, signal_efficiency)
            reps.append((a, rejection(eb), j, inverse(j)))
        aucs, r50s, jsds, inv = np.asarray(reps).T
        out["auc_err"] = float(np.std(aucs, ddof=1)) if n_bootstrap > 1 else 0.0
        out["r50_err"] = _std(r50s)
        out["jsd_err"] = _std(jsds)
        out["inv_jsd_err"] = _std(inv)
    return out


def thresholds_at_background_efficiency(y, score, weight, efficiencies) -> dict[float, float]:
    """The loosest cut ``score >= t`` passing at least each QCD efficiency (physics weights)."""
    eps_s, eps_b, thresholds = roc_curve(y, score, weight)
    del eps_s
    return {float(e): _cut_at(eps_b, thresholds, float(e)) for e in efficiencies}


def jsd_at_background_efficiencies(y, score, msd, weight, edges, efficiencies) -> dict:
    """``{efficiency: JSD}`` of the QCD mass spectra passing/failing cuts at fixed eps_B."""
    y = np.asarray(y)
    score = np.asarray(score, dtype=np.float64)
    cuts = thresholds_at_background_efficiency(y, score, weight, efficiencies)
    qcd = y == 0
    msd, w = np.asarray(msd, np.float64)[qcd], np.asarray(weight, np.float64)[qcd]
    return {e: mass_jsd(msd, score[qcd] >= t, w, edges) for e, t in cuts.items()}
