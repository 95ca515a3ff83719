"""Fits of the binned measurement (:mod:`.binned`): errors, scans, impacts, significance, toys.

Conventions:

* errors come from the exact (automatic-differentiation) Hessian of the NLL at the minimum,
  ``cov = H^-1`` (the NLL's ``errordef`` is 1/2); a fit is *valid* if Minuit reports a
  valid minimum, no free parameter is at a limit and ``H`` is positive definite;
* the *statistical* error of ``mu`` is its error with every nuisance parameter (thetas and
  gammas) fixed at its fitted value; the *systematic* error is
  ``sqrt(total^2 - stat^2)``;
* the *impact* of a nuisance ``theta`` is the shift of ``mu`` when ``theta`` is fixed at
  ``theta_hat +- sigma`` and the rest refitted, with ``sigma`` the prior width (pre-fit)
  or the post-fit error (post-fit); the gammas' impact is the quadrature difference of
  the errors of ``mu`` with and without them floating;
* a *pull* of a nuisance is ``(theta_hat - theta_0) / sigma_prior``, its *constraint*
  ``sigma_hat / sigma_prior``;
* toys fluctuate the data (Poisson) *and* the global observables (Gaussian around the
  generating values), so their pulls ``(x_hat - x_gen) / sigma_hat`` are standard normal
  for an unbiased fit with correct errors.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import zfit

from lhcml.inference.binned import param_bounds
from lhcml.inference.toys import pull_summary

log = logging.getLogger("lhcml.inference")


def minimizer(tol: float = 1e-3):
    """Minuit (variable metric) with the exact, automatic-differentiation gradient of the
    likelihood: it finds the basin; :func:`fit` then finishes with Newton steps on the
    exact Hessian (:func:`newton_polish`)."""
    return zfit.minimize.Minuit(tol=tol, gradient="zfit", mode=0)


def _beyond(p) -> bool:
    """Whether ``p`` is at or outside its limits, with zfit's ``Parameter.at_limit``
    tolerance (within ``min(0.005 * range, 1e-5)`` of a limit), in Python: zfit's property
    runs a few TensorFlow operations per parameter (a third of a toy fit's time)."""
    if not p.has_limits:
        return False
    v = float(p.value())
    lo = float(p.lower) if p.lower is not None else -math.inf
    hi = float(p.upper) if p.upper is not None else math.inf
    tol = min(abs(hi - lo) * 0.005, 1e-5)
    return v <= lo + tol or v >= hi - tol


def describe_failure(result, params) -> str:
    """Which parameters are at or beyond their limits, with value and limits (and Minuit's
    status, if ``result`` is Minuit's)."""
    parts = []
    info = getattr(result, "info", None)
    fmin = getattr(info.get("minuit") if isinstance(info, dict) else None, "fmin", None)
    if result is not None and not result.converged:
        parts.append("Minuit did not converge")
    if fmin is not None:
        if fmin.has_reached_call_limit:
            parts.append(f"call limit reached ({fmin.nfcn} calls)")
        if fmin.is_above_max_edm:
            parts.append(f"EDM {fmin.edm:.3g} above the tolerance")
    for p in params:
        if _beyond(p):
            parts.append(
                f"{p.name} = {float(p.value()):.6g} at its limit "
                f"[{float(p.lower):.6g}, {float(p.upper):.6g}]"
            )
    return "; ".join(parts) or "unknown"


#: Largest estimated distance to the minimum, 0.5 g^T H^-1 g (units of -ln L), of a valid fit.
EDM_MAX = 1e-3
#: EDM at which the Newton steps stop.
EDM_POLISH = 1e-7
#: EDM (with the Fisher information) below which :func:`_polish` takes exact Newton steps.
EDM_SCORING = 1e-2


def _exact(meas, params, free=None):
    """``-ln L``, its gradient and its Hessian (automatic differentiation), always taken
    over the same ``params`` (one compiled function per model, :meth:`.binned.Measurement.nll`)
    and sliced to the ``free`` ones (indices)."""
    f, g, h = meas.nll(params).exact()
    if free is not None:
        g, h = g[free], h[np.ix_(free, free)]
    return f, g, h


def _fisher(meas, params, free=None):
    """``-ln L``, its gradient and its expected Hessian (Fisher information) over
    ``params``, sliced to the ``free`` ones: ``F = J^T diag(1 / nu) J + diag(1 / sigma^2)``,
    with ``J = d nu / d p`` the Jacobian of the expected counts ``nu`` and ``sigma`` the
    prior width of a constrained parameter (:meth:`.nll.CompiledNLL.fisher`).

    ``F`` is positive (semi-)definite everywhere, where the exact Hessian of a product
    ``mu * (1 + d)^theta`` far from the minimum is not; at the minimum of a large data set
    the two agree (the expected and observed information), so Fisher-scoring steps
    (Gauss-Newton for Poisson counts) reach the minimum's neighbourhood where the exact
    Newton steps of :func:`_polish` would need Levenberg-Marquardt damping.
    """
    f, g, info = meas.nll(params).fisher()
    if free is not None:
        g, info = g[free], info[np.ix_(free, free)]
    return f, g, info


def _free(meas, fixed=()) -> tuple[list, list[int]]:
    """The parameters the derivatives are taken over (every parameter the model lets
    float) and the indices of those not in ``fixed``."""
    params = meas.floating
    return params, [i for i, p in enumerate(params) if p not in set(fixed)]


def curvature(meas, fixed=(), derivatives=None) -> tuple[dict, float, bool]:
    """Errors ``{param: error}`` of the floating parameters not in ``fixed``, the EDM and
    whether the exact (AD) Hessian at the current point is positive definite.
    ``derivatives``: the gradient and Hessian at the current point if already computed
    (the last Newton step's, :func:`_polish`), else they are computed here."""
    params, free = _free(meas, fixed)
    g, h = derivatives if derivatives is not None else _exact(meas, params, free)[1:]
    params = [params[i] for i in free]
    try:
        np.linalg.cholesky(h)
        cov = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return {p: math.nan for p in params}, math.inf, False
    edm = float(0.5 * g @ cov @ g)
    err = np.sqrt(np.clip(np.diag(cov), 0, None))
    ok = bool(np.all(np.isfinite(err)) and np.all(err > 0))
    return dict(zip(params, err, strict=True)), edm, ok


def _damped_step(h, g) -> tuple[np.ndarray, float]:
    """The Newton step ``(H + lambda D)^-1 g`` with the smallest Levenberg-Marquardt damping
    ``lambda`` (``D = diag(H)``) that makes the matrix positive definite, and the EDM
    (inf while damping is needed).

    Off the minimum the exact Hessian of a product ``mu * (1 + d)^theta`` can have a
    negative eigenvalue of order ``N * (mu - mu_hat)`` (``N``: the events); the damped step
    still descends, and at the minimum no damping is needed.
    """
    d = np.maximum(np.abs(np.diag(h)), 1e-12)
    lam = 0.0
    for _ in range(40):
        try:
            np.linalg.cholesky(h + lam * np.diag(d))
            step = np.linalg.solve(h + lam * np.diag(d), g)
            return step, (float(0.5 * g @ step) if lam == 0.0 else math.inf)
        except np.linalg.LinAlgError:
            lam = 1e-8 if lam == 0.0 else lam * 10.0
    return 1e-6 * g / d, math.inf


def _projected_step(h, g, x, bounds) -> tuple[np.ndarray, float]:
    """:func:`_damped_step` over the parameters that are free to move: one at a limit with
    the gradient pushing it outwards keeps its value (projected Newton, Bertsekas 1982),
    so that the step of the others descends instead of being cut back by the limit. The
    EDM is that of the free ones."""
    lo, hi = np.array(bounds, dtype=np.float64).T
    held = ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))
    if not held.any():
        return _damped_step(h, g)
    keep = np.flatnonzero(~held)
    step = np.zeros_like(g)
    if len(keep):
        step[keep], edm = _damped_step(h[np.ix_(keep, keep)], g[keep])
        return step, edm
    return step, 0.0


def newton_polish(meas, fixed=(), max_steps: int = 50) -> float:
    """Steps ``x -> x - H^-1 g``, halved until the likelihood does not rise and kept
    inside the limits (:func:`_projected_step`): with the Fisher information for ``H``
    (:func:`_fisher`) while its EDM is above :data:`EDM_SCORING` or until such a step no
    longer descends, then with the exact Hessian until the EDM is below
    :data:`EDM_POLISH` (damped where it is not positive definite, :func:`_damped_step`).
    The parameters of ``fixed`` stay where they are. Returns the final EDM (inf if never
    undamped).

    The likelihood is nearly quadratic around its minimum, but the signal-normalisation
    parameters (``mu``, luminosity, cross section, spurious signal) move one shape and
    only their priors separate them: a valley whose curvature differs from the data's by
    the number of events (~10^7). A variable-metric minimiser stops where its own EDM
    estimate is small but the exact one is not; one or two Newton steps finish the job.
    """
    return _polish(meas, fixed, max_steps)[0]


def _polish(meas, fixed=(), max_steps: int = 50) -> tuple[float, tuple | None]:
    """:func:`newton_polish`, also returning the gradient and Hessian (free parameters)
    at the final point where they were computed there (None after ``max_steps`` steps), so
    that the errors need not compute them again."""
    all_params, free = _free(meas, fixed)
    nll = meas.nll(all_params)
    bounds = [param_bounds(all_params[i]) for i in free]
    x_all = np.array([float(p.value()) for p in all_params])
    x0 = x_all[free]
    edm = math.inf
    scoring = True  # Fisher scoring until near the minimum, then exact Newton steps
    for _ in range(max_steps):
        if scoring:
            f0, g, h = _fisher(meas, all_params, free)
            step, edm = _projected_step(h, g, x0, bounds)
            scoring = edm > EDM_SCORING
        if not scoring:
            f0, g, h = _exact(meas, all_params, free)
            step, edm = _projected_step(h, g, x0, bounds)
            if edm < EDM_POLISH:
                return edm, (g, h)
        scale = 1.0
        for _ in range(30):
            x = np.array(
                [min(max(v, lo), hi) for v, (lo, hi) in zip(x0 - scale * step, bounds, strict=True)]
            )
            x_all[free] = x
            if nll.value_at(x_all) <= f0 + 1e-12 * abs(f0):
                x0 = x
                break
            scale *= 0.5
        else:
            x_all[free] = x0
            nll.value_at(x_all)  # back at the point of g and h
            if scoring:  # no descent along the Fisher step: exact steps from here
                scoring = False
                continue
            return edm, (g, h)
    return edm, None


def fit(
    meas,
    opt,
    start: dict,
    fixed=(),
    context: str = "fit",
    restarts: int = 2,
    warn: bool = True,
    minuit_at_limit: bool = True,
) -> dict:
    """Minimise with the parameters of ``fixed`` held at their ``start`` values.

    Newton steps on the exact gradient and Hessian from ``start`` (:func:`newton_polish`);
    if they do not reach a valid minimum, Minuit (``opt``) from there, then Newton steps
    again, at most ``restarts + 1`` times. Convergence is judged on the exact gradient and
    Hessian at the end point, not on a minimiser's own estimate: the fit is valid if the
    EDM ``0.5 g^T H^-1 g`` is below :data:`EDM_MAX`, ``H`` is positive definite and no
    free parameter is at or beyond a limit. Otherwise ``reason`` says which parameter,
    where and why (logged as a warning with ``context`` unless ``warn`` is False).
    ``minuit_at_limit=False``: a Newton end point with a free parameter at a limit is
    returned as it is (for an active set that holds such a parameter at its limit next,
    :func:`fit_non_negative_background`), not handed to Minuit.

    Returns ``{"valid", "nll", "values", "errors", "edm", "reason", "nfcn"}`` (errors of
    the floating parameters; ``nfcn``: Minuit's calls, 0 if Newton sufficed).
    """
    meas.set_values(start)
    fixed = [p for p in fixed if p.floating]
    nfcn, result = 0, None
    # Newton steps from the start first: the likelihood is nearly quadratic and the starts
    # are close, so this usually converges in a few steps. The fixed parameters are left
    # out of the steps, not switched off in zfit (that would retrace the derivatives).
    _, derivatives = _polish(meas, fixed)
    errs, edm, posdef = curvature(meas, fixed, derivatives)
    at_limit = [p for p in errs if _beyond(p)]
    saved = {p: p.floating for p in fixed}
    try:
        retry = minuit_at_limit if at_limit else not (posdef and edm < EDM_MAX)
        if retry:  # Minuit, then Newton again
            for p in fixed:
                p.floating = False
            for _ in range(restarts + 1):
                result = opt.minimize(meas.loss)
                info = result.info if isinstance(result.info, dict) else {}
                nfcn += int(info.get("n_eval", 0) or 0)
                for p, f in saved.items():
                    p.floating = f
                _, derivatives = _polish(meas, fixed)
                errs, edm, posdef = curvature(meas, fixed, derivatives)
                at_limit = [p for p in errs if _beyond(p)]
                if at_limit or (posdef and edm < EDM_MAX):
                    break
                for p in fixed:
                    p.floating = False
        valid = not at_limit and posdef and edm < EDM_MAX
        reason = None
        if at_limit:
            reason = describe_failure(result, at_limit)
        elif not posdef:
            reason = "Hessian not positive definite at the end point"
        elif not edm < EDM_MAX:
            reason = f"EDM {edm:.3g} above {EDM_MAX:g} after {restarts + 1} minimisations"
        out = {
            "valid": valid,
            "nll": float(meas.loss.value()),
            "values": meas.values(),
            "errors": errs if valid else {},
            "edm": edm,
            "reason": reason,
            "nfcn": nfcn,
        }
    finally:
        for p, f in saved.items():
            p.floating = f
    if not out["valid"]:
        (log.warning if warn else log.info)("%s invalid: %s", context, out["reason"])
    log.debug("%s: valid %s, %d Minuit calls, EDM %.2g", context, out["valid"], nfcn, out["edm"])
    return out


#: Gradient of -ln L (per unit of a background parameter) below which a yield held at
#: zero wants to grow and is released.
KKT_TOLERANCE = 1e-6


def fit_non_negative_background(meas, opt, start: dict, fixed=(), context: str = "fit") -> dict:
    """:func:`fit` with every background yield ``c_j >= 0``, by an active set: a yield
    that ends at zero is held there and the rest refitted, until the fit is valid or no
    further yield reaches zero. The limits are set for this fit only.

    For a few hundred events (the closure fits) the free Bernstein background can dip
    to zero or below in bins without events, where ``-ln L`` has no minimum inside the
    region the model is defined in. Non-negative coefficients keep the background
    non-negative everywhere (a Bernstein polynomial with non-negative coefficients is);
    a coefficient held at zero is a boundary solution, not a failure (all of them at
    zero: data without background in the fit range, ``mu`` alone fitted). Returns
    :func:`fit`'s dict with ``zero_coefficients``, how many are held at zero.

    The Newton steps keep the yields inside their limits and stop at the boundary
    (``minuit_at_limit=False``), where the yield is then held; a held yield whose gradient
    says the likelihood would rise off zero is released again.
    """
    lower = {c: (float(c.lower) if c.has_limits else None) for c in meas.coeffs}
    zero: list = []
    tried: list = []  # yields released once
    start = {**start, **{c: max(float(start.get(c, 1.0)), 1e-3) for c in meas.coeffs}}
    try:
        for c in meas.coeffs:
            c.lower = 0.0
        for _ in range(2 * len(meas.coeffs) + 1):
            step = f"{context} ({len(zero)} background yields held at zero)"
            out = fit(
                meas,
                opt,
                start,
                fixed=[*fixed, *zero],
                context=step,
                warn=False,
                minuit_at_limit=False,
            )
            if out["valid"]:
                # a minimum on the boundary: no held yield may lower -ln L by growing
                # (Karush-Kuhn-Tucker); one that does is released and the fit repeated
                # (once per yield: the steps may take one that the coupling to mu brings
                # back to zero there again, and then the held fit stands)
                _, g, _ = _exact(meas, meas.floating)
                grad = dict(zip(meas.floating, g, strict=True))
                released = [c for c in zero if grad[c] < -KKT_TOLERANCE and c not in tried]
                if not released:
                    break
                tried += released
                zero = [c for c in zero if c not in released]
                start = {**out["values"], **{c: 1e-3 for c in released}}
                continue
            newly = [c for c in meas.coeffs if c not in zero and _beyond(c)]
            if not newly:
                break
            zero += newly
            start = {**out["values"], **{c: 0.0 for c in zero}}
    finally:
        for c, lo in lower.items():
            c.lower = lo
    if not out["valid"]:
        log.warning("%s invalid: %s", context, out["reason"])
    out["zero_coefficients"] = len(zero)
    return out


def stat_only(meas, opt, best: dict) -> dict:
    """The fit with every nuisance fixed at its value in ``best`` (statistical error)."""
    return fit(meas, opt, best, fixed=meas.constrained, context="stat-only fit")


def scan(meas, opt, best: dict, grid, fixed=()) -> list:
    """``-2 Delta ln L`` of the profile likelihood of ``mu`` at the values ``grid``."""
    nll0 = None
    out = []
    rate = meas.signal_rate(best)
    ss = meas.nps.get("spurious")
    for x in grid:
        start = dict(best)
        start[meas.mu] = float(x)
        if ss is not None and ss not in fixed:
            start = meas.keep_rate(start, rate, free=ss)
        r = fit(meas, opt, start, fixed=(meas.mu, *fixed), context=f"scan mu={x:.4g}")
        out.append(r["nll"] if r["valid"] else math.nan)
    ref = fit(meas, opt, best, fixed=fixed, context="scan minimum")
    nll0 = ref["nll"]
    return [2.0 * (v - nll0) if math.isfinite(v) else None for v in out]


def scan_interval(grid, q) -> tuple[float | None, float | None]:
    """Where ``-2 Delta ln L`` crosses 1 on each side of its minimum (linear interpolation)."""
    x = np.asarray(grid, np.float64)
    y = np.array([np.nan if v is None else v for v in q], np.float64)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3:
        return None, None
    i = int(np.argmin(y))
    lo = hi = None
    for j in range(i, 0, -1):
        if y[j - 1] >= 1.0 > y[j]:
            lo = float(np.interp(1.0, [y[j], y[j - 1]], [x[j], x[j - 1]]))
            break
    for j in range(i, len(x) - 1):
        if y[j + 1] >= 1.0 > y[j]:
            hi = float(np.interp(1.0, [y[j], y[j + 1]], [x[j], x[j + 1]]))
            break
    return lo, hi


def impacts(meas, opt, best: dict, post_errors: dict) -> dict:
    """Pre- and post-fit impacts on ``mu`` of each theta, and of the gammas as a group."""
    mu_hat = best[meas.mu]
    out = {}
    for name, t in meas.nps.items():
        if not t.floating:
            continue
        entry = {}
        for kind, sigma in (("prefit", meas.prior_sigma[t]), ("postfit", post_errors.get(t))):
            shifts = []
            for sign in (1.0, -1.0):
                start = dict(best)
                start[t] = best[t] + sign * sigma
                start = meas.keep_rate(start, meas.signal_rate(best))
                r = fit(meas, opt, start, fixed=(t,), context=f"impact {name} {kind} {sign:+g}")
                shifts.append(r["values"][meas.mu] - mu_hat if r["valid"] else None)
            entry[kind] = {"up": shifts[0], "down": shifts[1]}
        entry["pull"] = (best[t] - 0.0) / meas.prior_sigma[t]
        entry["constraint"] = post_errors.get(t, math.nan) / meas.prior_sigma[t]
        out[name] = entry
    return out


def group_impact(meas, opt, best: dict, params, total_err: float) -> float | None:
    """``sqrt(total^2 - err^2)`` of ``mu`` with ``params`` fixed at their best values."""
    if not params:
        return None
    r = fit(meas, opt, best, fixed=params, context="group impact")
    if not r["valid"]:
        return None
    return math.sqrt(max(total_err**2 - r["errors"][meas.mu] ** 2, 0.0))


def run_toys(meas, opt, generating: dict, n_toys: int, rng) -> dict:
    """Toys with Poisson data and randomised global observables (module docstring)."""
    expected = meas.expected(generating)
    pulls = {"mu": [], **{n: [] for n, t in meas.nps.items() if t.floating}}
    mu_hat, mu_err, n_failed = [], [], 0
    t0 = time.perf_counter()
    for _ in range(n_toys):
        for p, g in meas.globs.items():
            g.set_value(
                rng.normal(generating[p], meas.prior_sigma[p]) if p.floating else generating[p]
            )
        meas.load(rng.poisson(expected).astype(np.float64))
        # start where the new global observables move the nuisances, at the same signal
        start = dict(generating)
        for p, g in meas.globs.items():
            if p.floating and p in meas.nps.values():
                start[p] = float(g.value())
        start = meas.keep_rate(start, meas.signal_rate(generating))
        r = fit(meas, opt, start, context="toy fit")
        if not r["valid"]:
            n_failed += 1
            continue
        mu_hat.append(r["values"][meas.mu])
        mu_err.append(r["errors"][meas.mu])
        pulls["mu"].append((mu_hat[-1] - generating[meas.mu]) / mu_err[-1])
        for n, t in meas.nps.items():
            if t.floating:
                pulls[n].append((r["values"][t] - generating[t]) / r["errors"][t])
    seconds = time.perf_counter() - t0
    meas.reset_globs()
    summary = {
        "n_toys": n_toys,
        "n_failed": n_failed,
        "seconds_per_toy": seconds / max(n_toys, 1),
        "mu_generated": generating[meas.mu],
        **pull_summary(mu_hat, mu_err, generating[meas.mu]),
    }
    np_pulls = {}
    for name, values in pulls.items():
        v = np.asarray(values, np.float64)
        np_pulls[name] = (
            {
                "mean": float(v.mean()),
                "width": float(v.std(ddof=1)),
                "mean_err": float(v.std(ddof=1) / math.sqrt(len(v))),
                "width_err": float(v.std(ddof=1) / math.sqrt(2 * (len(v) - 1))),
            }
            if len(v) > 1
            else None
        )
    summary["pulls"] = np_pulls
    log.info(
        "toys: %d (%d failed), %.3f s per toy, mu pull %.3f +- %.3f width %.3f",
        n_toys,
        n_failed,
        summary["seconds_per_toy"],
        summary["pull_mean"] or math.nan,
        summary["pull_mean_err"] or math.nan,
        summary["pull_width"] or math.nan,
    )
    return {"summary": summary, "mu": mu_hat, "mu_err": mu_err, "pulls": pulls}
