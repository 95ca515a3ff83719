"""The measurement fit: lhcml's zfit fit vs the same likelihood in NumPy minimised by iminuit.

The problem is the analysis' own: the binned model of one tagger's pass region built from
the outputs of ``make run`` (``lhcml.inference.measurement.build_model``: W+Z template
with JMS, JMR and JES variations, luminosity and cross section, spurious signal,
Barlow-Beeston-lite gammas, Bernstein background), and toys as the measurement draws them
(Poisson counts of the post-fit expectation and randomised global observables).

* **zfit**: ``lhcml.inference.measure.fit`` on the zfit likelihood (Fisher scoring, then
  Newton steps on the exact Hessian; errors from that Hessian), as in the analysis.
* **iminuit**: the same negative log-likelihood written in NumPy (``sum(nu - n ln nu)``
  plus the Gaussian constraints, less the saturated model's ``sum(n - n ln n)``: equal to
  zfit's up to a constant, checked below), Migrad (strategy 2) with Minuit's numerical
  gradient, then Hesse, from the same start.

Both fit the same toys; the medians of the seconds per fit are compared, and the largest
difference of the fitted ``mu`` in units of its error is reported beside them, so the
comparison is between fits that agree.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import yaml
from common import table
from iminuit import Minuit

from lhcml.inference.backend import import_zfit
from lhcml.inference.measurement import build_model, pass_region
from lhcml.io import read_json

TITLE = "Measurement fit: zfit vs the same NLL in NumPy minimised with iminuit"
#: Toys fitted by each (the same toys).
N_TOYS = 20


class NumpyNLL:
    """The measurement's negative log-likelihood in NumPy, over the parameter vector of
    ``meas.floating`` (the formula of :mod:`lhcml.inference.binned`)."""

    def __init__(self, model):
        meas = model.meas
        self.meas, self.params = meas, meas.floating
        index = {p: k for k, p in enumerate(self.params)}
        self.mu = index[meas.mu]
        self.coeffs = [index[c] for c in meas.coeffs]
        variations = model.tmpl.variations
        self.shapes = [
            (index[meas.nps[k]], 0.5 * (np.asarray(variations[k][0]) - variations[k][1]))
            for k in ("jms", "jmr", "jes")
            if k in meas.nps
        ]
        self.norms = [
            (index[meas.nps[k]], np.log1p(meas.sizes[k])) for k in ("lumi", "xsec") if k in meas.nps
        ]
        self.spurious = index.get(meas.nps.get("spurious"))
        self.gammas = [(index[g], i) for i, g in meas.gammas.items()]
        self.constrained = [(index[p], p) for p in self.params if p in meas.globs]
        self.nominal = np.asarray(meas.signal, np.float64)

    def set_data(self, counts):
        meas = self.meas
        self.n = np.asarray(counts, np.float64)
        self.bkg_scale = float(meas.bkg_scale.value())
        self.ss_size = float(meas.spurious_size.value())
        k = np.array([i for i, _ in self.constrained], dtype=int)
        self.k = k
        self.centre = np.array([float(meas.globs[p].value()) for _, p in self.constrained])
        self.sigma = np.array([meas.prior_sigma[p] for _, p in self.constrained])

    def expected(self, x):
        s = self.nominal.copy()
        for k, delta in self.shapes:
            s += x[k] * delta
        for k, i in self.gammas:
            s[i] *= x[k]
        rate = x[self.mu] * np.exp(sum(x[k] * log_size for k, log_size in self.norms))
        if self.spurious is not None:
            rate += x[self.spurious] * self.ss_size
        bkg = self.meas.matrix @ x[self.coeffs] * self.bkg_scale
        return np.maximum(rate * s + bkg, 1e-9)

    def __call__(self, x):
        x = np.asarray(x, np.float64)
        nu = self.expected(x)
        pulls = (x[self.k] - self.centre) / self.sigma
        # minus the saturated model's value (a constant): O(bins) instead of O(events)
        # at the minimum, so that Minuit's numerical derivatives keep their precision
        log_ratio = np.log(nu / np.where(self.n > 0, self.n, 1.0))
        return float(np.sum(nu - self.n - self.n * log_ratio) + 0.5 * pulls @ pulls)


def _model(args, cfg):
    """The measurement model of the config's first tagger on ``make run``'s outputs."""
    results = Path(args.results)
    tagger = cfg["taggers"][0]
    paths = {
        "features": results / "features" / f"{cfg['template_split']}.parquet",
        "scores": results / "scores" / tagger / f"{cfg['template_split']}.parquet",
        "meta": results / "inference" / "pseudodata.json",
        "ams": results / "inference" / tagger / "ams.json",
    }
    if not all(p.exists() for p in paths.values()):
        return None, tagger
    meta = read_json(paths["meta"])
    threshold = float(read_json(paths["ams"])["threshold"])
    lumi = float(cfg["lumi_fb"])
    msd, label, w, sig, sample = pass_region(
        paths["features"], paths["scores"], threshold, meta, lumi
    )
    jes = None
    if cfg["systematics"]["jes"] > 0:
        jes = {}
        for d in ("up", "down"):
            base = results / "inference" / tagger / f"jes_{d}"
            m, lab, ww, s, _ = pass_region(
                base / "features.parquet", base / "scores.parquet", threshold, meta, lumi
            )
            jes[d] = (m[s], lab[s], ww[s])
    return build_model(msd, label, w, sig, sample, cfg, jes), tagger


def run(args) -> dict | None:
    with open(args.config) as f:
        cfg = yaml.safe_load(f).get("inference")
    if cfg is None:
        return None
    import_zfit(seed=cfg["seed"], threads=1)
    import lhcml.inference.measure as M

    model, tagger = _model(args, cfg)
    if model is None:
        return None
    meas, opt = model.meas, M.minimizer()
    rng = np.random.default_rng(cfg["seed"])
    data = rng.poisson(model.smooth_bkg + cfg["mu_inj"] * model.tmpl.nominal).astype(float)
    meas.load(data)
    nominal = M.fit(meas, opt, meas.start_values(data))
    generating = nominal["values"]
    expected = meas.expected(generating)
    nll = NumpyNLL(model)
    params = nll.params
    limits = [
        (float(p.lower) if p.has_limits else None, float(p.upper) if p.has_limits else None)
        for p in params
    ]
    # the two NLLs differ by a constant only: the same difference between two points
    x_gen = np.array([generating[p] for p in params])
    nll.set_data(data)
    shifted = {**generating, meas.mu: generating[meas.mu] + 0.5}
    zfit_at_min = float(meas.loss.value())
    meas.set_values(shifted)
    zfit_diff = zfit_at_min - float(meas.loss.value())
    numpy_diff = nll(x_gen) - nll(np.array([shifted[p] for p in params]))
    t_zfit, t_minuit, dmu, dnll, errors = [], [], [], [], []
    for _ in range(N_TOYS):
        for p, g in meas.globs.items():
            g.set_value(
                rng.normal(generating[p], meas.prior_sigma[p]) if p.floating else generating[p]
            )
        counts = rng.poisson(expected).astype(float)
        meas.load(counts)
        nll.set_data(counts)
        start = {**generating}
        t0 = time.perf_counter()
        r = M.fit(meas, opt, start)
        t_zfit.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        m = Minuit(nll, x_gen.copy(), name=[p.name for p in params])
        m.errordef = Minuit.LIKELIHOOD
        m.strategy = 2
        m.limits = limits
        m.migrad()
        m.hesse()
        t_minuit.append(time.perf_counter() - t0)
        if r["valid"] and m.valid:
            err = r["errors"][meas.mu]
            dmu.append(abs(r["values"][meas.mu] - m.values[nll.mu]) / err)
            # which found the lower minimum (NumPy NLL at zfit's point minus Minuit's)
            dnll.append(nll(np.array([r["values"][p] for p in params])) - m.fval)
            errors.append((err, m.errors[nll.mu]))
    meas.reset_globs()
    tz, tm = float(np.median(t_zfit)), float(np.median(t_minuit))
    rows = [
        ["zfit (lhcml.inference.measure.fit)", tz],
        ["iminuit (Migrad + Hesse), NumPy NLL", tm],
        ["ratio zfit / iminuit", tz / tm],
    ]
    lines = [
        f"Tagger {tagger}: {len(meas.edges) - 1} bins, {len(params)} free parameters "
        f"({len(meas.nps)} nuisances, {len(meas.gammas)} gammas), {N_TOYS} toys; "
        f"both valid in {len(dmu)} of them, largest |mu_zfit - mu_iminuit| = "
        f"{max(dmu, default=float('nan')):.3f} sigma. The NLLs agree up to a constant: "
        f"NLL(mu_hat) - NLL(mu_hat + 0.5) = {zfit_diff:.6g} (zfit), {numpy_diff:.6g} (NumPy). "
        f"zfit's minimum is the lower in {sum(d < 0 for d in dnll)} of {len(dnll)} toys "
        f"(by up to {-min(dnll, default=0.0):.3g} in -ln L); median error of mu: "
        f"{np.median([e[0] for e in errors]):.4g} (zfit, exact Hessian), "
        f"{np.median([e[1] for e in errors]):.4g} (Minuit's Hesse).",
        "",
        *table(["fit", "median s per toy fit"], rows),
    ]
    results = {
        "tagger": tagger,
        "toys": N_TOYS,
        "both_valid": len(dmu),
        "max_mu_difference_sigma": max(dmu, default=None),
        "zfit_lower_minimum": int(sum(d < 0 for d in dnll)),
        "max_nll_difference": -min(dnll, default=0.0),
        "zfit_seconds_per_fit": tz,
        "iminuit_seconds_per_fit": tm,
        "ratio": tz / tm,
    }
    return {"title": TITLE, "lines": lines, "results": results}
