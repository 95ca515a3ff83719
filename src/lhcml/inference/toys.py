"""Toy studies: bias and pull of mu from pseudo-experiments generated from the fitted model.

Each toy is an extended sample of the fitted model (Poisson-fluctuated yield of every
component) loaded into the same zfit data object, so the compiled likelihood is reused
(one graph for all toys). The fit starts from the generating values. The pull of a toy is

    pull = (mu_hat - mu_gen) / sigma_hesse(mu_hat)

and for an unbiased fit with correct errors the pulls are standard normal. The Hesse error
is Minuit's, or zfit's numerical Hessian where Minuit's covariance is not accurate
(:func:`lhcml.inference.fit.hesse`; counted in ``n_hesse_np``). Failed toy fits are
counted and left out of the pull distribution (never replaced by numbers); toys that end
with the background yield at its bound are counted in ``n_at_boundary``.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from tqdm import tqdm

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
        return {"n": n, "pull_mean": None, "pull_mean_err": None, "pull_width": None,
                "pull_width_err": None, "mu_mean": None, "mu_std": None}  # fmt: skip
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


def run_toys(model, sampler, loss, generating: dict, n_toys: int, opt) -> dict:
    """Fit ``n_toys`` samples of ``model`` at the parameter values ``generating``.

    ``sampler`` is the zfit SamplerData the ``loss`` was built on (it is overwritten).
    Returns per-toy ``mu``, ``mu_err`` (Hesse, NaN for failed fits), event counts,
    validity, and the pull summary.
    """
    from lhcml.inference.fit import below_floor, hesse, valid_minimum  # imports zfit

    mu_hat, mu_err, n_events, valid = [], [], [], []
    n_hesse_np = n_at_boundary = 0
    by_name = {p.name: float(v) for p, v in generating.items()}
    for _ in tqdm(range(n_toys), desc="toys", mininterval=5.0):
        sampler.resample(params=by_name)
        model.set_values(generating)
        result = opt.minimize(loss)
        ok = valid_minimum(result, model.floors)
        err = math.nan
        if ok:
            errors, method = hesse(result, [model.mu])
            err = errors[model.mu]
            ok = math.isfinite(err)
            n_hesse_np += ok and method == "hesse_np"
            n_at_boundary += ok and bool(below_floor(model.floors))
        mu_hat.append(float(model.mu.value()) if ok else math.nan)
        mu_err.append(err if ok else math.nan)
        n_events.append(int(sampler.num_entries))
        valid.append(ok)
    mu_gen = float(generating[model.mu])
    summary = pull_summary(mu_hat, mu_err, mu_gen)
    summary.update(n_toys=n_toys, n_failed=int(n_toys - sum(valid)), mu_generated=mu_gen,
                   n_hesse_np=int(n_hesse_np), n_at_boundary=int(n_at_boundary))  # fmt: skip
    log.info("toys: %s", summary)
    return {
        "summary": summary,
        "mu": [None if math.isnan(x) else x for x in mu_hat],
        "mu_err": [None if math.isnan(x) else x for x in mu_err],
        "n_events": n_events,
        "valid": valid,
    }
