"""The measurement of one tagger: what ``rules/inference.smk``'s fit job runs.

1. the tagger's pass region (AMS cut) on the template split; the W/Z template with its
   JMS, JMR and JES variations and MC statistical errors, the simulated background and its
   smooth template, all at the measurement luminosity (:mod:`.templates`);
2. the spurious signal of the background model on the simulated background
   (:func:`.measure.spurious_signal`), which sets the prior of ``theta_spurious``;
3. pseudo-data: Poisson counts of ``smooth background + mu_inj * signal``;
4. the nominal fit, the stat-only fit, profile scans of ``mu`` (full and stat-only),
   impacts, pulls, observed and expected (Asimov) discovery significance (hepstats), toys
   with randomised global observables and the signal-injection scan.

Writes fit.json (headline numbers), impacts.json, toys.json and curves.json (plots).
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from dataclasses import dataclass

import numpy as np

from lhcml.inference.backend import import_zfit
from lhcml.inference.inputs import l1_pass, read_features, read_scores
from lhcml.inference.pseudodata import jet_yields, read_datasets
from lhcml.inference.templates import (
    bernstein_matrix,
    bin_edges,
    histogram,
    mc_variance,
    signal_templates,
    smooth_background,
    spurious_signal,
)
from lhcml.inference.toys import linear_fit
from lhcml.io import read_json, write_json

log = logging.getLogger("lhcml.inference")


def pass_region(features_path, scores_path, threshold, meta, lumi_fb, msd_scale=1.0, l1=None):
    """Yield-weighted jets of the template split passing ``score >= threshold`` (and the
    emulated L1 trigger of the decision table ``l1``, if given).

    Returns ``(msd, label, weight, signal, sample)`` arrays of the passing jets (GeV,
    yields at ``lumi_fb``); ``msd_scale`` multiplies the mass (a JES-shifted table).
    """
    tmpl = read_features(features_path)
    score = read_scores(scores_path, tmpl)
    keep = l1_pass(tmpl, l1) if l1 is not None else None
    return pass_arrays(tmpl, score, threshold, meta, lumi_fb, msd_scale, keep)


def pass_arrays(features: dict, score, threshold, meta, lumi_fb, msd_scale=1.0, keep=None):
    """:func:`pass_region` of feature columns (:func:`.inputs.read_features`) and scores;
    ``keep``: a boolean mask of the jets allowed at all (e.g. the L1 decision)."""
    passed = np.asarray(score) >= threshold
    if keep is not None:
        passed &= np.asarray(keep, bool)
    signal, yw = jet_yields(features, meta, lumi_fb)
    msd = np.asarray(features["msd"], np.float64) * msd_scale
    sample = np.asarray(features["sample"])
    return (
        msd[passed],
        np.asarray(features["label"])[passed],
        yw[passed],
        signal[passed],
        sample[passed],
    )


@dataclass
class Model:
    """The binned model of one pass region and what it is built from (counts at the
    measurement luminosity, per bin of ``edges``, GeV)."""

    edges: np.ndarray
    tmpl: object  # templates.SignalTemplates
    bkg_counts: np.ndarray  # simulated background
    bkg_var: np.ndarray  # its sum of squared weights
    matrix: np.ndarray  # Bernstein basis of the fitted background
    smooth_bkg: np.ndarray  # smooth background: the pseudo-data's expectation
    spur: dict  # templates.spurious_signal
    sizes: dict  # relative sizes of jms, jmr, jes, lumi, xsec
    use_ss: bool  # spurious-signal nuisance present
    rel_stat: np.ndarray | None  # signal template MC errors (None: no gammas)
    meas: object  # binned.Measurement


def build_model(msd, label, w, sig, sample, cfg: dict, jes_tables=None) -> Model:
    """Templates, smooth background, spurious signal and the zfit model of a pass region.

    ``msd, label, w, sig, sample``: the passing jets (:func:`pass_arrays`); ``cfg``: the
    ``inference`` config section; ``jes_tables``: ``{"up": (msd, label, weight), ...}`` of
    the JES-shifted signal jets (None: no JES nuisance). zfit must have been imported
    through :func:`lhcml.inference.backend.import_zfit`.
    """
    import lhcml.inference.binned as binned

    syst = cfg["systematics"]
    edges = bin_edges(cfg["fit_range"], cfg["bin_width"])
    tmpl = signal_templates(
        msd[sig], label[sig], w[sig], edges, syst["jms"], syst["jmr"], jes_tables
    )
    bkg = ~sig
    bkg_counts, bkg_var = histogram(msd[bkg], w[bkg], edges)
    matrix = bernstein_matrix(edges, cfg["background_order"])
    components = smooth_background(msd[bkg], w[bkg], sample[bkg], edges, cfg["template_order"])
    smooth_bkg = components["total"]
    mc_var = mc_variance(components, msd[bkg], w[bkg], sample[bkg], edges)
    spur = spurious_signal(tmpl.nominal, matrix, bkg_counts, mc_var, smooth_bkg)
    use_ss = bool(syst["spurious_signal"])
    sizes = {k: float(syst[k]) for k in ("jms", "jmr", "jes", "lumi", "xsec")}
    rel_stat = tmpl.rel_stat if syst["template_stat"] else None
    meas = binned.build(
        edges,
        tmpl.nominal,
        tmpl.variations,
        rel_stat,
        matrix,
        sizes,
        spurious=spur["size"] if use_ss else None,
        mu_limits=cfg["mu_limits"],
        mcstat_threshold=cfg["mcstat_threshold"],
    )
    if use_ss:
        meas.set_spurious(spur["size"])
    return Model(
        edges, tmpl, bkg_counts, bkg_var, matrix, smooth_bkg, spur, sizes, use_ss, rel_stat, meas
    )


def _round(x, digits: int = 4):
    if x is None or not isinstance(x, float) or not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def measure_tagger(
    tagger: str,
    template_features,
    template_scores,
    pseudodata_meta,
    ams_path,
    cfg: dict,
    seed: int,
    threads: int,
    out_fit,
    out_impacts,
    out_toys,
    out_curves,
    jes=None,
    closure=None,
    l1=None,
) -> dict:
    """The measurement of ``tagger`` (module docstring).

    ``cfg``: the ``inference`` config section (lumi_fb, mu_inj, injection, fit_range,
    bin_width, background_order, template_order, mu_limits, toys, mcstat_threshold,
    systematics). ``jes``: ``{"up": (features, scores), "down": ...}`` of the template
    split with JES-shifted jets rescored (None: no JES nuisance). ``closure``:
    ``{"features", "scores", "pseudodata"}`` of the test split and its drawn pseudo-data
    sets (:func:`closure_fits`; None: none). ``l1``: the trigger branch's L1 decision
    table; if given, only jets of events the emulated L1 trigger accepts enter the
    measurement (the same AMS cut, the same model: the L1 selection applied upstream of
    the fit; the JES-shifted jets keep their event's nominal decision).
    """
    t_start = time.perf_counter()
    outputs = (out_fit, out_impacts, out_toys, out_curves)
    meta = read_json(pseudodata_meta)
    threshold = float(read_json(ams_path)["threshold"])
    lumi = float(cfg["lumi_fb"])
    syst = cfg["systematics"]
    msd, label, w, sig, sample = pass_region(
        template_features, template_scores, threshold, meta, lumi, l1=l1
    )
    jes_tables = None
    if jes is not None and syst["jes"] > 0:
        jes_tables = {}
        for k, (fpath, spath) in jes.items():
            m, lab, ww, s, _ = pass_region(fpath, spath, threshold, meta, lumi, l1=l1)
            jes_tables[k] = (m[s], lab[s], ww[s])

    import_zfit(seed, threads)
    import lhcml.inference.measure as M
    import lhcml.inference.significance as significance

    model = build_model(msd, label, w, sig, sample, cfg, jes_tables)
    edges, tmpl, matrix, spur = model.edges, model.tmpl, model.matrix, model.spur
    bkg_counts, bkg_var, smooth_bkg = model.bkg_counts, model.bkg_var, model.smooth_bkg
    use_ss, sizes, rel_stat, meas = model.use_ss, model.sizes, model.rel_stat, model.meas
    rng = np.random.default_rng([seed, zlib.crc32(tagger.encode())])
    mu_inj = float(cfg["mu_inj"])
    data = rng.poisson(smooth_bkg + mu_inj * tmpl.nominal).astype(np.float64)
    opt = M.minimizer()
    timing = {}
    result = {
        "tagger": tagger,
        "threshold": threshold,
        "lumi_fb": lumi,
        "mu_inj": mu_inj,
        "fit_range": [float(edges[0]), float(edges[-1])],
        "bin_width": float(cfg["bin_width"]),
        "n_bins": len(edges) - 1,
        "l1_selection": l1 is not None,
        "background_order": int(cfg["background_order"]),
        "template_order": int(cfg["template_order"]),
        "expected_signal": float(tmpl.nominal.sum()),
        "expected_background": float(smooth_bkg.sum()),
        "signal_jets": tmpl.n_jets,
        "background_jets": int(((msd[~sig] >= edges[0]) & (msd[~sig] <= edges[-1])).sum()),
        "n_events": float(data.sum()),
        "systematics": {
            **sizes,
            "spurious_signal": use_ss,
            "template_stat": bool(rel_stat is not None),
        },
        "nuisances": list(meas.nps),
        "n_gammas": len(meas.gammas),
        "spurious_signal": spur,
    }

    t0 = time.perf_counter()
    meas.load(data)
    nominal = M.fit(meas, opt, meas.start_values(data), context=f"{tagger}: nominal fit")
    timing["fit_seconds"] = time.perf_counter() - t0
    result["valid"] = nominal["valid"]
    curves = {
        "edges": edges.tolist(),
        "data": data.tolist(),
        "signal_template": tmpl.nominal.tolist(),
        "smooth_background": smooth_bkg.tolist(),
        "mc_background": bkg_counts.tolist(),
        "mc_background_var": bkg_var.tolist(),
    }
    if not nominal["valid"]:
        result["reason"] = nominal["reason"]
        log.error("%s: nominal fit invalid: %s", tagger, nominal["reason"])
        return _write(result, timing, t_start, outputs, {}, {"summary": None}, curves)
    best = nominal["values"]
    mu_hat, mu_tot = best[meas.mu], nominal["errors"][meas.mu]
    stat = M.stat_only(meas, opt, best)
    mu_stat = stat["errors"][meas.mu] if stat["valid"] else math.nan
    mu_syst = math.sqrt(max(mu_tot**2 - mu_stat**2, 0.0))
    result.update(
        mu=mu_hat, mu_err=mu_tot, mu_stat=mu_stat, mu_syst=mu_syst, nll_min=nominal["nll"]
    )
    result["nuisance_parameters"] = {
        n: {
            "value": best[t],
            "error": nominal["errors"].get(t),
            "pull": best[t] / meas.prior_sigma[t],
            "constraint": (nominal["errors"].get(t, math.nan) / meas.prior_sigma[t]),
        }
        for n, t in meas.nps.items()
        if t.floating
    }
    gam = [
        (g, best[g], nominal["errors"].get(g), meas.prior_sigma[g]) for g in meas.gammas.values()
    ]
    result["gammas"] = {g.name: {"value": v, "error": e, "prior": s} for g, v, e, s in gam}
    post = {p: best[p] for p in meas.all_params}
    meas.set_values(post)
    curves.update(
        postfit_total=meas.expected().tolist(),
        postfit_background=(matrix @ meas.bkg_yields(best)).tolist(),
    )
    log.info(
        "%s: mu = %.4f +- %.4f (stat) +- %.4f (syst), %d events, %.1f s",
        tagger,
        mu_hat,
        mu_stat,
        mu_syst,
        data.sum(),
        timing["fit_seconds"],
    )

    # profile scans of mu: full and stat-only
    t0 = time.perf_counter()
    lo_mu, hi_mu = (float(x) for x in cfg["mu_limits"])
    lo_mu, hi_mu = lo_mu + 1e-6 * (hi_mu - lo_mu), hi_mu - 1e-6 * (hi_mu - lo_mu)
    grid = np.linspace(
        max(mu_hat - 3 * mu_tot, lo_mu), min(mu_hat + 3 * mu_tot, hi_mu), int(cfg["scan_points"])
    )
    q_full = M.scan(meas, opt, best, grid)
    # the stat-only scan on its own grid: its width is the stat error, which at 138 fb^-1
    # is ~10^-3 of the total; far from mu_hat with every nuisance fixed the signal
    # would turn negative
    stat_grid = np.linspace(mu_hat - 3 * mu_stat, mu_hat + 3 * mu_stat, int(cfg["scan_points"]))
    q_stat = (
        M.scan(meas, opt, best, stat_grid, fixed=meas.constrained)
        if math.isfinite(mu_stat)
        else [None] * len(stat_grid)
    )
    lo, hi = M.scan_interval(grid, q_full)
    result["mu_scan_interval"] = [lo, hi]
    result["mu_stat_scan_interval"] = list(M.scan_interval(stat_grid, q_stat))
    curves["scan"] = {
        "mu": grid.tolist(),
        "full": q_full,
        "stat_mu": stat_grid.tolist(),
        "stat": q_stat,
        "mu_hat": mu_hat,
    }
    timing["scan_seconds"] = time.perf_counter() - t0

    # impacts
    t0 = time.perf_counter()
    imp = M.impacts(meas, opt, best, nominal["errors"])
    mc = M.group_impact(meas, opt, best, list(meas.gammas.values()), mu_tot)
    if mc is not None:
        imp["template_stat"] = {
            "prefit": {"up": mc, "down": -mc},
            "postfit": {"up": mc, "down": -mc},
            "group": True,
        }
    ranking = sorted(
        imp,
        key=lambda n: -max(abs(imp[n]["postfit"]["up"] or 0), abs(imp[n]["postfit"]["down"] or 0)),
    )
    result["impacts_top3"] = [
        {
            "name": n,
            "postfit_up": imp[n]["postfit"]["up"],
            "postfit_down": imp[n]["postfit"]["down"],
        }
        for n in ranking[:3]
    ]
    timing["impact_seconds"] = time.perf_counter() - t0

    # significance: observed on the pseudo-data, expected on the Asimov data set
    t0 = time.perf_counter()
    meas.load(data)
    meas.set_values(post)
    obs_sig = significance.discovery(meas, opt, post)
    asimov = smooth_bkg + tmpl.nominal
    meas.load(asimov)
    asi = M.fit(meas, opt, meas.start_values(asimov), context=f"{tagger}: Asimov fit")
    exp_sig = significance.discovery(meas, opt, asi["values"]) if asi["valid"] else {}
    result.update(
        significance=obs_sig["significance"],
        p_value=obs_sig["p_value"],
        expected_significance=exp_sig.get("significance"),
        asimov_mu=asi["values"][meas.mu] if asi["valid"] else None,
    )
    timing["significance_seconds"] = time.perf_counter() - t0

    # injection scan at the measurement luminosity
    t0 = time.perf_counter()
    points = []
    for i, mu_i in enumerate(cfg["injection"]):
        rng_i = np.random.default_rng([seed, zlib.crc32(tagger.encode()), 1000 + i])
        d = rng_i.poisson(smooth_bkg + float(mu_i) * tmpl.nominal).astype(np.float64)
        meas.load(d)
        r = M.fit(meas, opt, meas.start_values(d), context=f"{tagger}: injection {mu_i}")
        points.append(
            {
                "mu_inj": float(mu_i),
                "valid": r["valid"],
                "mu": r["values"][meas.mu] if r["valid"] else None,
                "mu_err": r["errors"][meas.mu] if r["valid"] else None,
            }
        )

    ok = [p for p in points if p["valid"]]
    result["injection"] = {
        "points": points,
        "linear_fit": linear_fit(
            [p["mu_inj"] for p in ok], [p["mu"] for p in ok], [p["mu_err"] for p in ok]
        )
        if ok
        else None,
    }
    timing["injection_seconds"] = time.perf_counter() - t0

    # toys around the post-fit values, global observables randomised
    t0 = time.perf_counter()
    toy = M.run_toys(meas, opt, post, int(cfg["toys"]), rng)
    result["toys"] = toy["summary"]
    timing["toys_seconds"] = time.perf_counter() - t0
    # the closure fits last: their small data sets leave the model far from the
    # measurement's point
    if closure is not None:
        t0 = time.perf_counter()
        result["closure"] = closure_fits(meas, opt, closure, meta, threshold, lumi)
        timing["closure_seconds"] = time.perf_counter() - t0

    meas.load(data)
    meas.set_values(post)
    impacts = {"ranking": ranking, "impacts": imp, "mu": mu_hat, "mu_err": mu_tot}
    return _write(result, timing, t_start, outputs, impacts, toy, curves)


def closure_fits(meas, opt, closure: dict, meta: dict, threshold: float, lumi: float) -> dict:
    """Fits of the pseudo-data sets drawn from the simulated test split (jets independent
    of the templates) at the luminosity ``meta["lumi_fb"]`` the split can supply.

    The model is the measurement's with its signal scaled by the luminosity ratio, its
    nuisance parameters (thetas and gammas) fixed at their prior centres and its
    background non-negative (:func:`.measure.fit_non_negative_background`): at a few
    hundred events the data do not constrain the nuisances beyond their priors, and a
    free polynomial background can go negative in empty bins. ``mu_err`` is therefore
    statistical; ``pull`` is ``(mu - mu_inj) / mu_err``.
    """
    import lhcml.inference.measure as M

    test = read_features(closure["features"])
    passed = read_scores(closure["scores"], test) >= threshold
    msd = np.asarray(test["msd"], np.float64)
    out = {"lumi_fb": meta["lumi_fb"], "datasets": {}}
    meas.lumi_scale.set_value(meta["lumi_fb"] / lumi)
    try:
        for name, rows in read_datasets(closure["pseudodata"]).items():
            counts, _ = histogram(
                msd[rows][passed[rows]], np.ones(int(passed[rows].sum())), meas.edges
            )
            meas.load(counts)
            mu_inj = meta["datasets"][name]["mu_inj"]
            r = M.fit_non_negative_background(
                meas,
                opt,
                meas.start_values(counts, mu=mu_inj),
                fixed=meas.constrained,
                context=f"closure {name}",
            )
            mu, err = (r["values"][meas.mu], r["errors"][meas.mu]) if r["valid"] else (None, None)
            out["datasets"][name] = {
                "mu_inj": mu_inj,
                "n_events": float(counts.sum()),
                "valid": r["valid"],
                "reason": r["reason"],
                "mu": mu,
                "mu_err": err,
                "pull": (mu - mu_inj) / err if r["valid"] else None,
                "zero_background_coefficients": r["zero_coefficients"],
            }
    finally:
        meas.lumi_scale.set_value(1.0)
    return out


def _write(result, timing, t_start, outputs, impacts, toy, curves):
    """Write the fit result, impacts, toys and curves to ``outputs`` (their four paths, in
    that order), the timing included, and log the headline."""
    timing["total_seconds"] = time.perf_counter() - t_start
    result["timing"] = timing
    for path, content in zip(outputs, (result, impacts, toy, curves), strict=True):
        write_json(path, content)
    log.info(
        "%s: valid %s, mu %s +- %s (stat) +- %s (syst), Z obs %s exp %s, timing %s",
        result["tagger"],
        result["valid"],
        result.get("mu"),
        result.get("mu_stat"),
        result.get("mu_syst"),
        result.get("significance"),
        result.get("expected_significance"),
        timing,
    )
    return result
