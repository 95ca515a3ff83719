"""Pull summaries of toy studies (the toys themselves: :func:`lhcml.inference.measure.run_toys`).

For n toys with fitted ``mu_hat``, errors ``sigma`` and generating value ``mu_gen`` the
pulls ``(mu_hat - mu_gen) / sigma`` are standard normal for an unbiased fit with correct
errors; failed fits are counted by the caller and left out (never replaced by numbers).
"""

from __future__ import annotations

import logging
import math

import numpy as np

log = logging.getLogger("lhcml.inference")


def pull_summary(mu_hat, mu_err, mu_gen: float) -> dict:
    """Mean and width (standard deviation) of the pulls with their statistical errors.

    For n pulls with sample standard deviation s: error on the mean s / sqrt(n), error on
    the width s / sqrt(2 (n - 1)) (Gaussian approximation).
    """
    mu_hat, mu_err = np.asarray(mu_hat, np.float64), np.asarray(mu_err, np.float64)
    ok = np.isfinite(mu_hat) & np.isfinite(mu_err) & (mu_err > 0)
    pulls = (mu_hat[ok] - mu_gen) / mu_err[ok]
    n = len(pulls)
    if n < 2:
        return {
            "n": n,
            "pull_mean": None,
            "pull_mean_err": None,
            "pull_width": None,
            "pull_width_err": None,
            "mu_mean": None,
            "mu_std": None,
        }
    width = float(np.std(pulls, ddof=1))
    return {
        "n": n,
        "pull_mean": float(pulls.mean()),
        "pull_mean_err": width / math.sqrt(n),
        "pull_width": width,
        "pull_width_err": width / math.sqrt(2 * (n - 1)),
        "mu_mean": float(mu_hat[ok].mean()),
        "mu_std": float(np.std(mu_hat[ok], ddof=1)),
    }


def linear_fit(x, y, err) -> dict | None:
    """Weighted least squares ``y = offset + slope x`` with errors, chi2 and ndf (None below
    2 distinct points): the linearity of an injection test, fitted mu against injected mu."""
    x, y, err = (np.asarray(v, np.float64) for v in (x, y, err))
    if len(x) < 2 or len(np.unique(x)) < 2:
        return None
    w = 1.0 / err**2
    a = np.array([[w.sum(), (w * x).sum()], [(w * x).sum(), (w * x * x).sum()]])
    cov = np.linalg.inv(a)
    offset, slope = cov @ np.array([(w * y).sum(), (w * x * y).sum()])
    chi2 = float((w * (y - offset - slope * x) ** 2).sum())
    return {
        "slope": float(slope),
        "slope_err": float(math.sqrt(cov[1, 1])),
        "offset": float(offset),
        "offset_err": float(math.sqrt(cov[0, 0])),
        "chi2": chi2,
        "ndf": len(x) - 2,
    }
