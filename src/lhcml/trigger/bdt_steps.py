"""The trigger BDT's workflow step (scripts/trigger_bdt.py): xgboost and conifer, apart from
:mod:`lhcml.trigger.workflow` so that the other trigger jobs do not import them."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import conifer
import numpy as np
import pandas as pd
import xgboost

from lhcml.io import atomic_path, read_json, write_json
from lhcml.trigger import bdt, dataset, hls, metrics, models
from lhcml.trigger.workflow import CLASSES, PROB_COLUMNS, class_targets, read_table, write_table

log = logging.getLogger("lhcml.trigger")


def run_bdt(
    train_path,
    test_path,
    float_meta_path,
    model_path,
    project_dir,
    scores_path,
    result_path,
    params,
    seed,
    threads=1,
) -> dict:
    """Train the xgboost trigger BDT, convert it with conifer, emulate it on the test jets."""
    p = {**bdt.DEFAULT_BDT, **params}
    prep = models.Preprocessor.from_dict(read_json(float_meta_path)["preprocessing"])
    train, test = read_table(train_path), read_table(test_path)
    x_train = prep.transform(models.feature_matrix(train))
    y_train = class_targets(train)
    x = prep.transform(models.feature_matrix(test))
    target = class_targets(test)
    start = time.perf_counter()
    model = bdt.train(x_train, y_train, dataset.class_weights(y_train), p, seed, threads)
    train_seconds = time.perf_counter() - start
    with atomic_path(model_path) as tmp:
        model.get_booster().save_model(str(tmp))
    reference = bdt.margins(model, x)
    project_dir = Path(project_dir)
    tmp_dir = project_dir.with_name(f".{project_dir.name}.tmp")
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir(parents=True)
    cmodel = bdt.convert(model, tmp_dir, p["precision"])
    emulated, compile_seconds = bdt.compile_and_emulate(cmodel, x)
    hls.replace_dir(tmp_dir, project_dir)
    probs = bdt.softmax(emulated)
    scores = pd.DataFrame(probs, columns=PROB_COLUMNS)
    scores.insert(0, "row", np.arange(len(x)))
    write_table(scores, scores_path)
    result = {
        "model": "bdt",
        "library": f"xgboost {xgboost.__version__}",
        "converter": f"conifer {conifer.__version__} (cpp backend, g++)",
        "params": p,
        "size": bdt.size(model),
        "train_seconds": train_seconds,
        "compile_seconds": compile_seconds,
        "project": str(project_dir),
        "xgboost": metrics.model_metrics(target, bdt.softmax(reference), CLASSES),
        "conifer": metrics.model_metrics(target, probs, CLASSES),
        "agreement": metrics.agreement(bdt.softmax(reference), probs),
        "margin_agreement": metrics.agreement(reference, emulated),
        "resources": {
            "estimate": None,
            "reason": "da4ml models dense arithmetic only; "
            "conifer reports resources only from Vivado/Vitis synthesis",
        },
    }
    write_json(result_path, result)
    log.info(
        "BDT: xgboost accuracy %.4f, conifer %.4f, argmax agreement %.4f, max |dp| %.3g",
        result["xgboost"]["accuracy"],
        result["conifer"]["accuracy"],
        result["agreement"]["argmax_agreement"],
        result["agreement"]["max_abs_diff"],
    )
    return result
