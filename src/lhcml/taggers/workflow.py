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
from lhcml.taggers import kind_of, load_tagger, model_file, model_path_in, module_of
from lhcml.taggers.inputs import binary_jets, column, select
from lhcml.taggers.metrics import evaluate, metrics_record, validate_metrics

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
        "model_file": model_file(tagger),
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
