"""What the workflow's scripts call: pseudo-data, AMS working points, fits, summary.

Kept free of Snakemake so it can be tested (and used) without it. zfit is imported only
inside :func:`fit_tagger` (through :func:`lhcml.inference.backend.import_zfit`).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lhcml.inference import ams as ams_mod
from lhcml.inference import pseudodata
from lhcml.inference.inputs import ID_COLUMNS, is_signal, read_columns, read_features, read_scores
from lhcml.inference.yields import yield_weights
from lhcml.io import atomic_path, read_json, write_json

log = logging.getLogger("lhcml.inference")

NOMINAL, BACKGROUND_ONLY = "nominal", "background_only"


def injection_name(i: int) -> str:
    return f"injection_{i}"


# --- pseudo-data ---------------------------------------------------------------------


def make_pseudodata(
    feature_paths: dict, roles: dict[str, str], lumi_fb: float, weights_lumi_fb: float,
    mu_inj: float, injection: list[float], seed: int, z: float, out_table, out_meta,
) -> dict:  # fmt: skip
    """Draw the pseudo-datasets from the test split; write their rows and the bookkeeping.

    Datasets: ``nominal`` (signal scaled by ``mu_inj``), ``injection_{i}`` (one per
    injected strength of ``injection``) and ``background_only`` (the samples with role
    ``background`` alone, for the spurious-signal test). ``feature_paths`` maps the splits
    train, val, test to their feature tables (all splits give the expected yields; only
    the test split supplies events). Raises LuminosityError naming the limiting sample.
    """
    signal_samples = sorted(s for s, r in roles.items() if r == "signal")
    background_samples = sorted(s for s, r in roles.items() if r == "background")
    splits = {k: read_columns(p, ("sample", "weight", "y")) for k, p in feature_paths.items()}
    test = read_features(feature_paths["test"])
    cat = {c: np.concatenate([t[c] for t in splits.values()]) for c in ("sample", "weight", "y")}
    totals = pseudodata.sum_weights(cat["sample"], is_signal(cat, signal_samples), cat["weight"])
    test_signal = is_signal(test, signal_samples)
    specs = [(NOMINAL, mu_inj, None)]
    specs += [(injection_name(i), mu, None) for i, mu in enumerate(injection)]
    specs += [(BACKGROUND_ONLY, 0.0, background_samples)]
    tables, datasets = [], {}
    for k, (name, mu, samples) in enumerate(specs):
        comps = pseudodata.plan(
            totals, test["sample"], test_signal, test["weight"], lumi_fb, weights_lumi_fb,
            mu_inj=mu, samples=samples, z=z,
        )  # fmt: skip
        if name == BACKGROUND_ONLY:
            comps = [c for c in comps if not c.signal]
        pseudodata.check_supply(comps, lumi_fb, z)
        rng = np.random.default_rng([seed, k])
        rows = pseudodata.draw(comps, test["sample"], test_signal, test["weight"], rng)
        datasets[name] = {
            "mu_inj": mu,
            "events": len(rows),
            "components": [c.to_dict() for c in comps],
            "drawn": {
                f"{c.sample}{'_signal' if c.signal else ''}": int(
                    ((test["sample"][rows] == c.sample) & (test_signal[rows] == c.signal)).sum()
                )
                for c in comps
            },
        }
        tables.append({"dataset": [name] * len(rows), "row": rows.astype(np.int64),
                       **{c: test[c][rows] for c in ID_COLUMNS}})  # fmt: skip
        log.info("%s: mu_inj %g, %d events (%s)", name, mu, len(rows), datasets[name]["drawn"])
    table = pa.table({c: np.concatenate([t[c] for t in tables]) for c in tables[0]})
    with atomic_path(out_table) as tmp:
        pq.write_table(table, tmp)
    nominal = pseudodata.plan(totals, test["sample"], test_signal, test["weight"], 1.0,
                              weights_lumi_fb, mu_inj=mu_inj, z=z)  # fmt: skip
    meta = {
        "lumi_fb": lumi_fb,
        "weights_lumi_fb": weights_lumi_fb,
        "z": z,
        "seed": seed,
        "signal_samples": signal_samples,
        "background_samples": background_samples,
        "mu_inj": mu_inj,
        "injection": list(injection),
        "totals": [{"sample": s, "signal": g, "sum_weight": w} for (s, g), w in totals.items()],
        "max_lumi_fb": min(c.max_lumi_fb for c in nominal),
        "limiting_sample": min(nominal, key=lambda c: c.max_lumi_fb).sample,
        "datasets": datasets,
    }
    write_json(out_meta, meta)
    return meta


def _totals(meta: dict) -> dict[tuple[str, bool], float]:
    return {(t["sample"], bool(t["signal"])): float(t["sum_weight"]) for t in meta["totals"]}


def read_datasets(path) -> dict[str, np.ndarray]:
    """Test-split rows of each pseudo-dataset."""
    table = read_columns(path, ("dataset", "row"))
    names = table["dataset"]
    return {str(n): np.sort(table["row"][names == n]) for n in dict.fromkeys(names)}


# --- AMS -----------------------------------------------------------------------------


def ams_working_point(
    tagger: str, features_path, scores_path, pseudodata_meta, lumi_fb: float, window,
    efficiencies, b_r: float, min_background_jets: int, out,
) -> dict:  # fmt: skip
    """The AMS scan of one tagger on the template split; writes ams.json."""
    meta = read_json(pseudodata_meta)
    features = read_features(features_path)
    score = read_scores(scores_path, features)
    signal = is_signal(features, meta["signal_samples"])
    yw = yield_weights(features["sample"], signal, features["weight"], _totals(meta), lumi_fb,
                       meta["weights_lumi_fb"])  # fmt: skip
    result = ams_mod.scan(score, yw, signal, features["msd"], tuple(window), efficiencies,
                          b_r=b_r, min_background_jets=min_background_jets)  # fmt: skip
    result = {"tagger": tagger, "lumi_fb": lumi_fb, "b_r": b_r, "window": list(window),
              **result}  # fmt: skip
    write_json(out, result)
    log.info("%s: AMS %.2f at score >= %.4g (eps_s %.3f, s %.4g, b %.4g, %d MC background jets)",
             tagger, result["ams"], result["threshold"], result["eps_s"], result["s"],
             result["b"], result["background_jets"])  # fmt: skip
    return result


# --- fits ----------------------------------------------------------------------------

#: Start values of the template fits (GeV; tails in units of sigma).
PEAK_START = {"mean": 80.0, "sigma": 8.0, "alphal": 1.5, "nl": 5.0, "alphar": 1.5, "nr": 5.0}


def _mu_entry(fit: dict, mu_name: str) -> dict:
    """mu, its Hesse error and Minos interval from a fit dict (None when invalid)."""
    if not fit["valid"]:
        return {"valid": False, "mu": None, "mu_err": None}
    p = fit["params"][mu_name]
    out = {"valid": True, "mu": p["value"], "mu_err": p.get("hesse")}
    if "minos_lower" in p:
        out.update(mu_minos_lower=p["minos_lower"], mu_minos_upper=p["minos_upper"])
    return out


def linear_fit(x, y, err) -> dict | None:
    """Weighted least squares y = offset + slope x with errors (None below 2 points)."""
    x, y, err = (np.asarray(v, np.float64) for v in (x, y, err))
    if len(x) < 2 or len(np.unique(x)) < 2:
        return None
    w = 1.0 / err**2
    a = np.array([[w.sum(), (w * x).sum()], [(w * x).sum(), (w * x * x).sum()]])
    cov = np.linalg.inv(a)
    offset, slope = cov @ np.array([(w * y).sum(), (w * x * y).sum()])
    chi2 = float((w * (y - offset - slope * x) ** 2).sum())
    return {"slope": float(slope), "slope_err": float(math.sqrt(cov[1, 1])),
            "offset": float(offset), "offset_err": float(math.sqrt(cov[0, 0])),
            "chi2": chi2, "ndf": len(x) - 2}  # fmt: skip


def fit_tagger(
    tagger: str, test_features, test_scores, template_features, template_scores,
    pseudodata_table, pseudodata_meta, ams_path, fit_range, order: int, n_toys: int,
    mu_limits, seed: int, threads: int, out_fit, out_toys, out_curves, maxiter=None,
) -> dict:  # fmt: skip
    """The mass fit of one tagger: templates, nominal fit, significance, toys, injection
    scan and spurious signal. Writes fit.json, toys.json and curves.json (for the plots).
    """
    t_start = time.perf_counter()
    meta = read_json(pseudodata_meta)
    threshold = float(read_json(ams_path)["threshold"])
    lumi, totals = meta["lumi_fb"], _totals(meta)
    low, high = (float(x) for x in fit_range)
    test = read_features(test_features)
    test_pass = read_scores(test_scores, test) >= threshold
    tmpl = read_features(template_features)
    tmpl_pass = read_scores(template_scores, tmpl) >= threshold
    tmpl_signal = is_signal(tmpl, meta["signal_samples"])
    in_range = (tmpl["msd"] >= low) & (tmpl["msd"] <= high)
    yw = yield_weights(tmpl["sample"], tmpl_signal, tmpl["weight"], totals, lumi,
                       meta["weights_lumi_fb"])  # fmt: skip
    sel = {b: tmpl_signal & tmpl_pass & in_range & (tmpl["label"] == b) for b in ("W", "Z")}
    s_w, s_z = float(yw[sel["W"]].sum()), float(yw[sel["Z"]].sum())
    datasets = read_datasets(pseudodata_table)

    from lhcml.inference.backend import import_zfit

    import_zfit(seed, threads)
    from lhcml.inference import fit as fitmod
    from lhcml.inference import model as modelmod
    from lhcml.inference import significance, toys

    obs = modelmod.mass_space(low, high)
    opt = fitmod.minimizer(maxiter=maxiter)
    t0 = time.perf_counter()
    shapes = modelmod.fit_peaks(obs, tmpl["msd"][sel["W"]], tmpl["msd"][sel["Z"]], PEAK_START)
    timing = {"template_seconds": time.perf_counter() - t0}
    result = {
        "tagger": tagger, "threshold": threshold, "lumi_fb": lumi, "fit_range": [low, high],
        "background_order": order, "mu_inj": meta["datasets"][NOMINAL]["mu_inj"],
        "expected_signal": {"W": s_w, "Z": s_z, "total": s_w + s_z},
        "templates": {k: v.to_dict() for k, v in shapes.items()},
    }  # fmt: skip
    if not all(s.valid for s in shapes.values()):
        result.update(valid=False, reason="template fit of the W or Z peak failed")
        log.error("%s: %s", tagger, result["reason"])
        return _write_fit(result, timing, t_start, out_fit, out_toys, out_curves)
    model = modelmod.build_model(
        obs, shapes["W"].values, shapes["Z"].values, s_w, s_z, order, mu_limits=mu_limits,
        n_bkg_max=10.0 * max(len(r) for r in datasets.values()) + 100.0,
    )  # fmt: skip
    model.set_values(model.start_values(100.0))
    sampler = model.pdf.create_sampler()
    loss = modelmod.nll(model, sampler)

    def fit(name: str, minos: bool) -> dict:
        rows = datasets[name]
        n = modelmod.load(sampler, obs, test["msd"][rows][test_pass[rows]])
        model.set_values(model.start_values(n))
        out = fitmod.minimize(loss, model.floating, poi=model.mu, minos=minos, opt=opt,
                              floors=model.floors)  # fmt: skip
        out["n_events"] = n
        return out

    t0 = time.perf_counter()
    nominal = fit(NOMINAL, minos=True)
    timing["fit_seconds"] = time.perf_counter() - t0
    result.update(n_events=nominal["n_events"], status=nominal["status"], valid=nominal["valid"])
    result.update(_mu_entry(nominal, model.mu.name))
    log.info("%s: nominal fit of %d events: valid %s, mu %s +- %s (mu_inj %g), %.1f s", tagger,
             nominal["n_events"], nominal["valid"], result["mu"], result["mu_err"],
             result["mu_inj"], timing["fit_seconds"])  # fmt: skip
    toy_out, curves = None, None
    if nominal["valid"]:
        fitted = {p: nominal["params"][p.name]["value"] for p in model.floating}
        result["params"] = nominal["params"]
        model.set_values(fitted)
        curves = modelmod.curves(model, bin_width=1.0)
        curves["data"] = np.asarray(sampler.value())[:, 0].tolist()
        t0 = time.perf_counter()
        result.update(significance.discovery(loss, model.mu, opt))
        timing["significance_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        toy_out = toys.run_toys(model, sampler, loss, fitted, n_toys, fitmod.minimizer(mode=0))
        timing["toys_seconds"] = time.perf_counter() - t0
        result["toys"] = toy_out["summary"]
    else:
        result.update(significance=None, p_value=None, toys=None)
        log.error("%s: the nominal fit is invalid: no result", tagger)
    t0 = time.perf_counter()
    injection = []
    for i, mu_inj in enumerate(meta["injection"]):
        entry = _mu_entry(fit(injection_name(i), minos=False), model.mu.name)
        injection.append({"mu_inj": mu_inj, **entry})
    ok = [e for e in injection if e["valid"]]
    result["injection"] = {
        "points": injection,
        "linear_fit": linear_fit([e["mu_inj"] for e in ok], [e["mu"] for e in ok],
                                 [e["mu_err"] for e in ok]) if ok else None,
    }  # fmt: skip
    spurious = _mu_entry(fit(BACKGROUND_ONLY, minos=False), model.mu.name)
    if spurious["valid"]:
        spurious.update(
            n_signal=spurious["mu"] * (s_w + s_z), n_signal_err=spurious["mu_err"] * (s_w + s_z),
            in_sigma=spurious["mu"] / spurious["mu_err"],
        )  # fmt: skip
    spurious["n_events"] = int(sampler.num_entries)
    result["spurious_signal"] = spurious
    timing["scan_seconds"] = time.perf_counter() - t0
    return _write_fit(result, timing, t_start, out_fit, out_toys, out_curves, toy_out, curves)


def _write_fit(result, timing, t_start, out_fit, out_toys, out_curves, toy_out=None, curves=None):
    timing["total_seconds"] = time.perf_counter() - t_start
    result["timing"] = timing
    write_json(out_fit, result)
    write_json(out_toys, toy_out or {"summary": None, "mu": [], "mu_err": []})
    write_json(out_curves, curves or {})
    log.info(
        "%s: valid %s, mu %s +- %s, Z %s, spurious %s sigma (%s)", result["tagger"],
        result["valid"], result.get("mu"), result.get("mu_err"), result.get("significance"),
        (result.get("spurious_signal") or {}).get("in_sigma"), timing,
    )  # fmt: skip
    return result


# --- plots and summary ---------------------------------------------------------------


def make_plots(taggers, fit_paths, toys_paths, curves_paths, ams_paths, fit_plots, toys_plots,
               ams_plot, injection_plot) -> None:  # fmt: skip
    """Every inference plot in one process (``*_plots``: one (PDF, PNG) pair per tagger)."""
    from lhcml.inference import plots

    fits = {t: read_json(p) for t, p in zip(taggers, fit_paths, strict=True)}
    for tagger, toys_path, curves_path, fit_plot, toys_plot in zip(
        taggers, toys_paths, curves_paths, fit_plots, toys_plots, strict=True
    ):
        plots.plot_fit(tagger, fits[tagger], read_json(curves_path), fit_plot)
        plots.plot_toys(tagger, read_json(toys_path), toys_plot)
    plots.plot_ams({t: read_json(p) for t, p in zip(taggers, ams_paths, strict=True)}, ams_plot)
    plots.plot_injection(fits, injection_plot)
    log.info("inference plots of %s written", ", ".join(taggers))


def _round(x, digits: int = 4):
    """``x`` to ``digits`` significant digits (None stays None)."""
    if x is None or not isinstance(x, float) or not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def summarize(taggers, fit_paths, ams_paths, pseudodata_meta, out) -> dict:
    """The headline numbers per tagger (results/inference/summary.json).

    Numbers are rounded to 4 significant digits: Minuit's path depends on the last bits
    of floating-point sums, and the summary must be identical between reruns.
    """
    meta = read_json(pseudodata_meta)
    summary = {
        "lumi_fb": meta["lumi_fb"], "max_lumi_fb": _round(meta["max_lumi_fb"]),
        "limiting_sample": meta["limiting_sample"], "mu_inj": meta["mu_inj"],
        "events": {k: v["events"] for k, v in meta["datasets"].items()}, "taggers": {},
    }  # fmt: skip
    for tagger, fit_path, ams_path in zip(taggers, fit_paths, ams_paths, strict=True):
        fit, ams = read_json(fit_path), read_json(ams_path)
        toys = fit.get("toys") or {}
        spurious = fit.get("spurious_signal") or {}
        lin = (fit.get("injection") or {}).get("linear_fit") or {}
        entry = {
            "valid": fit["valid"], "mu": fit.get("mu"), "mu_err": fit.get("mu_err"),
            "mu_minos_lower": fit.get("mu_minos_lower"), "mu_minos_upper": fit.get("mu_minos_upper"),
            "significance": fit.get("significance"), "n_events": fit.get("n_events"),
            "pull_mean": toys.get("pull_mean"), "pull_mean_err": toys.get("pull_mean_err"),
            "pull_width": toys.get("pull_width"), "pull_width_err": toys.get("pull_width_err"),
            "toys_failed": toys.get("n_failed"), "toys_at_boundary": toys.get("n_at_boundary"),
            "background_at_boundary": bool((fit.get("status") or {}).get("at_boundary")),
            "spurious_mu": spurious.get("mu"), "spurious_in_sigma": spurious.get("in_sigma"),
            "injection_slope": lin.get("slope"), "injection_slope_err": lin.get("slope_err"),
            "ams": ams["ams"], "ams_threshold": ams["threshold"], "ams_eps_s": ams["eps_s"],
            "ams_eps_b": ams["eps_b"],
        }  # fmt: skip
        summary["taggers"][tagger] = {k: _round(v) for k, v in entry.items()}
    write_json(out, summary)
    return summary
