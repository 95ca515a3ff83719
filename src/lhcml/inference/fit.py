"""The maximum-likelihood fit: Minuit, Hesse and Minos errors, status and covariance quality.

:func:`minimize` returns a plain dict (what goes into fit.json). A fit counts as *valid*
only if Minuit reports a valid minimum (converged within its call limit and EDM
tolerance, no parameter at a limit) and Hesse gives a positive-definite covariance; an
invalid fit is reported as ``{"valid": false, ...}`` with the status and *no* parameter
values, so no number from a failed fit can be mistaken for a result.
"""

from __future__ import annotations

import logging
import math
import time

import zfit

log = logging.getLogger("lhcml.inference")


def minimizer(
    tol: float | None = None, maxiter: int | None = None, mode: int | None = None,
    verbosity: int = 0,
):  # fmt: skip
    """zfit's Minuit; ``maxiter`` caps the calls, ``mode`` is Minuit's strategy (0, 1, 2).

    Strategy 0 skips Migrad's own Hessian checks; the toys use it, with a Hesse call after
    each fit for the error.
    """
    return zfit.minimize.Minuit(tol=tol, maxiter=maxiter, mode=mode, verbosity=verbosity)


def _status(result) -> dict:
    """Fit status and covariance quality from zfit's result and iminuit's FunctionMinimum."""
    status = {
        "converged": bool(result.converged),
        "params_at_limit": bool(result.params_at_limit),
        "edm": float(result.edm) if result.edm is not None else None,
        "nll_min": float(result.fmin),
    }
    minuit = result.info.get("minuit") if isinstance(result.info, dict) else None
    fmin = getattr(minuit, "fmin", None)
    if fmin is not None:
        status.update(
            minuit_valid=bool(fmin.is_valid),
            call_limit_reached=bool(fmin.has_reached_call_limit),
            edm_above_max=bool(fmin.is_above_max_edm),
            covariance_accurate=bool(fmin.has_accurate_covar),
            covariance_posdef=bool(fmin.has_posdef_covar),
            covariance_forced_posdef=bool(fmin.has_made_posdef_covar),
            nfcn=int(fmin.nfcn),
        )
    return status


def _finite(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def below_floor(floors) -> list[str]:
    """Names of the parameters whose value is below their floor (``{param: floor}``).

    A yield that ends within one event of its physical bound 0 is a boundary solution that
    zfit's own at-limit tolerance does not flag (e.g. a background yield of 5e-5 events when
    a sculpting tagger's pass region looks like signal only): its Hesse error is meaningless.
    """
    return [p.name for p, floor in (floors or {}).items() if float(p.value()) < floor]


def minimize(
    loss, params, poi=None, minos: bool = True, opt=None, hesse: bool = True, floors=None
) -> dict:
    """Minimise ``loss`` over its free parameters; report ``params`` (and Minos for ``poi``).

    Returns ``{"valid", "status", "params": {name: {"value", "hesse", "minos_lower",
    "minos_upper"}}, "fit_seconds"}``; ``params`` is absent when the fit is invalid. A
    parameter that ends below its entry in ``floors`` makes the fit invalid
    (:func:`below_floor`).
    """
    opt = opt or minimizer()
    start = time.perf_counter()
    result = opt.minimize(loss)
    out = {"status": _status(result)}
    out["status"]["at_limit"] = [p.name for p in params if bool(p.at_limit)]
    out["status"]["below_floor"] = below_floor(floors)
    valid = bool(result.valid) and out["status"].get("minuit_valid", True)
    valid = valid and not out["status"]["below_floor"]
    if valid and hesse:
        errors = result.hesse(name="hesse")
        valid = all(p in errors and _finite(errors[p]["error"]) is not None for p in params)
        out["status"]["covariance_posdef"] = out["status"].get("covariance_posdef", valid)
    if valid:
        report = {}
        for p in params:
            entry = {"value": float(p.value())}
            if hesse:
                entry["hesse"] = float(result.params[p]["hesse"]["error"])
            report[p.name] = entry
        if minos and poi is not None:
            errors, new_result = result.errors(params=[poi], name="minos", method="minuit_minos")
            minos_ok = new_result is None and poi in errors
            entry = report[poi.name]
            entry["minos_valid"] = bool(minos_ok)
            if minos_ok:
                entry["minos_lower"] = float(errors[poi]["lower"])
                entry["minos_upper"] = float(errors[poi]["upper"])
        out["params"] = report
    out["valid"] = bool(valid)
    out["fit_seconds"] = time.perf_counter() - start
    if not valid:
        log.warning("fit invalid: %s", out["status"])
    return out
