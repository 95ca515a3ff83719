"""Discovery significance of the signal with hepstats (asymptotic formulae).

The test statistic is the profile-likelihood ratio q0 for the background-only hypothesis
``mu = 0`` (Cowan, Cranmer, Gross, Vitells 2011), evaluated with hepstats'
``AsymptoticCalculator`` and ``Discovery``: ``Z = sqrt(q0)`` for a positive fitted ``mu``,
0 otherwise. Call it after the fit; it re-minimises the loss with ``mu`` fixed to 0 and
restores nothing, so the caller resets the parameters if it fits again.
"""

from __future__ import annotations

import math

import numpy as np
from hepstats.hypotests import Discovery
from hepstats.hypotests.calculators import AsymptoticCalculator
from hepstats.hypotests.parameters import POI
from scipy.stats import norm


def discovery(loss, mu, opt) -> dict:
    """``{"significance", "p_value"}`` of ``mu > 0`` against ``mu = 0`` (one-sided).

    hepstats returns the p-value ``1 - Phi(sqrt(q0))``, which underflows to 0 (and the
    significance to infinity) above ~8 sigma; there the significance is ``sqrt(q0)`` from
    the same calculator's observed test statistic and the p-value ``Phi(-sqrt(q0))``.
    """
    calculator = AsymptoticCalculator(input=loss, minimizer=opt)
    poi = POI(mu, 0.0)
    pnull, significance = Discovery(calculator, poi).result(printlevel=0)
    z, p = float(significance), float(pnull)
    if not math.isfinite(z):
        q0 = float(np.ravel(calculator.qobs(poi, onesideddiscovery=True))[0])
        z = math.sqrt(max(q0, 0.0)) if math.isfinite(q0) else math.nan
        p = float(norm.sf(z))
    return {"significance": z if math.isfinite(z) else None, "p_value": p}
