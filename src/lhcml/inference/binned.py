"""The binned zfit likelihood of the measurement: signal strength, background, nuisances.

Expected counts in bin ``i`` of the soft-drop mass (:mod:`.templates`):

    nu_i = (mu * L(theta) + theta_ss * |mu_ss|) * k * gamma_i * [s_i + sum_k D_ik(theta_k)]
           + sum_j c_j A_ij

* ``s_i``: the W+Z template (``mu = 1``), ``D_ik = theta_k (up_ik - down_ik) / 2``: its
  symmetrised, linear shape variation for the nuisance ``theta_k`` (JMS, JMR, JES);
* ``L(theta) = prod (1 + d)^theta``: the log-normal normalisation nuisances (luminosity,
  signal cross section);
* ``gamma_i``: Barlow-Beeston-lite factor of the template's MC statistics in bin ``i``,
  constrained by ``N(1, rel_stat_i)`` (only bins holding a fraction ``mcstat_threshold``
  of the largest signal bin get one; the others are fixed to 1);
* ``theta_ss``: the spurious signal (the signal the model fits to the simulated
  background alone, in units of ``mu``), a signal-shaped term with a unit Gaussian prior.
  It scales the same varied, gamma-scaled template as ``mu``: were it the bare nominal
  template, a large ``mu`` balanced by a negative ``theta_ss`` would let the gammas absorb
  the data's Poisson noise more cheaply (they scale with ``mu``) and bias ``mu`` along the
  valley that only the priors close;
* ``c_j``: the yields of the Bernstein basis functions of the background, free and
  unbounded (linear in the counts: the background part of the fit is a linear problem and
  has a single minimum);
* ``k``: the luminosity scale of the data set relative to the templates (1 for the
  measurement).

Every ``theta`` has a unit Gaussian constraint whose centre is a *global observable*
(a fixed zfit parameter), so toys randomise it by setting its value: the likelihood and
its compiled graph are built once. The data live in a ``BinnedSamplerData`` whose counts
are replaced in place (:meth:`Measurement.load`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import zfit
import zfit.z.numpy as znp
from zfit.core.binnedpdf import BaseBinnedPDF
from zfit.core.space import supports

from lhcml.inference.nll import CompiledNLL

#: Names of the shape nuisances in their order in the model.
SHAPE_NPS = ("jms", "jmr", "jes")
#: Names of the normalisation nuisances.
NORM_NPS = ("lumi", "xsec")


class CountsPDF(BaseBinnedPDF):
    """An extended binned pdf whose expected counts are ``func(params)`` (a TF function)."""

    def __init__(self, space, func, params: dict, name: str = "measurement"):
        self._func = func
        extended = zfit.ComposedParameter(
            f"{name}_total", lambda p: znp.sum(func(p)), params=dict(params)
        )
        super().__init__(obs=space, params=dict(params), extended=extended, name=name)
        self._areas = np.prod(space.binning.widths, axis=0)

    def _ext_pdf(self, x, norm):
        return self._counts(x, norm) / self._areas

    @supports(norm=False)
    def _pdf(self, x, norm):
        return self._rel_counts(x, norm) / self._areas

    @supports(norm="norm")
    def _counts(self, x, norm=None):
        return self._func(self.params)

    @supports(norm="norm")
    def _rel_counts(self, x, norm=None):
        c = self._func(self.params)
        return c / znp.sum(c)


def _interpolate(theta, up, down):
    """The symmetrised shape variation ``theta (up - down) / 2`` (linear in theta).

    Linear in ``theta`` keeps the likelihood convex in the nuisances: a quadratic term
    (the average of up and down minus nominal) makes it concave in ``theta`` where the
    variations are noisy (few simulated jets), and the fit then stops on a saddle point.
    """
    return theta * (0.5 * (up - down))


def assign(params, values) -> None:
    """Set parameter values, clipped into their limits, without zfit's per-call checks
    (a Newton step sets every parameter; ``set_value`` costs ~1 ms each, this ~40 us)."""
    for p, v in zip(params, values, strict=True):
        lo, hi = param_bounds(p)
        p.assign(min(max(float(v), lo), hi), read_value=False)


def param_bounds(p) -> tuple[float, float]:
    """The limits of ``p``, moved inwards by 1e-9 of the range (zfit refuses a value on
    a limit)."""
    lo = float(p.lower) if p.has_limits and p.lower is not None else -math.inf
    hi = float(p.upper) if p.has_limits and p.upper is not None else math.inf
    pad = 1e-9 * (hi - lo) if math.isfinite(hi - lo) else 0.0
    return lo + pad, hi - pad


@dataclass
class Measurement:
    """The zfit model, likelihood and data of one tagger's measurement (see module doc)."""

    edges: np.ndarray
    signal: np.ndarray
    pdf: object
    loss: object
    data: object
    mu: object
    coeffs: list
    nps: dict  # name -> theta parameter (unit Gaussian prior)
    gammas: dict  # bin index -> gamma parameter
    globs: dict  # parameter -> global observable parameter
    prior_sigma: dict  # parameter -> prior width
    lumi_scale: object
    matrix: np.ndarray
    sizes: dict = field(default_factory=dict)
    spurious_size: object = None
    bkg_scale: object = None
    _nlls: dict = field(default_factory=dict, repr=False)

    def set_spurious(self, size: float) -> None:
        """The prior width of the spurious-signal term (``|mu_ss|``); a negligible size
        (< 1e-6) fixes ``theta_spurious`` (a parameter without effect has no curvature)."""
        self.spurious_size.set_value(float(size))
        if "spurious" in self.nps:
            self.nps["spurious"].floating = abs(size) >= 1e-6

    @property
    def thetas(self) -> list:
        return list(self.nps.values())

    @property
    def constrained(self) -> list:
        """Every constrained parameter: the thetas and the gammas."""
        return [*self.nps.values(), *self.gammas.values()]

    @property
    def floating(self) -> list:
        return [p for p in (self.mu, *self.coeffs, *self.constrained) if p.floating]

    @property
    def all_params(self) -> list:
        return [self.mu, *self.coeffs, *self.constrained]

    def load(self, counts) -> float:
        """Replace the data counts (in place: the compiled likelihood is reused)."""
        counts = np.asarray(counts, np.float64)
        self.data.update_data(counts, variances=counts)
        self.bkg_scale.set_value(max(float(counts.sum()), 1.0) / len(self.coeffs))
        return float(counts.sum())

    def nll(self, params: list) -> CompiledNLL:
        """``-ln L`` over ``params`` as compiled functions (:class:`.nll.CompiledNLL`),
        traced once per list of parameters and their limits, and kept (a zfit parameter
        with limits clips its value to them, and the trace holds the limits it saw:
        :func:`.measure.fit_non_negative_background` sets limits for its fits)."""
        key = tuple(
            (id(q), (float(q.lower), float(q.upper)) if q.has_limits else None) for q in params
        )
        if key not in self._nlls:
            weight = [self.prior_sigma[q] ** -2 if q in self.globs else 0.0 for q in params]
            self._nlls[key] = CompiledNLL(self.loss, self.pdf, params, weight)
        return self._nlls[key]

    def bkg_yields(self, values: dict | None = None) -> np.ndarray:
        """The background yields ``c_j`` (events) at ``values`` (current values if None)."""
        x = [float((values or {}).get(c, c.value())) for c in self.coeffs]
        return float(self.bkg_scale.value()) * np.asarray(x)

    def set_values(self, values: dict) -> None:
        assign(list(values), list(values.values()))

    def values(self) -> dict:
        return {p: float(p.value()) for p in self.all_params}

    def nominal_values(self, mu: float = 1.0, coeffs=None) -> dict:
        """mu, the background parameters ``coeffs`` (yields / bkg_scale) and every
        nuisance at its prior centre."""
        out = {self.mu: mu, **{p: 0.0 for p in self.nps.values()}}
        out.update({g: 1.0 for g in self.gammas.values()})
        if coeffs is not None:
            out.update(dict(zip(self.coeffs, coeffs, strict=True)))
        return out

    def _norm(self, values: dict) -> float:
        out = 1.0
        for k in NORM_NPS:
            if k in self.nps:
                out *= (1.0 + self.sizes[k]) ** float(values.get(self.nps[k], 0.0))
        return out

    def signal_rate(self, values: dict) -> float:
        """The factor of the signal template at ``values``: ``mu L(theta) + theta_ss |mu_ss|``."""
        rate = float(values[self.mu]) * self._norm(values)
        if "spurious" in self.nps:
            rate += float(values.get(self.nps["spurious"], 0.0)) * float(self.spurious_size.value())
        return rate

    def keep_rate(self, start: dict, rate: float, free=None) -> dict:
        """``start`` with ``free`` (``mu`` by default, or ``theta_spurious``) moved so that the
        signal factor is ``rate``: the start of a fit with another parameter fixed.

        ``mu``, the normalisation nuisances and the spurious signal move one shape; only
        their priors separate them. Fixing one of them elsewhere (an impact, a scan point,
        a toy's global observables) without moving the others starts the fit far along
        that valley, with the signal possibly negative, where it can stall.
        """
        out = dict(start)
        free = self.mu if free is None else free
        ss = self.nps.get("spurious")
        size = float(self.spurious_size.value()) if ss is not None else 0.0
        theta_ss = float(out.get(ss, 0.0)) * size if ss is not None else 0.0
        if free is self.mu:
            out[self.mu] = (rate - theta_ss) / self._norm(out)
        elif ss is not None and free is ss and ss.floating and size > 0:
            out[ss] = float(
                np.clip((rate - float(out[self.mu]) * self._norm(out)) / size, -4.5, 4.5)
            )
        return out

    def reset_globs(self) -> None:
        """Global observables at their nominal values (0 for thetas, 1 for gammas)."""
        for p, g in self.globs.items():
            g.set_value(1.0 if p in self.gammas.values() else 0.0)

    def expected(self, values: dict | None = None) -> np.ndarray:
        """Expected counts per bin at ``values`` (current values if None; restored)."""
        if values is None:
            return np.asarray(self.pdf.counts())
        old = self.values()
        self.set_values(values)
        try:
            return np.asarray(self.pdf.counts())
        finally:
            self.set_values(old)

    def start_values(self, counts, mu: float = 1.0) -> dict:
        """A start computed from the data: nuisances at their prior centre, ``mu``, and the
        background yields from a linear least-squares fit of ``data - mu * signal``.

        Deterministic and independent of earlier fits (no machine-dependent start).
        """
        scale = float(self.lumi_scale.value())
        rest = np.asarray(counts, np.float64) - mu * scale * self.signal
        c, *_ = np.linalg.lstsq(self.matrix, rest, rcond=None)
        if np.any(self.matrix @ c <= 0):  # keep the start background positive in every bin
            c = np.full(len(self.coeffs), max(float(np.sum(counts)), 1.0) / len(self.coeffs))
        return self.nominal_values(mu, c / float(self.bkg_scale.value()))


def build(
    edges,
    signal,
    variations: dict,
    rel_stat,
    matrix,
    sizes: dict,
    spurious: float | None,
    mu_limits=(-50.0, 50.0),
    mcstat_threshold: float = 0.01,
    prefix: str = "",
) -> Measurement:
    """The measurement model (module docstring).

    ``variations``: ``{name: (up, down)}`` counts for the shape nuisances of
    :data:`SHAPE_NPS`; ``sizes``: the configured sizes (``jms``, ``jmr``, ``jes`` used
    only to label; ``lumi``, ``xsec`` relative, log-normal); a size of 0 or a missing
    variation drops the nuisance. ``spurious``: ``|mu_ss|`` (None drops the term; set later with
    :meth:`Measurement.set_spurious`). ``rel_stat``:
    per-bin relative MC error of ``signal`` (None drops the gammas).
    """
    p = f"{prefix}_" if prefix else ""
    edges = np.asarray(edges, np.float64)
    signal = np.asarray(signal, np.float64)
    matrix = np.asarray(matrix, np.float64)
    space = zfit.Space("msd", binning=zfit.binned.VariableBinning(edges, name="msd"))
    mu = zfit.Parameter(f"{p}mu", 1.0, *mu_limits, step_size=0.05)
    scale = zfit.Parameter(f"{p}lumi_scale", 1.0, floating=False)
    # background yields c_j = bkg_scale * x_j with x_j of order 1 (bkg_scale: the data
    # count per basis function, set by load): Minuit sees parameters of one scale
    bkg_scale = zfit.Parameter(f"{p}bkg_scale", 1.0, floating=False)
    coeffs = [zfit.Parameter(f"{p}bkg_x{j}", 1.0, step_size=0.01) for j in range(matrix.shape[1])]
    nps, globs, prior = {}, {}, {}

    def theta(name):
        t = zfit.Parameter(f"{p}theta_{name}", 0.0, -5.0, 5.0, step_size=0.1)
        globs[t] = zfit.Parameter(f"{p}glob_{name}", 0.0, floating=False)
        prior[t] = 1.0
        nps[name] = t
        return t

    shapes = [
        (theta(k), *variations[k]) for k in SHAPE_NPS if k in variations and sizes.get(k, 0) > 0
    ]
    norms = [(theta(k), float(sizes[k])) for k in NORM_NPS if sizes.get(k, 0) > 0]
    ss = theta("spurious") if spurious is not None else None
    ss_size = zfit.Parameter(f"{p}spurious_size", float(spurious or 0.0), floating=False)
    gammas = {}
    if rel_stat is not None:
        rel_stat = np.asarray(rel_stat, np.float64)
        big = signal >= mcstat_threshold * signal.max()
        for i in np.flatnonzero(big & (rel_stat > 0)):
            g = zfit.Parameter(
                f"{p}gamma_{i}", 1.0, 1e-3, 1.0 + 10.0 * rel_stat[i], step_size=0.1 * rel_stat[i]
            )
            globs[g] = zfit.Parameter(f"{p}glob_gamma_{i}", 1.0, floating=False)
            prior[g] = float(rel_stat[i])
            gammas[int(i)] = g
    params = {
        "mu": mu,
        "scale": scale,
        "bkg_scale": bkg_scale,
        **{f"c{j}": c for j, c in enumerate(coeffs)},
    }
    params.update({t.name: t for t, *_ in shapes})
    params.update({t.name: t for t, _ in norms})
    if ss is not None:
        params["ss"] = ss
        params["ss_size"] = ss_size
    params.update({g.name: g for g in gammas.values()})
    nominal_c = tf.constant(signal)
    shape_c = [(t.name, tf.constant(u), tf.constant(d)) for t, u, d in shapes]
    norm_c = [(t.name, float(np.log1p(size))) for t, size in norms]
    gamma_names = {i: g.name for i, g in gammas.items()}
    matrix_c = tf.constant(matrix)
    n_bins = len(signal)
    coeff_names = [f"c{j}" for j in range(len(coeffs))]

    def counts(par):
        s = nominal_c
        for name, up, down in shape_c:
            s = s + _interpolate(par[name], up, down)
        # no clipping at 0: a kink there stalls the Newton steps (the background keeps nu > 0)
        if gamma_names:
            g = [
                par[gamma_names[i]] if i in gamma_names else tf.constant(1.0, tf.float64)
                for i in range(n_bins)
            ]
            s = s * znp.stack(g)
        norm = 1.0
        for name, log_size in norm_c:
            norm = norm * znp.exp(par[name] * log_size)
        # the spurious signal rides on the same (shape-varied, gamma-scaled) signal as mu:
        # the two differ only by their priors, so the data cannot trade one for the other
        rate = par["mu"] * norm
        if ss is not None:
            rate = rate + par["ss"] * par["ss_size"]
        sig = rate * par["scale"] * s
        c = znp.stack([par[n] for n in coeff_names])
        bkg = tf.linalg.matvec(matrix_c, c) * par["bkg_scale"]
        return znp.maximum(sig + bkg, 1e-9)

    pdf = CountsPDF(space, counts, params, name=f"{p}measurement")
    data = zfit.data.BinnedSamplerData.from_sampler(
        sample_and_variances_func=lambda n, params, x=signal: (x, x),
        n=1,
        obs=space,
    )
    constraints = []
    if globs:
        ps = list(globs)
        constraints.append(
            zfit.constraint.GaussianConstraint(
                params=ps,
                observation=[globs[q] for q in ps],
                sigma=[prior[q] for q in ps],
            )
        )
    loss = zfit.loss.ExtendedBinnedNLL(model=pdf, data=data, constraints=constraints)
    return Measurement(
        edges=edges,
        signal=signal,
        pdf=pdf,
        loss=loss,
        data=data,
        mu=mu,
        coeffs=coeffs,
        nps=nps,
        gammas=gammas,
        globs=globs,
        prior_sigma=prior,
        lumi_scale=scale,
        matrix=matrix,
        sizes=dict(sizes),
        spurious_size=ss_size,
        bkg_scale=bkg_scale,
    )
