"""Discovery significance of the signal with hepstats (asymptotic formulae).

The test statistic is the profile-likelihood ratio q0 for the background-only hypothesis
``mu = 0`` (Cowan, Cranmer, Gross, Vitells 2011), evaluated with hepstats'
``AsymptoticCalculator`` and ``Discovery``: ``Z = sqrt(q0)`` for a positive fitted ``mu``,
0 otherwise. Call it after the fit; it re-minimises the loss with ``mu`` fixed to 0 and
restores nothing, so the caller resets the parameters if it fits again.
"""

from __future__ import annotations

import math

from hepstats.hypotests import Discovery
from hepstats.hypotests.calculators import AsymptoticCalculator
from hepstats.hypotests.parameters import POI


def discovery(loss, mu, opt) -> dict:
    """``{"significance", "p_value"}`` of ``mu > 0`` against ``mu = 0`` (one-sided)."""
    calculator = AsymptoticCalculator(input=loss, minimizer=opt)
    pnull, significance = Discovery(calculator, POI(mu, 0.0)).result(printlevel=0)
    z = float(significance)
    return {"significance": z if math.isfinite(z) else None, "p_value": float(pnull)}
