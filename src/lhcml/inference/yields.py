"""Per-jet yield weights: a split's jets weighted to the full expected yield at a luminosity.

The physics weight of a jet is xsec x L_weights x genWeight / sumw over the *whole*
sample, so the jets of one split (a fraction f of the events) sum to f times the expected
yield. The yield weight divides by the realised fraction of the jet's component (its
sample, W/Z signal or not) and rescales to the luminosity ``lumi_fb``:

    w_yield = w * (lumi_fb / L_weights) * sum_w(all splits) / sum_w(this split)

so that a sum of yield weights over any selection of the split estimates the number of
jets expected at ``lumi_fb`` (with ``mu = 1``).
"""

from __future__ import annotations

import numpy as np


def yield_weights(
    sample: np.ndarray,
    signal: np.ndarray,
    weight: np.ndarray,
    totals: dict[tuple[str, bool], float],
    lumi_fb: float,
    weights_lumi_fb: float,
) -> np.ndarray:
    """Yield weights of the jets of one split (``totals``: all-split weight per component)."""
    sample, signal = np.asarray(sample), np.asarray(signal, bool)
    weight = np.asarray(weight, np.float64)
    out = np.zeros_like(weight)
    for (s, g), total in totals.items():
        sel = (sample == s) & (signal == g)
        in_split = weight[sel].sum()
        if in_split > 0:
            out[sel] = weight[sel] * (lumi_fb / weights_lumi_fb) * total / in_split
    return out
