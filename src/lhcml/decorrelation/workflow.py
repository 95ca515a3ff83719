"""What the decorrelation stage's scripts call: train + score, the metrics, the summary.

Kept free of Snakemake so it can be tested (and used) without it. Score tables follow the
taggers stage: ``sample, run, luminosityBlock, event, score`` in the row order of the
feature table, higher = more W/Z-like.
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from pathlib import Path

import numpy as np

from lhcml.decorrelation import MODEL_FILES, ddt, scan_folder
from lhcml.decorrelation.jsd import (
    bin_edges,
    decorrelation_metrics,
    jsd_at_background_efficiencies,
)
from lhcml.io import read_json, write_json
from lhcml.summary import training_versions
from lhcml.tables import (
    aligned_scores,
    read_table,
    require_columns,
    score_table,
    write_table,
)
from lhcml.taggers.inputs import binary_jets, column, select
from lhcml.taggers.metrics import PERFORMANCE_KEYS, metrics_record, validate_metrics

log = logging.getLogger("lhcml.decorrelation")

#: Modules of the network methods.
NN_MODULES = {
    "adversarial": "lhcml.decorrelation.adversarial",
    "disco": "lhcml.decorrelation.disco",
}


# --- network taggers (adversarial, DisCo) -------------------------------------------


def train_network(
    tagger: str, method: str, train_table, val_table, features, params, lam, seed: int, threads: int
):
    """Train one adversarial or DisCo tagger; return ``(DNNTagger, meta)``."""
    if method not in NN_MODULES:
        raise ValueError(f"unknown network method {method!r} (known: {', '.join(NN_MODULES)})")
    module = importlib.import_module(NN_MODULES[method])
    model, info = module.train(train_table, val_table, features, params or {}, lam, seed, threads)
    meta = {
        "tagger": tagger,
        "kind": method,
        "inputs": list(model.features),
        "model_file": MODEL_FILES[method],
        "seed": seed,
        "threads": threads,
        "versions": training_versions(method),
        **info,
        **model.meta(),
    }
    return model, meta


def train_network_and_score(
    tagger,
    method,
    feature_paths: dict,
    model_path,
    meta_path,
    score_paths: dict,
    features,
    params,
    lam,
    seed,
    threads,
    scan_dir=None,
    scan_lambdas=(),
    scan_splits=("test",),
) -> dict:
    """Train on ``feature_paths['train']`` (monitor on 'val'), save, score ``score_paths``.

    Then, for each lambda of ``scan_lambdas`` (other than ``lam``), train the same network
    at that lambda and write ``{scan_dir}/lambda_{lambda:g}/`` (model.keras, meta.json and
    the scores ``{split}.parquet`` of each split of ``scan_splits``: test for R50 and
    1/JSD, the inference template split for the fit). Everything shares one process:
    TensorFlow starts once per method.
    """
    tables = {s: read_table(p) for s, p in feature_paths.items()}
    model, meta = train_network(
        tagger, method, tables["train"], tables["val"], features, params, lam, seed, threads
    )
    model.save(model_path)
    write_json(meta_path, meta)
    for split, path in score_paths.items():
        write_table(score_table(tables[split], model.score(tables[split])), path)
        log.info("%s: %s split scored -> %s", tagger, split, path)
    if scan_dir is not None:
        Path(scan_dir).mkdir(parents=True, exist_ok=True)
    for value in scan_lambdas:
        if float(value) == float(lam):
            continue  # the tagger itself is this scan point
        folder = Path(scan_dir) / scan_folder("lambda", value)
        scan_model, scan_meta = train_network(
            tagger, method, tables["train"], tables["val"], features, params, value, seed, threads
        )
        scan_model.save(folder / MODEL_FILES[method])
        write_json(folder / "meta.json", scan_meta)
        for split in scan_splits:
            write_table(
                score_table(tables[split], scan_model.score(tables[split])),
                folder / f"{split}.parquet",
            )
        log.info("%s: scan point lambda %g -> %s", tagger, value, folder)
    return meta


# --- DDT ---------------------------------------------------------------------------


def _base_scores(table, scores_path) -> np.ndarray:
    return aligned_scores(table, scores_path)


def ddt_scores(tagger, table, base_scores_path) -> np.ndarray:
    """DDT scores of a feature table, with the base tagger's scores from its score table."""
    require_columns(table, ["rho", "pt"], "the DDT taggers")
    return tagger.score(
        _base_scores(table, base_scores_path),
        column(table, "rho", np.float64),
        column(table, "pt", np.float64),
    )


def _fit_ddt(tagger: str, base: str, jets, base_score, params: dict):
    """Fit one DDT map on the training jets; return ``(DDTTagger, meta)``."""

    start = time.perf_counter()
    model, info = ddt.train(
        base,
        base_score,
        column(jets, "rho"),
        column(jets, "pt"),
        column(jets, "y"),
        column(jets, "weight", np.float64),
        params,
    )
    info["train_seconds"] = time.perf_counter() - start
    meta = {
        "tagger": tagger,
        "kind": "ddt",
        "inputs": model.features,
        "model_file": MODEL_FILES["ddt"],
        "versions": training_versions("ddt"),
        **info,
    }
    return model, meta


def train_ddt_and_score(
    tagger: str,
    base: str,
    feature_paths: dict,
    base_score_paths: dict,
    model_path,
    meta_path,
    score_paths: dict,
    params: dict,
    scan_dir=None,
    scan_bandwidths=(),
    scan_splits=("test",),
) -> dict:
    """Fit the DDT map of ``base`` on the training split's QCD jets; save; score splits.

    Then, for each mass bandwidth of ``scan_bandwidths``, fit the smooth map at that
    bandwidth (:func:`lhcml.decorrelation.ddt.smooth_scan_params`) and write
    ``{scan_dir}/mass_bandwidth_{value:g}/`` (model.json, meta.json and the scores
    ``{split}.parquet`` of each split of ``scan_splits``): the DDT's R50 vs 1/JSD
    trade-off, and the fit of each point (rules/inference.smk, inference_scan).
    """

    table = read_table(feature_paths["train"])
    sel = binary_jets(table)
    jets = select(table, sel)
    require_columns(jets, ["rho", "pt", "weight"], "the DDT taggers")
    base_score = _base_scores(table, base_score_paths["train"])[sel]
    model, meta = _fit_ddt(tagger, base, jets, base_score, params)
    model.save(model_path)
    write_json(meta_path, meta)
    splits = {split: read_table(feature_paths[split]) for split in score_paths}
    for split, path in score_paths.items():
        score = ddt_scores(model, splits[split], base_score_paths[split])
        write_table(score_table(splits[split], score), path)
        log.info("%s: %s split scored -> %s", tagger, split, path)
    if scan_dir is not None:
        Path(scan_dir).mkdir(parents=True, exist_ok=True)
    if scan_bandwidths:
        for split in scan_splits:
            if split not in splits:
                splits[split] = read_table(feature_paths[split])
    for value in scan_bandwidths:
        folder = Path(scan_dir) / scan_folder("mass_bandwidth", value)
        point, point_meta = _fit_ddt(
            tagger, base, jets, base_score, ddt.smooth_scan_params(params, value)
        )
        point_meta["mass_bandwidth"] = float(value)
        point.save(folder / MODEL_FILES["ddt"])
        write_json(folder / "meta.json", point_meta)
        for split in scan_splits:
            score = ddt_scores(point, splits[split], base_score_paths[split])
            write_table(score_table(splits[split], score), folder / f"{split}.parquet")
        log.info("%s: scan point mass bandwidth %g -> %s", tagger, value, folder)
    return meta


# --- metrics and summary -----------------------------------------------------------


def _test_arrays(features, scores_path):
    score = aligned_scores(features, scores_path)
    sel = binary_jets(features)
    test = select(features, sel)
    return (
        column(test, "y"),
        score[sel],
        column(test, "msd", np.float64),
        column(test, "weight", np.float64),
    )


def tagger_entry(features, scores_path, edges, n_bootstrap, seed, efficiencies) -> dict:
    """R50, 1/JSD (bootstrap errors), AUC, and the JSD at fixed QCD efficiencies."""
    y, score, msd, w = _test_arrays(features, scores_path)
    entry = decorrelation_metrics(y, score, msd, w, edges, n_bootstrap=n_bootstrap, seed=seed)
    at = jsd_at_background_efficiencies(y, score, msd, w, edges, efficiencies)
    entry["jsd_at_qcd_efficiency"] = {f"{e:g}": _num(j) for e, j in at.items()}
    return entry


def _num(x):
    return None if x is None or not math.isfinite(x) else float(x)


def md_metrics(entry: dict, meta: dict, features) -> dict:
    """results/metrics/{tagger}.json of a decorrelated tagger (the taggers' layout + JSD)."""
    y = column(select(features, binary_jets(features)), "y")
    w = column(select(features, binary_jets(features)), "weight", np.float64)
    keys = (
        *PERFORMANCE_KEYS,
        "jsd",
        "jsd_err",
        "inv_jsd",
        "inv_jsd_err",
    )
    return validate_metrics(metrics_record(meta, y, w, {k: entry[k] for k in keys}))


def summarise(
    features_path,
    tagger_scores: dict,
    md_taggers: dict,
    scans: dict,
    binning: dict,
    n_bootstrap: int,
    seed: int,
    efficiencies,
    reference: str = "dnn",
    scan_parameters: dict | None = None,
) -> tuple[dict, dict]:
    """The decorrelation summary and the metrics of the decorrelated taggers.

    ``tagger_scores``: {tagger: test score path} for every tagger (plain and decorrelated);
    ``md_taggers``: {decorrelated tagger: meta.json path}; ``scans``: {tagger: [(value,
    test score path, meta path), ...]}, the value being that of ``scan_parameters[tagger]``
    (default ``lambda``; ``mass_bandwidth`` for the DDT scans). Returns ``(summary,
    {tagger: metrics})``.
    """
    scan_parameters = {m: (scan_parameters or {}).get(m, "lambda") for m in scans}
    features = read_table(features_path)
    edges = bin_edges(binning)
    args = (edges, n_bootstrap, seed, efficiencies)
    taggers = {}
    for tagger, path in tagger_scores.items():
        taggers[tagger] = {
            "decorrelated": tagger in md_taggers,
            **tagger_entry(features, path, *args),
        }
        log.info(
            "%-12s R50 %s +- %s, 1/JSD %s +- %s (random-cut floor %s)",
            tagger,
            _fmt(taggers[tagger]["r50"]),
            _fmt(taggers[tagger]["r50_err"]),
            _fmt(taggers[tagger]["inv_jsd"]),
            _fmt(taggers[tagger]["inv_jsd_err"]),
            _fmt(taggers[tagger]["inv_jsd_random_cut"]),
        )
    scan_out = {}
    for method, points in scans.items():
        scan_out[method] = []
        name = scan_parameters[method]
        for value, path, meta_path in sorted(points, key=lambda p: p[0]):
            e = tagger_entry(features, path, *args)
            meta = read_json(meta_path)
            scan_out[method].append(
                {name: float(value), "train_seconds": meta["train_seconds"], **e}
            )
            log.info(
                "scan %s %s %g: R50 %s, 1/JSD %s (random-cut floor %s)",
                method,
                name,
                value,
                _fmt(e["r50"]),
                _fmt(e["inv_jsd"]),
                _fmt(e["inv_jsd_random_cut"]),
            )
    metrics = {t: md_metrics(taggers[t], read_json(m), features) for t, m in md_taggers.items()}
    summary = {
        "split": "test",
        "weights": "physics",
        "signal_efficiency": 0.5,
        "jsd": {"log_base": 2, "msd_binning": binning, "qcd_efficiencies": list(efficiencies)},
        "bootstrap": n_bootstrap,
        "taggers": taggers,
        "scan": scan_out,
        "scan_parameters": scan_parameters,
        "comparison": compare(taggers, reference),
    }
    return summary, metrics


def _fmt(x):
    return "inf" if x is None else f"{x:.3g}"


def compare(taggers: dict, reference: str = "dnn") -> dict | None:
    """The best decorrelated tagger against ``reference`` (the plain DNN).

    Best = largest 1/JSD among the decorrelated taggers keeping at least half of the
    reference's R50 (None if none does). Ratios of 1/JSD and R50 to the reference, and
    whether the best reaches 10 times the reference's 1/JSD (the stage's former target, a
    diagnostic now: the inference stage chooses the tagger by its total error on mu).
    """
    if reference not in taggers or taggers[reference]["r50"] is None:
        return None
    ref = taggers[reference]
    ref_inv = ref["inv_jsd"]

    def ratios(t):
        e = taggers[t]
        inv, r50 = e["inv_jsd"], e["r50"]
        return {
            "tagger": t,
            "inv_jsd_ratio": None if inv is None or ref_inv is None else inv / ref_inv,
            "r50_ratio": None if r50 is None else r50 / ref["r50"],
        }

    md = [t for t, e in taggers.items() if e["decorrelated"]]
    rows = {t: ratios(t) for t in md}
    eligible = [t for t in md if rows[t]["r50_ratio"] is not None and rows[t]["r50_ratio"] >= 0.5]
    best = max(eligible, key=lambda t: taggers[t]["inv_jsd"] or math.inf, default=None)
    best = rows[best] if best else None
    met = best is not None and best["inv_jsd_ratio"] is not None and best["inv_jsd_ratio"] >= 10
    return {"reference": reference, "ratios": rows, "best": best, "inv_jsd_x10_at_half_r50": met}


def write_summary(summary_path, summary: dict, metrics_paths: dict, metrics: dict) -> None:
    write_json(summary_path, summary)
    for tagger, path in metrics_paths.items():
        write_json(path, metrics[tagger])
    log.info("decorrelation summary -> %s", summary_path)
