"""BDT training: xgboost (``hist``, the analysis BDT) vs scikit-learn's
HistGradientBoostingClassifier with the same depth, learning rate, iteration cap, early
stopping on the same validation split, class-balanced weights and threads (xgboost also
subsamples 80% of the jets per tree, as configured); test AUC with physics weights beside
each time, so the times compare models of equal quality."""

from __future__ import annotations

import logging
import os

import numpy as np
import yaml
from common import median_seconds, table
from sklearn.ensemble import HistGradientBoostingClassifier

from lhcml.taggers import bdt
from lhcml.taggers.inputs import balanced_weights, binary_jets, column, high_level_matrix, select
from lhcml.taggers.metrics import auc
from lhcml.taggers.workflow import read_table

TITLE = "BDT training: xgboost vs scikit-learn HistGradientBoosting"


def _arrays(t, features):
    t = select(t, binary_jets(t))
    y = column(t, "y")
    w = column(t, "weight", np.float64)
    return high_level_matrix(t, features), y, w


def train_sklearn(train, val, p: dict, seed: int):

    (x, y, w), (xv, yv, wv) = train, val
    model = HistGradientBoostingClassifier(
        max_iter=p["n_estimators"], max_depth=p["max_depth"], learning_rate=p["learning_rate"],
        early_stopping=True, n_iter_no_change=p["early_stopping_rounds"], tol=0.0,
        scoring="loss", random_state=seed,
    )  # fmt: skip
    model.fit(x, y, sample_weight=balanced_weights(y, w), X_val=xv, y_val=yv,
              sample_weight_val=balanced_weights(yv, wv))  # fmt: skip
    return model


def run(args) -> dict | None:
    features_dir = os.path.join(args.results, "features")
    if not os.path.exists(os.path.join(features_dir, "train.parquet")):
        return None
    with open(args.config) as f:
        cfg = yaml.safe_load(f)["train"]
    threads, seed = cfg["threads"], cfg["seed"]
    params = {**bdt.DEFAULTS, **cfg["bdt"]}
    os.environ["OMP_NUM_THREADS"] = str(threads)  # scikit-learn's OpenMP threads
    logging.getLogger("lhcml.taggers.bdt").setLevel(logging.WARNING)
    tables = {s: read_table(f"{features_dir}/{s}.parquet") for s in ("train", "val", "test")}
    data = {s: _arrays(t, cfg["features"]) for s, t in tables.items()}
    x_test, y_test, w_test = data["test"]

    t_xgb, _, (tagger, info) = median_seconds(
        lambda: bdt.train(tables["train"], tables["val"], cfg["features"], params, seed, threads),
        args.repeats,
    )
    auc_xgb = auc(y_test, tagger.booster.inplace_predict(x_test), w_test)
    t_skl, _, model = median_seconds(
        lambda: train_sklearn(data["train"], data["val"], params, seed), args.repeats
    )
    auc_skl = auc(y_test, model.predict_proba(x_test)[:, 1], w_test)
    result = {
        "train_jets": int(len(data["train"][1])),
        "threads": threads,
        "xgboost": {"seconds": t_xgb, "iterations": info["best_iteration"] + 1, "auc": auc_xgb},
        "sklearn_hgb": {"seconds": t_skl, "iterations": int(model.n_iter_), "auc": auc_skl},
    }
    result["ratio"] = t_xgb / t_skl
    lines = [
        f"{result['train_jets']} training jets, {len(cfg['features'])} features, {threads} "
        f"threads, max_depth {params['max_depth']}, learning rate {params['learning_rate']}, "
        f"early stopping after {params['early_stopping_rounds']} rounds; medians of "
        f"{args.repeats} trainings; test AUC with physics weights.",
        "",
        *table(
            ["library", "train s", "iterations", "test AUC"],
            [
                ["xgboost hist", t_xgb, result["xgboost"]["iterations"], auc_xgb],
                [
                    "sklearn HistGradientBoosting",
                    t_skl,
                    result["sklearn_hgb"]["iterations"],
                    auc_skl,
                ],
            ],
        ),
        "",
        f"xgboost / sklearn time: {result['ratio']:.2f}; AUC difference {auc_xgb - auc_skl:+.4f}.",
    ]
    return {"title": TITLE, "results": result, "lines": lines}
