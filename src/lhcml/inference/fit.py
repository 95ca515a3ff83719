"""The maximum-likelihood fit: Minuit, Hesse and Minos errors, status and covariance quality.

:func:`minimize` returns a plain dict (what goes into fit.json). A fit counts as *valid*
only if Minuit reports a valid minimum (converged within its call limit and EDM
tolerance, no parameter at a limit) and the errors are finite; an invalid fit is reported
as ``{"valid": false, ...}`` with the status and *no* parameter values, so no number from
a failed fit can be mistaken for a result.

Errors (:func:`hesse`) come from Minuit's Hesse unless Minuit reports that covariance as
not accurate or forced positive-definite. That happens when a background coefficient
``c = theta^2`` ends at 0 (a polynomial term the data want negative): the likelihood is
then flat to fourth order in ``theta``, Minuit's Hessian is singular and the "forced"
matrix gives errors on ``mu`` ten times too small. There the errors come from zfit's
numerical Hessian in the external parameters (``hesse_np``), which stays regular, and
the fit records which method it used.

A yield that ends within one event of its physical bound 0 (``floors``) is a boundary
solution, the constrained maximum of the likelihood: the fit is valid (Minuit converged,
and no other parameter is at a limit) and flagged in ``status["at_boundary"]``. It is what
a tagger that sculpts the QCD mass into the W/Z peak gives: the pass region looks like
signal only.
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


def _fmin(result):
    """iminuit's FunctionMinimum behind a zfit result (its latest state), or None."""
    minuit = result.info.get("minuit") if isinstance(result.info, dict) else None
    return getattr(minuit, "fmin", None)


def _status(result) -> dict:
    """Fit status and covariance quality from zfit's result and iminuit's FunctionMinimum."""
    status = {
        "converged": bool(result.converged),
        "params_at_limit": bool(result.params_at_limit),
        "edm": float(result.edm) if result.edm is not None else None,
        "nll_min": float(result.fmin),
    }
    fmin = _fmin(result)
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


def below_floor(floors) -> list[str]:
    """Names of the parameters whose value is below their floor (``{param: floor}``).

    A yield that ends within one event of its physical bound 0 is a boundary solution that
    zfit's own at-limit tolerance does not flag (e.g. a background yield of 5e-5 events when
    a sculpting tagger's pass region looks like signal only).
    """
    return [p.name for p, floor in (floors or {}).items() if float(p.value()) < floor]


def valid_minimum(result, floors=None) -> bool:
    """zfit's validity, except that the parameters of ``floors`` may end at a limit.

    zfit calls any fit with a parameter at a limit invalid; a yield at its physical bound
    0 is instead the constrained maximum-likelihood solution (see the module docstring).
    """
    if result.valid:
        return True
    fmin = _fmin(result)
    if not result.converged or (fmin is not None and not fmin.is_valid):
        return False
    allowed = {p.name for p in floors or {}}
    return all(p.name in allowed for p in result.params if bool(p.at_limit))


def minuit_covariance_ok(result) -> bool:
    """Whether Minuit's last covariance (after Hesse) is accurate and not forced pos-def."""
    fmin = _fmin(result)
    if fmin is None:
        return True
    return bool(fmin.has_accurate_covar) and not bool(fmin.has_made_posdef_covar)


def hesse(result, params) -> tuple[dict, str]:
    """Symmetric errors ``{param: error}`` of ``params`` and the method that gave them.

    Minuit's Hesse (``"minuit_hesse"``), or zfit's numerical Hessian (``"hesse_np"``)
    where Minuit's covariance is not accurate or was forced positive-definite (see the
    module docstring). Errors that are not finite are NaN.
    """
    method = "minuit_hesse"
    errors = result.hesse(params=params, name="hesse")
    if not minuit_covariance_ok(result):
        method = "hesse_np"
        errors = result.hesse(params=params, name="hesse_np", method="hesse_np")
    out = {}
    for p in params:
        err = float(errors[p]["error"]) if p in errors else math.nan
        out[p] = err if math.isfinite(err) and err > 0 else math.nan
    return out, method


def minimize(
    loss, params, poi=None, minos: bool = True, opt=None, want_hesse: bool = True,
    floors=None,
) -> dict:  # fmt: skip
    """Minimise ``loss`` over its free parameters; report ``params`` (and Minos for ``poi``).

    Returns ``{"valid", "status", "params": {name: {"value", "hesse", "minos_lower",
    "minos_upper"}}, "fit_seconds"}``; ``params`` is absent when the fit is invalid. The
    parameters that end below their entry in ``floors`` are listed in
    ``status["at_boundary"]`` (:func:`below_floor`); ``status["hesse_method"]`` says which
    Hessian gave the errors (:func:`hesse`).
    """
    opt = opt or minimizer()
    start = time.perf_counter()
    result = opt.minimize(loss)
    out = {"status": _status(result)}
    out["status"]["at_limit"] = [p.name for p in params if bool(p.at_limit)]
    out["status"]["at_boundary"] = below_floor(floors)
    valid = valid_minimum(result, floors) and out["status"].get("minuit_valid", True)
    errors = {}
    if valid and want_hesse:
        errors, out["status"]["hesse_method"] = hesse(result, params)
        # the covariance quality of Minuit's Hesse (Migrad's own estimate is replaced)
        out["status"].update({k: v for k, v in _status(result).items() if k.startswith("cov")})
        valid = all(math.isfinite(e) for e in errors.values())
    if valid:
        report = {}
        for p in params:
            entry = {"value": float(p.value())}
            if want_hesse:
                entry["hesse"] = errors[p]
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
    elif out["status"]["at_boundary"]:
        log.warning("fit at a physical boundary: %s below %s", out["status"]["at_boundary"],
                    {p.name: f for p, f in (floors or {}).items()})  # fmt: skip
    return out
