"""What the inference rules' scripts call besides the fits: pseudo-data, AMS working
points, plots and the summary.

The fits themselves are :mod:`.measurement` (a tagger) and :mod:`.scanfit` (the
decorrelation scan points). Kept free of Snakemake so it can be tested (and used)
without it, and free of zfit, which only the fit modules import.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lhcml.inference import SCAN_FIT_NOTE, pseudodata
from lhcml.inference.ams import ams_of_scores
from lhcml.inference.inputs import ID_COLUMNS, is_signal, read_columns, read_features, read_scores
from lhcml.io import atomic_path, read_json, write_json

log = logging.getLogger("lhcml.inference")

NOMINAL, BACKGROUND_ONLY = "nominal", "background_only"


def injection_name(i: int) -> str:
    return f"injection_{i}"


# --- pseudo-data ---------------------------------------------------------------------


def make_pseudodata(
    feature_paths: dict,
    roles: dict[str, str],
    lumi_fb: float,
    weights_lumi_fb: float,
    mu_inj: float,
    injection: list[float],
    seed: int,
    z: float,
    out_table,
    out_meta,
) -> dict:
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
            totals,
            test["sample"],
            test_signal,
            test["weight"],
            lumi_fb,
            weights_lumi_fb,
            mu_inj=mu,
            samples=samples,
            z=z,
        )
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
        tables.append(
            {
                "dataset": [name] * len(rows),
                "row": rows.astype(np.int64),
                **{c: test[c][rows] for c in ID_COLUMNS},
            }
        )
        log.info("%s: mu_inj %g, %d events (%s)", name, mu, len(rows), datasets[name]["drawn"])
    table = pa.table({c: np.concatenate([t[c] for t in tables]) for c in tables[0]})
    with atomic_path(out_table) as tmp:
        pq.write_table(table, tmp)
    nominal = pseudodata.plan(
        totals,
        test["sample"],
        test_signal,
        test["weight"],
        1.0,
        weights_lumi_fb,
        mu_inj=mu_inj,
        z=z,
    )
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


# --- AMS -----------------------------------------------------------------------------


def ams_working_point(
    tagger: str,
    features_path,
    scores_path,
    pseudodata_meta,
    lumi_fb: float,
    window,
    efficiencies,
    b_r: float,
    min_background_jets: int,
    out,
) -> dict:
    """The AMS scan of one tagger on the template split; writes ams.json."""
    meta = read_json(pseudodata_meta)
    features = read_features(features_path)
    score = read_scores(scores_path, features)
    result = ams_of_scores(
        features, score, meta, lumi_fb, window, efficiencies, b_r, min_background_jets
    )
    result = {"tagger": tagger, **result}
    write_json(out, result)
    log.info(
        "%s: AMS %.2f at score >= %.4g (eps_s %.3f, s %.4g, b %.4g, %d MC background jets)",
        tagger,
        result["ams"],
        result["threshold"],
        result["eps_s"],
        result["s"],
        result["b"],
        result["background_jets"],
    )
    return result


# --- plots and summary ---------------------------------------------------------------


def _round(x, digits: int = 4):
    """``x`` to ``digits`` significant digits (None stays None)."""
    if x is None or not isinstance(x, float) or not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def total_uncertainty(fit: dict) -> float | None:
    """The total error on mu of a valid fit (the spurious signal is one of its nuisances)."""
    return fit.get("mu_err") if fit.get("valid") else None


def summarize(
    taggers,
    fit_paths,
    ams_paths,
    pseudodata_meta,
    out,
    metrics_paths=None,
    scan_paths=(),
    l1_paths=None,
    decorrelation_summary=None,
) -> dict:
    """The headline numbers per tagger and the tagger chosen by the fit
    (results/inference/summary.json).

    The chosen tagger has the smallest total uncertainty on mu among the valid fits, the
    spurious signal counted as a nuisance (ties: the first in the config's order); R50
    and 1/JSD of ``metrics_paths`` are recorded beside it as diagnostics. ``scan_paths``:
    the fits of the decorrelation scan points (:mod:`.scanfit`), recorded under ``scan``
    with their R50 and 1/JSD from ``decorrelation_summary``;
    ``best_scan_point`` is the valid one with the smallest total error (they lack the JES
    nuisance, so they are ranked apart from the taggers). ``l1_paths``
    (``{tagger: fit.json}``): the same measurement with the emulated L1 trigger applied
    upstream (rule inference_fit_l1), compared under ``l1_selection``. Numbers are
    rounded to 4 significant digits.
    """
    meta = read_json(pseudodata_meta)
    metrics_paths = metrics_paths or [None] * len(taggers)
    summary = {"closure_lumi_fb": meta["lumi_fb"], "taggers": {}}
    for tagger, fit_path, ams_path, mpath in zip(
        taggers, fit_paths, ams_paths, metrics_paths, strict=True
    ):
        fit, ams = read_json(fit_path), read_json(ams_path)
        summary.setdefault("lumi_fb", fit["lumi_fb"])
        toys = fit.get("toys") or {}
        spur = fit.get("spurious_signal") or {}
        metrics = read_json(mpath) if mpath else {}
        entry = {
            "valid": fit["valid"],
            "reason": fit.get("reason"),
            "mu": fit.get("mu"),
            "mu_err": fit.get("mu_err"),
            "mu_stat": fit.get("mu_stat"),
            "mu_syst": fit.get("mu_syst"),
            "significance": fit.get("significance"),
            "expected_significance": fit.get("expected_significance"),
            "spurious_mu": spur.get("mu"),
            "spurious_mu_err_mc": spur.get("mu_err_mc"),
            "impacts_top3": [i["name"] for i in fit.get("impacts_top3") or []],
            "toys": toys.get("n_toys"),
            "toys_failed": toys.get("n_failed"),
            "pull_mean": toys.get("pull_mean"),
            "pull_mean_err": toys.get("pull_mean_err"),
            "pull_width": toys.get("pull_width"),
            "pull_width_err": toys.get("pull_width_err"),
            "seconds_per_toy": toys.get("seconds_per_toy"),
            "ams": ams["ams"],
            "ams_threshold": ams["threshold"],
            "ams_eps_s": ams["eps_s"],
            "r50": metrics.get("r50"),
            "inv_jsd": metrics.get("inv_jsd"),
        }
        summary["taggers"][tagger] = {
            k: (_round(v) if not isinstance(v, list) else v) for k, v in entry.items()
        }
    ranked = [t for t in taggers if total_uncertainty(summary["taggers"][t]) is not None]
    ranked.sort(key=lambda t: summary["taggers"][t]["mu_err"])
    summary["ranking"] = ranked
    summary["chosen_tagger"] = ranked[0] if ranked else None
    summary["chosen_by"] = "smallest total uncertainty on mu (spurious signal as a nuisance)"
    if not ranked:
        log.error("no tagger has a valid fit: none chosen")
    else:
        log.info(
            "tagger chosen by the fit: %s (mu error %s)",
            ranked[0],
            summary["taggers"][ranked[0]]["mu_err"],
        )
    summary.update(scan_summary(scan_paths, decorrelation_summary))
    summary["l1_selection"] = {}
    for tagger, path in (l1_paths or {}).items():
        fit, base = read_json(path), summary["taggers"].get(tagger, {})
        keys = ("valid", "mu", "mu_err", "mu_stat", "significance", "expected_significance")
        entry = {f"with_l1_{k}": fit.get(k) for k in keys}
        entry.update({f"without_l1_{k}": base.get(k) for k in keys})
        entry["signal_fraction_kept"] = (
            fit["expected_signal"] / base_sig
            if (base_sig := read_json(fit_paths[taggers.index(tagger)])["expected_signal"])
            else None
        )
        summary["l1_selection"][tagger] = {k: _round(v) for k, v in entry.items()}
    write_json(out, summary)
    return summary


def scan_summary(scan_paths, decorrelation_summary=None) -> dict:
    """``scan``: per decorrelated tagger, its scan points' fit numbers with R50 and 1/JSD
    (test split) joined from the decorrelation stage's summary (its ``scan`` entry);
    ``best_scan_point``: the valid point with the smallest total error on mu (None if
    none), with what the scan fits leave out (``scan_note``). Raises KeyError naming the
    decorrelation summary if a fitted point is missing there."""

    decor = read_json(decorrelation_summary) if scan_paths else {}

    keys = ("r50", "inv_jsd", "valid", "reason", "threshold", "mu", "mu_err", "mu_stat", "mu_syst")
    scans, candidates = {}, []
    for path in scan_paths:
        scan = read_json(path)
        tagger, parameter = scan["tagger"], scan["parameter"]
        metrics = {float(e[parameter]): e for e in decor.get("scan", {}).get(tagger, [])}
        points = []
        for p in scan["points"]:
            if float(p[parameter]) not in metrics:
                raise KeyError(
                    f"{decorrelation_summary}: no scan point {parameter} = "
                    f"{p[parameter]:g} of {tagger} (has {sorted(metrics)})"
                )
            p = {**p, **{k: metrics[float(p[parameter])].get(k) for k in ("r50", "inv_jsd")}}
            spur = p.get("spurious_signal") or {}
            entry = {
                parameter: p[parameter],
                **{k: p.get(k) for k in keys},
                "spurious_mu": spur.get("mu"),
                "spurious_mu_err_mc": spur.get("mu_err_mc"),
                "spurious_size": spur.get("size"),
            }
            points.append({k: _round(v) if isinstance(v, float) else v for k, v in entry.items()})
            if p.get("valid") and p.get("mu_err") is not None:
                candidates.append((p["mu_err"], tagger, parameter, points[-1]))
        scans[tagger] = {"parameter": parameter, "points": points}
    best = None
    if candidates:
        _, tagger, parameter, point = min(candidates, key=lambda c: c[0])
        best = {
            "tagger": tagger,
            "parameter": parameter,
            "value": point[parameter],
            "mu_err": point["mu_err"],
            "mu_stat": point["mu_stat"],
            "spurious_mu": point["spurious_mu"],
            "r50": point["r50"],
            "inv_jsd": point["inv_jsd"],
        }
        log.info(
            "best scan point: %s %s %g (mu error %s)",
            tagger,
            parameter,
            best["value"],
            best["mu_err"],
        )
    return {
        "scan": scans,
        "best_scan_point": best,
        "scan_note": f"{SCAN_FIT_NOTE}; best_scan_point: the smallest total error on mu "
        "among them, ranked apart from the taggers' full fits",
    }
