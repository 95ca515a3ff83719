"""What the workflow's scripts call: train + save, load + score, evaluate.

Kept free of Snakemake so it can be tested (and used) without it.
"""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from lhcml import tables
from lhcml.io import read_json, write_json
from lhcml.summary import training_versions
from lhcml.tables import aligned_scores, read_table, write_table
from lhcml.taggers import kind_of, load_tagger, model_path_in, module_of
from lhcml.taggers.inputs import binary_jets, column, select
from lhcml.taggers.metrics import evaluate, metrics_record, roc_curve, validate_metrics

log = logging.getLogger("lhcml.taggers")


def train_tagger(tagger: str, train_table, val_table, features, params, seed: int, threads: int):
    """Train one tagger; return ``(tagger_object, meta)`` (meta as written to meta.json)."""
    kind = kind_of(tagger)
    module = module_of(tagger)
    if kind == "cutbased":
        model, info = module.train(train_table, val_table, tagger)
    else:
        model, info = module.train(train_table, val_table, features, params or {}, seed, threads)
    meta = {
        "tagger": tagger,
        "kind": kind,
        "inputs": list(model.features),
        "model_file": module.MODEL_FILE,
        "seed": seed,
        "threads": threads,
        "versions": training_versions(kind),
        **info,
    }
    if hasattr(model, "meta"):
        meta.update(model.meta())
    if hasattr(model, "feature_importance"):
        meta["feature_importance"] = model.feature_importance()
    return model, meta


def train_and_save(
    tagger, train_path, val_path, model_path, meta_path, features, params, seed, threads
):
    """Train on the feature tables at ``train_path``/``val_path``; write model and meta.

    ``model_path``: the model file or its folder (:func:`model_path_in`).
    """
    model, meta = train_tagger(
        tagger, read_table(train_path), read_table(val_path), features, params, seed, threads
    )
    model_path = model_path_in(model_path, tagger)
    model.save(model_path)
    write_json(meta_path, meta)
    log.info(
        "%s: trained on %s jets in %.1f s -> %s",
        tagger,
        meta["n_train"],
        meta["train_seconds"],
        model_path,
    )
    return meta


def score_table(model, table) -> ak.Array:
    """Event identifiers and the tagger's ``score`` for every jet of ``table`` (same order)."""
    return tables.score_table(table, model.score(table))


def score_splits(model_path, meta_path, feature_paths: dict, output_paths: dict, threads: int = 1):
    """Apply a saved tagger to each split's feature table; write the score tables."""
    model = load_tagger(model_path, meta_path, threads)
    for split, path in feature_paths.items():
        scores = score_table(model, read_table(path))
        write_table(scores, output_paths[split])
        log.info("%s: %d jets scored -> %s", split, len(scores), output_paths[split])


def evaluate_tagger(features_path, scores_path, meta_path, n_bootstrap: int, seed: int) -> dict:
    """The metrics of results/metrics/{tagger}.json on the test split (physics weights)."""
    features = read_table(features_path)
    score = aligned_scores(features, scores_path)
    meta = read_json(meta_path)
    sel = binary_jets(features)
    features, score = select(features, sel), score[sel]
    y = column(features, "y")
    w = column(features, "weight", np.float64)
    result = evaluate(y, score, w, n_bootstrap=n_bootstrap, seed=seed)
    r50 = result["r50"]
    metrics = metrics_record(meta, y, w, {**result, "r50": None if not np.isfinite(r50) else r50})
    if "feature_importance" in meta:
        metrics["feature_importance"] = meta["feature_importance"]
    return validate_metrics(metrics)


def write_metrics(path, metrics: dict) -> None:
    write_json(path, metrics)
    log.info(
        "%s: AUC %.4f +- %s, R50 %s +- %s (%s test jets)",
        metrics["tagger"],
        metrics["auc"],
        metrics["auc_err"],
        metrics["r50"],
        metrics["r50_err"],
        metrics["n_test"],
    )


def _test_scores(features, score_path) -> tuple[np.ndarray, np.ndarray]:
    """Binary-class mask of the test table and the scores of those jets (rows checked)."""
    sel = binary_jets(features)
    return sel, aligned_scores(features, score_path)[sel]


def plot_tagger(metrics_path, scores_path, features_path, score_plot, msd_plot, msd_range) -> None:
    """Score distributions and the QCD mass before/after the 50%-signal cut (test split)."""
    from lhcml.taggers import plots

    features = read_table(features_path)
    sel, score = _test_scores(features, scores_path)
    test = select(features, sel)
    y, w = column(test, "y"), column(test, "weight", np.float64)
    metrics = read_json(metrics_path)
    tagger, threshold = metrics["tagger"], metrics["threshold_at_50"]
    plots.plot_scores(tagger, score, y, w, threshold, *score_plot)
    plots.plot_msd_sculpting(
        tagger,
        column(test, "msd", np.float64),
        y,
        w,
        score,
        threshold,
        msd_range,
        *msd_plot,
        eps_b=metrics["eps_b_at_50"],
    )
    log.info("%s: score and mass-sculpting plots written", tagger)


def plot_roc(taggers, metrics_paths, score_paths, features_path, paths) -> None:
    """ROC curves of all taggers on one canvas, with AUC and R50 from the metrics files."""
    from lhcml.taggers import plots

    features = read_table(features_path)
    curves = {}
    for tagger, metrics_path, score_path in zip(taggers, metrics_paths, score_paths, strict=True):
        sel, score = _test_scores(features, score_path)
        test = select(features, sel)
        eps_s, eps_b, _ = roc_curve(column(test, "y"), score, column(test, "weight", np.float64))
        curves[tagger] = {"eps_s": eps_s, "eps_b": eps_b, **read_json(metrics_path)}
    plots.plot_roc(curves, *paths)
    log.info("ROC curves of %s written", ", ".join(taggers))


def make_plots(
    taggers,
    metrics_paths,
    score_paths,
    features_path,
    roc_plot,
    score_plots,
    msd_plots,
    msd_range,
    bdt_meta=None,
    importance_plot=None,
) -> None:
    """Every tagger plot of the workflow, in one process (imports are paid once).

    ``score_plots`` and ``msd_plots`` hold one list of paths (PDF, PNG) per tagger.
    """
    for metrics_path, scores_path, score_plot, msd_plot in zip(
        metrics_paths, score_paths, score_plots, msd_plots, strict=True
    ):
        plot_tagger(metrics_path, scores_path, features_path, score_plot, msd_plot, msd_range)
    plot_roc(taggers, metrics_paths, score_paths, features_path, roc_plot)
    if bdt_meta is not None and importance_plot:
        from lhcml.taggers.plots import plot_importance

        plot_importance(read_json(bdt_meta)["feature_importance"], *importance_plot)
        log.info("BDT feature importance written")
