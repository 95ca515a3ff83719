"""Discovery significance of the signal with hepstats (asymptotic formulae).

The test statistic is the profile-likelihood ratio q0 for the background-only hypothesis
``mu = 0`` (Cowan, Cranmer, Gross, Vitells 2011), evaluated with hepstats'
``AsymptoticCalculator`` and ``Discovery``: ``Z = sqrt(q0)`` for a positive fitted ``mu``,
0 otherwise.

hepstats minimises the likelihood itself, with ``mu`` free and with ``mu`` fixed at 0,
each time from the parameters' current values. Given zfit's Minuit, the fit at
``mu = 0`` starts from the best fit with only ``mu`` moved: far along the valley of
``mu`` and the signal-normalisation nuisances (luminosity, cross section, spurious
signal), where Minuit can stop early; its minimum is then too high and q0 too large (seen
on the default configuration: Z = 7.2 for mu = 1.0 +- 1.9). hepstats is therefore given
:class:`MeasurementMinimizer`, which runs lhcml's fit (:func:`.measure.fit`: Newton steps
on the exact Hessian, Minuit where they do not converge) from a start that keeps the
signal rate of the best fit.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from hepstats.hypotests import Discovery
from hepstats.hypotests.calculators import AsymptoticCalculator
from hepstats.hypotests.parameters import POI
from scipy.stats import norm

import lhcml.inference.measure as M

log = logging.getLogger("lhcml.inference")


@dataclass
class Minimum:
    """What hepstats reads of a minimisation (a zfit ``FitResult``'s fields it uses)."""

    loss: object
    fmin: float
    params: dict
    valid: bool
    converged: bool
    reason: str | None = None


class MeasurementMinimizer:
    """hepstats' minimizer interface (``minimize(loss)``) over :func:`.measure.fit` of a
    binned measurement (:class:`.binned.Measurement`).

    The parameters hepstats fixes (``mu``, set to the tested value) are held; the others
    start from ``best`` with the spurious-signal nuisance moved so that the signal rate
    ``mu L(theta) + theta_ss size_ss`` stays that of ``best`` (:meth:`~.binned.Measurement.
    keep_rate`). ``minima`` records every result, for the caller to check their validity.
    """

    def __init__(self, meas, opt, best: dict):
        self.meas, self.opt, self.best = meas, opt, dict(best)
        self.rate = meas.signal_rate(best)
        self.verbosity = 0
        self.minima: list[Minimum] = []

    def minimize(self, loss, params=None, init=None) -> Minimum:

        meas = self.meas
        if loss is not meas.loss:
            raise ValueError("MeasurementMinimizer minimises its measurement's loss only")
        held = [p for p in meas.all_params if not p.floating and p in self.best]
        start = {**self.best, **{p: float(p.value()) for p in held}}
        ss = meas.nps.get("spurious")
        if meas.mu in held and ss is not None and ss.floating:
            start = meas.keep_rate(start, self.rate, free=ss)
        tested = ", ".join(f"{p.name} = {float(p.value()):g}" for p in held if p is meas.mu)
        r = M.fit(meas, self.opt, start, context=f"significance: fit with {tested or 'mu free'}")
        values = {p: {"value": v} for p, v in r["values"].items()}
        out = Minimum(loss, r["nll"], values, r["valid"], r["valid"], r["reason"])
        self.minima.append(out)
        return out


def discovery(meas, opt, best: dict) -> dict:
    """``{"significance", "p_value"}`` of ``mu > 0`` against ``mu = 0`` (one-sided) on the
    data loaded in ``meas``, ``best`` being the fit of that data (start values).

    hepstats returns the p-value ``1 - Phi(sqrt(q0))``, which underflows to 0 (and the
    significance to infinity) above ~8 sigma; there the significance is ``sqrt(q0)`` from
    the same calculator's observed test statistic and the p-value ``Phi(-sqrt(q0))``.
    Both are None, with a warning naming the failed fit, if a fit behind q0 is invalid.
    Leaves the parameters at the last fit's values.
    """
    minimizer = MeasurementMinimizer(meas, opt, best)
    calculator = AsymptoticCalculator(input=meas.loss, minimizer=minimizer)
    poi = POI(meas.mu, 0.0)
    pnull, significance = Discovery(calculator, poi).result(printlevel=0)
    z, p = float(significance), float(pnull)
    if not math.isfinite(z):
        q0 = float(np.ravel(calculator.qobs(poi, onesideddiscovery=True))[0])
        z = math.sqrt(max(q0, 0.0)) if math.isfinite(q0) else math.nan
        p = float(norm.sf(z))
    failed = [m.reason for m in minimizer.minima if not m.valid]
    if failed:
        log.warning("discovery significance not computed: a fit behind q0 failed: %s", failed[0])
        return {"significance": None, "p_value": None}
    return {"significance": z if math.isfinite(z) else None, "p_value": p}
