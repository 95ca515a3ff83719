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
  per background component, a Bernstein polynomial with non-negative coefficients fitted
  by Poisson maximum likelihood to its effective entries (a convex problem: one answer,
  no starting point).

The Bernstein basis of order ``n`` on ``[lo, hi]`` is normalised so that each basis
function integrates to 1 over the range; :func:`bernstein_matrix` gives its integral over
each bin, so ``A @ c`` are the expected counts per bin of a background with yields ``c``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
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


def _poisson_shape(entries, matrix) -> np.ndarray:
    """Non-negative yields ``c`` of the columns of ``matrix`` maximising the Poisson
    likelihood of the per-bin ``entries`` (``lambda = matrix @ c``).

    ``-ln L = sum(lambda - n ln lambda)`` is convex in ``c`` (a linear model), so the
    bounded quasi-Newton minimisation has one answer, whatever its start.
    """

    n = np.asarray(entries, np.float64)
    a = np.asarray(matrix, np.float64)
    total = max(n.sum(), 1e-12)

    def nll(c):
        lam = np.maximum(a @ c, 1e-300)
        grad = (a.sum(axis=0) - (n / lam) @ a) / total
        return float(lam.sum() - n @ np.log(lam)) / total, grad

    start = np.full(a.shape[1], total / a.shape[1])
    res = minimize(
        nll,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * a.shape[1],
        options={"maxiter": 10000, "ftol": 1e-15, "gtol": 1e-12},
    )
    return res.x


def smooth_background(msd, weight, component, edges, order: int) -> dict[str, np.ndarray]:
    """Smooth expected counts per bin of each background component (sample) at the
    measurement luminosity, summed in ``"total"``: the background of the pseudo-data.

    Each component's jets are fitted with a Bernstein polynomial of ``order`` by Poisson
    maximum likelihood on its *effective entries*: with ``k = sum w^2 / sum w`` (the
    weight of one effective jet; the jet weight itself when all weights are equal) a bin
    holds ``sum w / k`` effective jets, and the smooth counts are ``k * A c``. Fitting each
    component on its own entries keeps a component of heavy jets (QCD, ~10^5 real jets
    each) from being ignored next to one of light jets (ttbar), as a fit weighted by the
    summed per-bin variances does where the heavy jets leave a bin empty.

    A smooth template, because the simulation holds ~10^5 times fewer QCD jets than the
    data at 138 fb^-1: its jet-to-jet noise would be a hundred standard deviations of the
    data's own fluctuations. What the smooth template cannot hold (a peak that the tagger
    sculpts into the QCD mass) is measured on the simulation itself by
    :func:`spurious_signal`.

    Returns ``{component: counts, ..., "total": counts}``. Raises ValueError if no
    background jet falls in the range.
    """
    msd = np.asarray(msd, np.float64)
    weight = np.asarray(weight, np.float64)
    component = np.asarray(component)
    inside = (msd >= edges[0]) & (msd <= edges[-1])
    if not np.any(inside & (weight > 0)):
        raise ValueError("no simulated background jets in the pass region and fit range")
    matrix = bernstein_matrix(edges, order)
    out = {}
    for name in np.unique(component[inside]):
        sel = inside & (component == name)
        sw, sw2 = weight[sel].sum(), (weight[sel] ** 2).sum()
        if sw <= 0:
            continue
        k = sw2 / sw
        counts, _ = histogram(msd[sel], weight[sel], edges)
        out[str(name)] = k * (matrix @ _poisson_shape(counts / k, matrix))
    out["total"] = np.sum(list(out.values()), axis=0)
    return out


def mc_variance(component_counts: dict, msd, weight, component, edges) -> np.ndarray:
    """The Monte Carlo variance per bin of the simulated background histogram, from its
    smooth expectation: ``sum_c k_c * smooth_c`` (``k_c = sum w^2 / sum w``: the weight of
    one effective jet of component ``c``; the jet weight itself when all are equal). Free of the noise of the per-bin
    ``sum w^2``, which is 0 in a bin that the heavy jets happen to miss."""
    msd, weight, component = np.asarray(msd), np.asarray(weight), np.asarray(component)
    inside = (msd >= edges[0]) & (msd <= edges[-1])
    var = np.zeros(len(edges) - 1)
    for name, counts in component_counts.items():
        if name == "total":
            continue
        sel = inside & (component == name)
        var += (weight[sel] ** 2).sum() / weight[sel].sum() * counts
    return var


def spurious_signal(signal, matrix, mc_counts, mc_var, reference) -> dict:
    """The signal strength that the signal-plus-background model (nuisances at nominal)
    fits to the *simulated background alone*: the spurious signal ``mu_ss`` of the
    background model, in units of ``mu`` (ATLAS's spurious-signal test).

    ``mc_counts``: the simulated background histogram at the measurement luminosity;
    the fit weights its bins by the data's Poisson variance (``reference``, the smooth
    expected background), so it is the fit that the pseudo-data would see. The model
    (``mu * signal + matrix @ c``) is linear, so the fit is a weighted least-squares
    solve: ``mu_ss = e @ counts`` with a fixed estimator ``e``, exact, with no start.
    ``mc_var``: the MC variance per bin (:func:`mc_variance`); ``mu_err_mc`` propagates
    it through ``e``: how much of ``mu_ss`` the finite simulation alone can make.
    ``size = hypot(mu_ss, mu_err_mc)`` is the prior width of the spurious-signal nuisance:
    a tagger that sculpts the QCD mass into a peak gets ``|mu_ss|``, and a simulation too
    small to tell gets its MC error.
    """
    reference = np.asarray(reference, np.float64)
    var = np.maximum(reference, 1e-9 * max(reference.max(), 1.0))
    x = np.column_stack([signal, matrix])
    xw = x / var[:, None]
    cov = np.linalg.inv(x.T @ xw)
    estimator = (cov @ xw.T)[0]
    mu = float(estimator @ np.asarray(mc_counts, np.float64))
    err = float(np.sqrt(estimator**2 @ np.asarray(mc_var, np.float64)))
    return {
        "mu": mu,
        "mu_err_mc": err,
        "size": float(math.hypot(mu, err)),
        "n_signal": float(mu * np.sum(signal)),
    }


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
        variations["jms"] = tuple(histogram(msd * (1 + s * jms), weight, edges)[0] for s in (1, -1))
    if jmr > 0:
        variations["jmr"] = tuple(
            histogram(centre + (msd - centre) * (1 + s * jmr), weight, edges)[0] for s in (1, -1)
        )
    if jes_tables is not None:
        variations["jes"] = tuple(
            histogram(jes_tables[k][0], jes_tables[k][2], edges)[0] for k in ("up", "down")
        )
    return SignalTemplates(
        nominal=nominal,
        variations=variations,
        rel_stat=rel,
        n_jets=int(((msd >= edges[0]) & (msd <= edges[-1])).sum()),
    )
