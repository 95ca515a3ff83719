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

The R50 vs 1/JSD trade-off of a DDT is scanned with the smooth map's mass bandwidth
(:func:`smooth_scan_params`), as the networks' is with lambda.

Two maps (``map``):

* ``binned`` (:class:`DDTMap`): ``pt_bins`` pT bins of equal QCD population; within each,
  ``rho_bins`` rho bins of equal population, each with its weighted-median rho and its
  threshold X_eps. X_eps is interpolated linearly in rho between bin medians (constant
  beyond the outer ones) and piecewise constant in pT. Coarse bins leave the mass
  dependence inside a bin (at fixed rho the mass still varies with pT); fine bins hold
  few QCD jets above a tail quantile and are noisy.
* ``smooth`` (:class:`SmoothDDTMap`): a kernel-weighted QCD quantile (as the k-NN
  smoothing of the CMS N2^DDT) on a grid of (u, v) = (ln m_SD, ln pT), with
  ln m_SD = rho / 2 + ln pT, so still a function of rho and pT only: each grid node
  weights the QCD jets by a Gaussian of widths ``mass_bandwidth`` and ``pt_bandwidth``
  (in units of the QCD standard deviation of u and v) and takes their 1 - eps quantile;
  X_eps is bilinear between nodes (clamped at the grid, which spans the 0.5%-99.5% QCD
  range). The coordinates follow the physics: a tagger that uses the mass (the BDT) has a
  QCD quantile that changes fast along ln m and slowly along ln pT.

The base score of a jet comes from the taggers stage
(``results/scores/{base}/{split}.parquet``).
"""

from __future__ import annotations

import json
import logging
import math

import numpy as np

from lhcml.config import schema_defaults
from lhcml.io import atomic_path

log = logging.getLogger("lhcml.decorrelation.ddt")

MAPS = ("binned", "smooth")

#: Hyperparameter defaults: the config schema's (section ``decorrelate.ddt``), plus the library-only
#: ``qcd_efficiency`` (None: the design point is found from ``signal_efficiency``).
DEFAULTS = {**schema_defaults("decorrelate.ddt"), "qcd_efficiency": None}

#: QCD quantile range spanned by the smooth map's grid (clamped beyond).
GRID_RANGE = (0.005, 0.995)

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
            "kind": "binned",
            "pt_inner_edges": self.pt_edges.tolist(),
            "rho_centres": [c.tolist() for c in self.rho_centres],
            "thresholds": [t.tolist() for t in self.thresholds],
            "qcd_efficiency": self.qcd_efficiency,
        }

    @classmethod
    def from_dict(cls, d: dict) -> DDTMap:
        return cls(d["pt_inner_edges"], d["rho_centres"], d["thresholds"], d["qcd_efficiency"])


def _weighted_std(x, w) -> float:
    mean = np.average(x, weights=w)
    return float(np.sqrt(np.average((x - mean) ** 2, weights=w)))


def _mass_pt_coordinates(rho, pt) -> np.ndarray:
    """(ln m_SD, ln pT) per jet from rho = ln(m_SD^2/pT^2) and pT (GeV), shape (n, 2)."""
    log_pt = np.log(np.asarray(pt, np.float64))
    return np.stack([0.5 * np.asarray(rho, np.float64) + log_pt, log_pt], axis=1)


class KernelQuantiles:
    """Kernel-weighted QCD score CDFs on the smooth map's grid, for any efficiency.

    Built once from the QCD jets, so the design-point bisection costs one pass per step
    over a (grid nodes x QCD jets) array instead of a new fit.
    """

    def __init__(
        self,
        score,
        rho,
        pt,
        weight,
        mass_bandwidth: float,
        pt_bandwidth: float,
        mass_grid: int,
        pt_grid: int,
    ):
        score, weight = np.asarray(score, np.float64), np.asarray(weight, np.float64)
        x = _mass_pt_coordinates(rho, pt)
        finite = np.isfinite(x).all(axis=1) & np.isfinite(score) & (weight > 0)
        score, x, weight = score[finite], x[finite], weight[finite]
        if mass_bandwidth <= 0 or pt_bandwidth <= 0:
            raise ValueError("smooth DDT bandwidths must be positive")
        if len(score) < 2:
            raise ValueError(f"{len(score)} QCD jets cannot make a smooth DDT map")
        scale = np.array([_weighted_std(x[:, i], weight) for i in (0, 1)])
        scale[scale == 0] = 1.0
        axes = []
        for i, n in enumerate((mass_grid, pt_grid)):
            lo, hi = weighted_quantile(x[:, i], weight, GRID_RANGE)
            axes.append(np.linspace(lo, hi, n) if n > 1 and hi > lo else np.array([lo]))
        order = np.argsort(score, kind="stable")
        self.sorted_scores = score[order]
        x, weight = x[order], weight[order]
        nodes = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
        width = scale * np.array([mass_bandwidth, pt_bandwidth])
        d2 = (((x[None, :, :] - nodes[:, None, :]) / width) ** 2).sum(axis=-1)
        kernel = np.exp(-0.5 * d2) * weight[None, :]
        cdf = np.cumsum(kernel, axis=1)
        self.cdf = cdf / cdf[:, -1:]
        self.n_eff = kernel.sum(axis=1) ** 2 / (kernel**2).sum(axis=1)
        self.axes = axes

    def map_at(self, qcd_efficiency: float) -> SmoothDDTMap:
        """The map whose threshold passes ``qcd_efficiency`` of each node's kernel weight."""
        if not 0 < qcd_efficiency < 1:
            raise ValueError(f"qcd_efficiency must be in (0, 1), got {qcd_efficiency}")
        # smallest score whose kernel CDF reaches 1 - eps (as weighted_quantile)
        idx = (self.cdf < 1.0 - qcd_efficiency).sum(axis=1).clip(0, len(self.sorted_scores) - 1)
        thresholds = self.sorted_scores[idx].reshape([len(a) for a in self.axes])
        return SmoothDDTMap(self.axes[0], self.axes[1], thresholds, qcd_efficiency)


class SmoothDDTMap:
    """Threshold X_eps on a (ln m_SD, ln pT) grid, bilinear in between, clamped outside."""

    def __init__(self, log_mass_nodes, log_pt_nodes, thresholds, qcd_efficiency: float):
        self.log_mass_nodes = np.asarray(log_mass_nodes, np.float64)
        self.log_pt_nodes = np.asarray(log_pt_nodes, np.float64)
        self.thresholds = np.asarray(thresholds, np.float64).reshape(
            len(self.log_mass_nodes), len(self.log_pt_nodes)
        )
        self.qcd_efficiency = float(qcd_efficiency)

    @classmethod
    def fit(cls, score, rho, pt, weight, qcd_efficiency: float, **smooth) -> SmoothDDTMap:
        """Fit on QCD jets; ``smooth``: mass_bandwidth, pt_bandwidth, mass_grid, pt_grid."""
        return KernelQuantiles(score, rho, pt, weight, **smooth).map_at(qcd_efficiency)

    @staticmethod
    def _locate(nodes, x):
        """Lower node index and fraction towards the next one (clamped at the ends)."""
        if len(nodes) == 1:
            return np.zeros(len(x), int), np.zeros(len(x))
        x = np.clip(x, nodes[0], nodes[-1])
        i = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, len(nodes) - 2)
        return i, (x - nodes[i]) / (nodes[i + 1] - nodes[i])

    def shift(self, rho, pt) -> np.ndarray:
        """X_eps(rho, pT) for each jet (NaN where rho or pT is not finite)."""
        x = _mass_pt_coordinates(rho, pt)
        bad = ~np.isfinite(x).all(axis=1)
        x[bad] = 0.0
        i, a = self._locate(self.log_mass_nodes, x[:, 0])
        j, b = self._locate(self.log_pt_nodes, x[:, 1])
        t = self.thresholds
        i1 = np.minimum(i + 1, t.shape[0] - 1)
        j1 = np.minimum(j + 1, t.shape[1] - 1)
        out = (
            (1 - a) * (1 - b) * t[i, j]
            + a * (1 - b) * t[i1, j]
            + (1 - a) * b * t[i, j1]
            + a * b * t[i1, j1]
        )
        out[bad] = np.nan
        return out

    def to_dict(self) -> dict:
        return {
            "kind": "smooth",
            "log_mass_nodes": self.log_mass_nodes.tolist(),
            "log_pt_nodes": self.log_pt_nodes.tolist(),
            "thresholds": self.thresholds.tolist(),
            "qcd_efficiency": self.qcd_efficiency,
        }

    @classmethod
    def from_dict(cls, d: dict) -> SmoothDDTMap:
        return cls(d["log_mass_nodes"], d["log_pt_nodes"], d["thresholds"], d["qcd_efficiency"])


def map_from_dict(d: dict):
    """A saved map of either kind (maps saved before the smooth one existed are binned)."""
    return SmoothDDTMap.from_dict(d) if d.get("kind") == "smooth" else DDTMap.from_dict(d)


class DDTTagger:
    """A base tagger's score minus the DDT map; scores need the base score per jet."""

    kind = "ddt"

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
        return cls(data["base"], map_from_dict(data["map"]))


def _signal_efficiency(ddt_map, score, rho, pt, weight) -> float:
    passing = score - ddt_map.shift(rho, pt) >= 0
    return float(weight[passing].sum() / weight.sum())


def map_fitter(score, rho, pt, weight, params: dict):
    """``eps -> map`` fitted on these QCD jets, for the map kind of ``params``."""
    p = {**DEFAULTS, **params}
    if p["map"] == "binned":
        return lambda eps: DDTMap.fit(score, rho, pt, weight, eps, p["rho_bins"], p["pt_bins"])
    if p["map"] == "smooth":
        smooth = {**DEFAULTS["smooth"], **p["smooth"]}
        return KernelQuantiles(score, rho, pt, weight, **smooth).map_at
    raise ValueError(f"decorrelate.ddt.map must be one of {MAPS}, got {p['map']!r}")


def design_point(fit, score, rho, pt, y, weight, target: float) -> float:
    """The QCD efficiency whose map (``fit(eps)``) keeps ``target`` of the signal.

    Bisection in log efficiency on the signal jets (``y == 1``).
    """
    sig = y == 1
    if not sig.any():
        raise ValueError("no signal jets (y=1) to find the DDT working point on")
    lo, hi = math.log(1e-4), math.log(0.999)
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        ddt_map = fit(math.exp(mid))
        if _signal_efficiency(ddt_map, score[sig], rho[sig], pt[sig], weight[sig]) < target:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


def train(base: str, base_score, rho, pt, y, weight, params: dict):
    """Fit the map on the QCD jets (``y == 0``); return ``(DDTTagger, info)``.

    ``params['map']`` picks the map (``binned`` or ``smooth``). Without
    ``params['qcd_efficiency']`` the design point is found on the signal jets
    (:func:`design_point`).
    """
    p = {**DEFAULTS, **params}
    p["smooth"] = {**DEFAULTS["smooth"], **(params.get("smooth") or {})}
    score, rho, pt = (np.asarray(a, np.float64) for a in (base_score, rho, pt))
    y, weight = np.asarray(y), np.asarray(weight, np.float64)
    qcd = y == 0
    fit = map_fitter(score[qcd], rho[qcd], pt[qcd], weight[qcd], p)
    eff = p["qcd_efficiency"]
    if eff is None:
        eff = design_point(fit, score, rho, pt, y, weight, p["signal_efficiency"])
    tagger = DDTTagger(base, fit(eff))
    passing = tagger.score(score, rho, pt) >= 0
    closure = float(weight[qcd & passing].sum() / weight[qcd].sum())
    sig = y == 1
    sig_eff = float(weight[sig & passing].sum() / weight[sig].sum()) if sig.any() else None
    shape = (
        f"{p['pt_bins']} pT x {p['rho_bins']} rho bins"
        if p["map"] == "binned"
        else "smooth map (ln m bandwidth {mass_bandwidth}, ln pT bandwidth {pt_bandwidth}, "
        "{mass_grid} x {pt_grid} nodes)".format(**p["smooth"])
    )
    log.info(
        "DDT of %s: %d QCD jets, %s at QCD efficiency %.4f "
        "(training split: %.4f of QCD, %s of signal pass s_DDT >= 0)",
        base,
        int(qcd.sum()),
        shape,
        eff,
        closure,
        sig_eff,
    )
    info = {
        "n_train": {
            "signal": int(sig.sum()) if p["qcd_efficiency"] is None else 0,
            "background": int(qcd.sum()),
        },
        "params": p,
        "base": base,
        "design_qcd_efficiency": eff,
        "train_seconds": 0.0,
        "closure_qcd_efficiency": closure,
        "train_signal_efficiency": sig_eff,
    }
    return tagger, info


def smooth_scan_params(params: dict, mass_bandwidth: float) -> dict:
    """``params`` with the smooth map at ``mass_bandwidth``: one point of the DDT scan.

    The mass bandwidth is the DDT's decorrelation strength: a narrow kernel follows the
    QCD quantile closely in m_SD (flat QCD efficiency, little sculpting), a wide one
    averages over masses and leaves the base tagger's mass dependence (its R50 and its
    sculpting). The other smooth-map settings and the design point are kept.
    """
    smooth = {
        **DEFAULTS["smooth"],
        **(params.get("smooth") or {}),
        "mass_bandwidth": float(mass_bandwidth),
    }
    return {**params, "map": "smooth", "smooth": smooth}
