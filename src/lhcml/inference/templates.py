"""Binned templates of the soft-drop mass in a tagger's pass region (NumPy, no zfit).

Everything here is a histogram on the fit binning (``edges``, GeV) of jets weighted to the
expected yield at the measurement luminosity (:mod:`.yields`):

* the W/Z signal (``mu = 1``) and its systematic variations, made by moving the simulated
  jets and re-histogramming them (:func:`signal_templates`):

  - jet mass scale (JMS): ``m -> m (1 +- d_jms)``;
  - jet mass resolution (JMR): ``m -> M_V + (m - M_V)(1 +- d_jmr)`` around the boson
    mass ``M_V`` of each jet (W or Z), i.e. the peak widened or narrowed;
  - jet energy scale (JES): the jets of a JES-shifted, rescored copy of the template split
    (other pass region, other mass), given as extra tables;

* the per-bin relative Monte Carlo statistical error of the signal template
  (``sqrt(sum w^2) / sum w``), the prior width of its Barlow-Beeston-lite gamma factors;
* the simulated background histogram and its smooth template (:func:`smooth_background`):
  a Bernstein polynomial with non-negative coefficients fitted by non-negative least
  squares to the simulated background (a convex problem: one answer, no starting point).

The Bernstein basis of order ``n`` on ``[lo, hi]`` is normalised so that each basis
function integrates to 1 over the range; :func:`bernstein_matrix` gives its integral over
each bin, so ``A @ c`` are the expected counts per bin of a background with yields ``c``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import nnls
from scipy.special import comb

#: W and Z boson masses (GeV, PDG): the centres of the mass-resolution variation.
BOSON_MASS = {"W": 80.37, "Z": 91.19}


def bin_edges(fit_range, bin_width: float) -> np.ndarray:
    """Bin edges (GeV) of width ``bin_width`` covering ``fit_range`` exactly.

    Raises ValueError if the range is not a whole number of bins.
    """
    low, high = (float(x) for x in fit_range)
    n = (high - low) / float(bin_width)
    if n < 2 or abs(n - round(n)) > 1e-6:
        raise ValueError(
            f"inference.bin_width: {bin_width} GeV does not divide the fit range "
            f"[{low}, {high}] into a whole number (>= 2) of bins"
        )
    return np.linspace(low, high, int(round(n)) + 1)


def bernstein_matrix(edges: np.ndarray, order: int) -> np.ndarray:
    """Integral of each normalised Bernstein basis function over each bin, shape (bins, n+1).

    Uses ``int_0^t b_{j,n} = 1/(n+1) sum_{i>j} b_{i,n+1}(t)``; the columns sum to 1.
    """
    edges = np.asarray(edges, np.float64)
    t = (edges - edges[0]) / (edges[-1] - edges[0])
    n = int(order)
    i = np.arange(n + 2)
    # b_{i,n+1}(t) at every edge, shape (edges, n+2)
    b = comb(n + 1, i)[None, :] * t[:, None] ** i[None, :] * (1 - t[:, None]) ** (n + 1 - i)
    tail = np.cumsum(b[:, ::-1], axis=1)[:, ::-1]  # sum_{i >= k} b_{i,n+1}
    cdf = tail[:, 1:]  # column j: sum_{i >= j+1}, times (n+1) = normalised CDF of basis j
    return np.diff(cdf, axis=0)


def histogram(msd, weight, edges) -> tuple[np.ndarray, np.ndarray]:
    """Weighted counts and their variances (sum of w^2) per bin."""
    msd, weight = np.asarray(msd, np.float64), np.asarray(weight, np.float64)
    h, _ = np.histogram(msd, bins=edges, weights=weight)
    v, _ = np.histogram(msd, bins=edges, weights=weight**2)
    return h, v


def smooth_background(counts, variances, matrix) -> np.ndarray:
    """Non-negative Bernstein yields ``c`` fitting the histogram ``counts`` (weighted NNLS).

    Each bin is weighted by ``1 / sqrt(variance)``; bins without simulated jets get the
    variance of one jet of the mean weight, so an empty bin pulls towards zero with the
    weight of the information it holds. Raises ValueError for an empty histogram.
    """
    counts, variances = np.asarray(counts, np.float64), np.asarray(variances, np.float64)
    if counts.sum() <= 0:
        raise ValueError("no simulated background jets in the pass region and fit range")
    filled = variances > 0
    mean_w = variances[filled].sum() / counts[filled].sum()
    var = np.where(filled, variances, mean_w**2)
    w = 1.0 / np.sqrt(var)
    c, _ = nnls(matrix * w[:, None], counts * w)
    return c


@dataclass
class SignalTemplates:
    """Signal counts per bin (``mu = 1``), shape variations and MC statistical errors."""

    nominal: np.ndarray
    variations: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    rel_stat: np.ndarray | None = None
    n_jets: int = 0

    def to_dict(self) -> dict:
        return {
            "nominal": self.nominal.tolist(),
            "variations": {k: [u.tolist(), d.tolist()] for k, (u, d) in self.variations.items()},
            "rel_stat": None if self.rel_stat is None else self.rel_stat.tolist(),
            "n_jets": self.n_jets,
        }


def signal_templates(
    msd, label, weight, edges, jms: float, jmr: float, jes_tables=None
) -> SignalTemplates:
    """The W+Z template and its JMS, JMR (and JES) variations on ``edges``.

    ``msd`` (GeV), ``label`` ("W"/"Z") and ``weight`` (yield weights) are the signal jets
    passing the tagger cut (any mass: a shift moves jets into and out of the range).
    ``jes_tables``: ``{"up": (msd, label, weight), "down": ...}`` of the signal jets that
    pass the cut after the JES shift and rescoring (None: no JES variation).
    """
    msd = np.asarray(msd, np.float64)
    label = np.asarray(label)
    weight = np.asarray(weight, np.float64)
    nominal, var = histogram(msd, weight, edges)
    if nominal.sum() <= 0:
        raise ValueError("no simulated W/Z jets in the pass region and fit range")
    rel = np.divide(np.sqrt(var), nominal, out=np.zeros_like(nominal), where=nominal > 0)
    centre = np.array([BOSON_MASS.get(str(x), BOSON_MASS["W"]) for x in label])
    variations = {}
    if jms > 0:
        variations["jms"] = tuple(histogram(msd * (1 + s * jms), weight, edges)[0]
                                  for s in (1, -1))  # fmt: skip
    if jmr > 0:
        variations["jmr"] = tuple(
            histogram(centre + (msd - centre) * (1 + s * jmr), weight, edges)[0] for s in (1, -1)
        )
    if jes_tables is not None:
        variations["jes"] = tuple(
            histogram(jes_tables[k][0], jes_tables[k][2], edges)[0] for k in ("up", "down")
        )
    return SignalTemplates(nominal=nominal, variations=variations, rel_stat=rel,
                           n_jets=int(((msd >= edges[0]) & (msd <= edges[-1])).sum()))  # fmt: skip
