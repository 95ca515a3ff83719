"""Designed decorrelated taggers (DDT; Dolen et al., JHEP 05 (2016) 156; CMS N2^DDT).

A tagger score s (higher = more W/Z-like: -tau21, or the BDT score) is shifted by its
QCD quantile as a function of the scaling variable rho = ln(m_SD^2 / pT^2) and of pT:

    s_DDT = s - X_eps(rho, pT),

where X_eps is the threshold that a fraction eps of the (physics-weighted) QCD jets of
the training split exceeds at that (rho, pT). The cut s_DDT >= 0 then keeps the same QCD
fraction at every mass (for a pT bin, rho maps to m_SD), so it leaves the QCD mass
spectrum unsculpted at that working point. The design point eps is either given
(``qcd_efficiency``) or, by default, found by bisection such that s_DDT >= 0 keeps
``signal_efficiency`` (0.5: the working point of R50 and the JSD) of the training split's
signal. rho and pT enter only through the map; the mass is not a tagger input.

The map: ``pt_bins`` pT bins of equal QCD population; within each, ``rho_bins`` rho bins
of equal population, each with its weighted-median rho and its threshold X_eps. X_eps is
interpolated linearly in rho between bin medians (constant beyond the outer ones) and
piecewise constant in pT. The base score of a jet comes from the taggers stage
(``results/scores/{base}/{split}.parquet``).
"""

from __future__ import annotations

import json
import logging
import math

import numpy as np

from lhcml.io import atomic_path

log = logging.getLogger("lhcml.decorrelation.ddt")

KIND = "ddt"
MODEL_FILE = "model.json"

DEFAULTS = {"rho_bins": 12, "pt_bins": 3, "qcd_efficiency": None, "signal_efficiency": 0.5}

#: Bisection steps (in log QCD efficiency) for the design point.
BISECTION_STEPS = 30


def weighted_quantile(values, weight, q) -> np.ndarray:
    """Quantiles ``q`` (array in [0, 1]) of weighted values (inverse of the weighted CDF).

    The quantile is the smallest value whose cumulative weight fraction reaches q.
    """
    v, w = np.asarray(values, np.float64), np.asarray(weight, np.float64)
    order = np.argsort(v, kind="stable")
    v, cdf = v[order], np.cumsum(w[order])
    cdf = cdf / cdf[-1]
    q = np.atleast_1d(np.asarray(q, np.float64))
    return v[np.searchsorted(cdf, q, side="left").clip(0, len(v) - 1)]


class DDTMap:
    """The (pT bin, rho) -> threshold map; ``shift`` gives X_eps per jet."""

    def __init__(self, pt_edges, rho_centres, thresholds, qcd_efficiency: float):
        self.pt_edges = np.asarray(pt_edges, np.float64)  # inner edges, GeV
        self.rho_centres = [np.asarray(c, np.float64) for c in rho_centres]
        self.thresholds = [np.asarray(t, np.float64) for t in thresholds]
        self.qcd_efficiency = float(qcd_efficiency)

    @classmethod
    def fit(cls, score, rho, pt, weight, qcd_efficiency: float, rho_bins: int, pt_bins: int):
        """Fit on QCD jets (arrays of their score, rho, pT in GeV, physics weight)."""
        score, rho, pt, weight = (np.asarray(a, np.float64) for a in (score, rho, pt, weight))
        if not 0 < qcd_efficiency < 1:
            raise ValueError(f"qcd_efficiency must be in (0, 1), got {qcd_efficiency}")
        finite = np.isfinite(rho) & np.isfinite(pt) & (weight > 0)
        score, rho, pt, weight = score[finite], rho[finite], pt[finite], weight[finite]
        if len(score) < rho_bins * pt_bins:
            raise ValueError(f"{len(score)} QCD jets cannot fill {pt_bins} x {rho_bins} DDT bins")
        pt_edges = weighted_quantile(pt, weight, np.arange(1, pt_bins) / pt_bins)
        pt_bin = np.searchsorted(pt_edges, pt, side="right")
        centres, thresholds = [], []
        for k in range(pt_bins):
            sel = pt_bin == k
            r, s, w = rho[sel], score[sel], weight[sel]
            rho_edges = weighted_quantile(r, w, np.arange(1, rho_bins) / rho_bins)
            rho_bin = np.searchsorted(rho_edges, r, side="right")
            c_k, t_k = [], []
            for j in range(rho_bins):
                cell = rho_bin == j
                if not cell.any():
                    continue
                c_k.append(float(weighted_quantile(r[cell], w[cell], 0.5)[0]))
                # the cut passing qcd_efficiency of the cell's weight: 1 - eps quantile
                t_k.append(float(weighted_quantile(s[cell], w[cell], 1.0 - qcd_efficiency)[0]))
            order = np.argsort(c_k)
            centres.append(np.asarray(c_k)[order])
            thresholds.append(np.asarray(t_k)[order])
        return cls(pt_edges, centres, thresholds, qcd_efficiency)

    def shift(self, rho, pt) -> np.ndarray:
        """X_eps(rho, pT) for each jet."""
        rho, pt = np.asarray(rho, np.float64), np.asarray(pt, np.float64)
        pt_bin = np.searchsorted(self.pt_edges, pt, side="right")
        out = np.empty_like(rho)
        for k, (c, t) in enumerate(zip(self.rho_centres, self.thresholds, strict=True)):
            sel = pt_bin == k
            out[sel] = np.interp(rho[sel], c, t)
        return out

    def to_dict(self) -> dict:
        return {
            "pt_inner_edges": self.pt_edges.tolist(),
            "rho_centres": [c.tolist() for c in self.rho_centres],
            "thresholds": [t.tolist() for t in self.thresholds],
            "qcd_efficiency": self.qcd_efficiency,
        }

    @classmethod
    def from_dict(cls, d: dict) -> DDTMap:
        return cls(d["pt_inner_edges"], d["rho_centres"], d["thresholds"], d["qcd_efficiency"])


class DDTTagger:
    """A base tagger's score minus the DDT map; scores need the base score per jet."""

    kind = KIND

    def __init__(self, base: str, ddt_map: DDTMap):
        self.base = base
        self.map = ddt_map
        self.features = [f"score:{base}", "rho", "pt"]

    def score(self, base_score, rho, pt) -> np.ndarray:
        """s_DDT = base score - X_eps(rho, pT); -inf base scores stay -inf."""
        base_score = np.asarray(base_score, np.float64)
        return base_score - self.map.shift(rho, pt)

    def save(self, path) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"base": self.base, "map": self.map.to_dict()}) + "\n")

    @classmethod
    def load(cls, path) -> DDTTagger:
        with open(path) as f:
            data = json.load(f)
        return cls(data["base"], DDTMap.from_dict(data["map"]))


def _signal_efficiency(ddt_map, score, rho, pt, weight) -> float:
    passing = score - ddt_map.shift(rho, pt) >= 0
    return float(weight[passing].sum() / weight.sum())


def design_point(score, rho, pt, y, weight, target: float, rho_bins: int, pt_bins: int):
    """The QCD efficiency whose DDT map keeps ``target`` of the signal (bisection in log)."""
    qcd, sig = y == 0, y == 1
    if not sig.any():
        raise ValueError("no signal jets (y=1) to find the DDT working point on")
    lo, hi = math.log(1e-4), math.log(0.999)
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        m = DDTMap.fit(score[qcd], rho[qcd], pt[qcd], weight[qcd], math.exp(mid), rho_bins,
                       pt_bins)  # fmt: skip
        if _signal_efficiency(m, score[sig], rho[sig], pt[sig], weight[sig]) < target:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


def train(base: str, base_score, rho, pt, y, weight, params: dict):
    """Fit the map on the QCD jets (``y == 0``); return ``(DDTTagger, info)``.

    Without ``params['qcd_efficiency']`` the design point is found on the signal jets
    (:func:`design_point`).
    """
    p = {**DEFAULTS, **params}
    score, rho, pt = (np.asarray(a, np.float64) for a in (base_score, rho, pt))
    y, weight = np.asarray(y), np.asarray(weight, np.float64)
    qcd = y == 0
    eff = p["qcd_efficiency"]
    if eff is None:
        eff = design_point(score, rho, pt, y, weight, p["signal_efficiency"], p["rho_bins"],
                           p["pt_bins"])  # fmt: skip
    ddt_map = DDTMap.fit(score[qcd], rho[qcd], pt[qcd], weight[qcd], eff, p["rho_bins"],
                         p["pt_bins"])  # fmt: skip
    tagger = DDTTagger(base, ddt_map)
    passing = tagger.score(score, rho, pt) >= 0
    closure = float(weight[qcd & passing].sum() / weight[qcd].sum())
    sig = y == 1
    sig_eff = float(weight[sig & passing].sum() / weight[sig].sum()) if sig.any() else None
    log.info(
        "DDT of %s: %d QCD jets, %d pT x %d rho bins at QCD efficiency %.4f "
        "(training split: %.4f of QCD, %s of signal pass s_DDT >= 0)",
        base, int(qcd.sum()), p["pt_bins"], p["rho_bins"], eff, closure, sig_eff,
    )  # fmt: skip
    info = {
        "n_train": {
            "signal": int(sig.sum()) if p["qcd_efficiency"] is None else 0,
            "background": int(qcd.sum()),
        },  # fmt: skip
        "params": p,
        "base": base,
        "design_qcd_efficiency": eff,
        "train_seconds": 0.0,
        "closure_qcd_efficiency": closure,
        "train_signal_efficiency": sig_eff,
    }
    return tagger, info
