"""The mass fit: zfit (the analysis fit, ``lhcml.inference.model``) vs a plain iminuit fit
of the same extended unbinned NLL written with NumPy.

Both fit one pseudo-dataset drawn with NumPy from the analysis model (W and Z double-sided
Crystal Ball peaks with fixed shapes and one signal strength mu, a Bernstein background
with coefficients theta_i^2, the fit range and order of the config's ``inference``
section). Free parameters in both: mu, n_bkg, theta_1..theta_k, from the same start
values; Migrad then Hesse. zfit's first fit (graph building) is timed separately; the
medians are over repeated fits from the start values. The fitted mu of both is reported
beside the times, so the comparison is between fits that agree.
"""

from __future__ import annotations

from math import comb

import numpy as np
import yaml
from common import median_seconds, table
from iminuit import Minuit

from lhcml.inference import model as inf_model
from lhcml.inference.backend import import_zfit

TITLE = "Mass fit: zfit vs a NumPy NLL minimised with iminuit"

#: Peak shapes (GeV) of the pseudo-data: typical W/Z soft-drop-mass fits of the analysis.
W_SHAPE = {"mean": 80.0, "sigma": 8.0, "alphal": 1.2, "nl": 4.0, "alphar": 1.5, "nr": 6.0}
Z_SHAPE = {"mean": 90.5, "sigma": 8.5, "alphal": 1.2, "nl": 4.0, "alphar": 1.5, "nr": 6.0}
#: Expected W and Z events (mu = 1), background events and its Bernstein theta_i.
S_W, S_Z, N_BKG, MU_TRUE = 400.0, 200.0, 20000.0, 1.0


def dcb(x, mean, sigma, alphal, nl, alphar, nr):
    """Unnormalised double-sided Crystal Ball (zfit's convention)."""
    t = (x - mean) / sigma
    out = np.exp(-0.5 * t**2)
    for side, a, n in ((-1, alphal, nl), (1, alphar, nr)):
        tail = side * t > a
        ts = side * t[tail]
        out[tail] = (n / a) ** n * np.exp(-0.5 * a**2) * (n / a - a + ts) ** (-n)
    return out


def bernstein(x, coeffs, low, high):
    """Unnormalised Bernstein polynomial sum_i c_i b_{i,k}((x - low)/(high - low))."""

    u = (x - low) / (high - low)
    k = len(coeffs) - 1
    return sum(c * comb(k, i) * u**i * (1 - u) ** (k - i) for i, c in enumerate(coeffs))


class NumpyNLL:
    """The extended unbinned NLL of the analysis model, in NumPy (normalised numerically
    on a 4001-point grid for the peaks, analytically for the Bernstein polynomial)."""

    def __init__(self, msd, low, high):
        self.x, self.low, self.high = msd, low, high
        grid = np.linspace(low, high, 4001)
        self.w = dcb(self.x, **W_SHAPE) / np.trapezoid(dcb(grid, **W_SHAPE), grid)
        self.z = dcb(self.x, **Z_SHAPE) / np.trapezoid(dcb(grid, **Z_SHAPE), grid)

    def __call__(self, mu, n_bkg, *thetas):
        coeffs = [1.0, *(t**2 for t in thetas)]
        norm = (self.high - self.low) * sum(coeffs) / len(coeffs)
        b = bernstein(self.x, coeffs, self.low, self.high) / norm
        density = mu * (S_W * self.w + S_Z * self.z) + n_bkg * b
        if np.any(density <= 0):
            return 1e30
        return float(mu * (S_W + S_Z) + n_bkg - np.sum(np.log(density)))


def pseudo_data(rng, low, high, order):
    """Events of the model at mu = MU_TRUE (accept-reject per component), Poisson counts."""
    coeffs = [1.0, *np.linspace(0.6, 0.2, order)]

    def draw(f, n):
        grid = np.linspace(low, high, 2001)
        fmax = f(grid).max() * 1.05
        out = np.empty(0)
        while len(out) < n:
            x = rng.uniform(low, high, 4 * n + 100)
            out = np.concatenate([out, x[rng.uniform(0, fmax, len(x)) < f(x)]])
        return out[:n]

    parts = [
        draw(lambda x: dcb(x, **W_SHAPE), rng.poisson(MU_TRUE * S_W)),
        draw(lambda x: dcb(x, **Z_SHAPE), rng.poisson(MU_TRUE * S_Z)),
        draw(lambda x: bernstein(x, coeffs, low, high), rng.poisson(N_BKG)),
    ]
    return np.concatenate(parts)


def run(args) -> dict | None:
    with open(args.config) as f:
        cfg = yaml.safe_load(f).get("inference")
    if cfg is None:
        return None
    low, high = (float(v) for v in cfg["fit_range"])
    order = int(cfg["background_order"])
    rng = np.random.default_rng(cfg["seed"])
    msd = pseudo_data(rng, low, high, order)
    start = {"mu": 1.0, "n_bkg": float(len(msd)), **{f"t{i}": 1.0 for i in range(1, order + 1)}}

    # --- iminuit on the NumPy NLL

    nll = NumpyNLL(msd, low, high)

    def fit_numpy():
        m = Minuit(lambda *p: nll(*p), *start.values(), name=list(start))
        m.errordef = Minuit.LIKELIHOOD
        m.limits["n_bkg"] = (0, None)
        m.migrad()
        m.hesse()
        return m

    t_np, _, m_np = median_seconds(fit_numpy, args.repeats)

    # --- zfit: the analysis model

    zfit = import_zfit(seed=cfg["seed"], threads=1)

    obs = inf_model.mass_space(low, high)
    model = inf_model.build_model(obs, W_SHAPE, Z_SHAPE, S_W, S_Z, order, prefix="bench")
    loss = inf_model.nll(model, inf_model.data(obs, msd))
    minimizer = zfit.minimize.Minuit()
    starts = model.start_values(len(msd))

    def fit_zfit():
        model.set_values(starts)
        result = minimizer.minimize(loss)
        result.hesse()
        return result

    t_first, _, _ = median_seconds(fit_zfit, 1)
    t_zf, _, r_zf = median_seconds(fit_zfit, args.repeats)
    mu_zf = float(r_zf.params[model.mu]["value"])
    mu_np = float(m_np.values["mu"])
    rows = [
        ["zfit (Minuit)", t_zf, f"{mu_zf:.4f}", f"{t_first:.1f} s"],
        ["iminuit, NumPy NLL", t_np, f"{mu_np:.4f}", "-"],
        ["ratio zfit / iminuit", t_zf / t_np, "", ""],
    ]
    lines = [
        f"{len(msd)} events in [{low:g}, {high:g}] GeV, Bernstein order {order}, "
        f"{order + 2} free parameters, Migrad + Hesse; injected mu = {MU_TRUE}.",
        "",
        *table(["fit", "median s per fit", "fitted mu", "first fit (graph build)"], rows),
    ]
    results = {
        "events": int(len(msd)),
        "zfit_seconds": t_zf,
        "zfit_first_fit_seconds": t_first,
        "iminuit_seconds": t_np,
        "ratio": t_zf / t_np,
        "mu_zfit": mu_zf,
        "mu_iminuit": mu_np,
    }
    return {"title": TITLE, "lines": lines, "results": results}
