"""Gradient-boosted decision trees (xgboost, ``hist``) on the high-level features.

Trained with the class-balanced weights of :func:`lhcml.taggers.inputs.balanced_weights`;
early stopping on the weighted log-loss of the validation split; the saved model (xgboost's
JSON format) keeps the trees up to the best iteration only. Missing values (NaN N2/D2)
are handled natively by xgboost (a learned default direction at every split).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import xgboost as xgb

from lhcml.config import schema_defaults
from lhcml.io import atomic_path
from lhcml.taggers.inputs import balanced_weights, binary_jets, column, high_level_matrix, select

log = logging.getLogger("lhcml.taggers.bdt")

#: Hyperparameter defaults: the config schema's (section ``train.bdt``).
DEFAULTS = schema_defaults("train.bdt")

#: Iterations between two lines of the evaluation log.
LOG_EVERY = 25


class BDTTagger:
    """A trained booster and its input features; ``score`` = P(signal) in [0, 1]."""

    kind = "bdt"

    def __init__(self, booster, features, threads: int = 1):
        self.booster = booster
        self.features = list(features)
        self.threads = threads

    def score(self, table) -> np.ndarray:

        x = high_level_matrix(table, self.features, needed_by="the BDT")
        self.booster.set_param({"nthread": self.threads})
        dmat = xgb.DMatrix(x, missing=np.nan, feature_names=self.features, nthread=self.threads)
        return self.booster.predict(dmat).astype(np.float64)

    def feature_importance(self) -> dict[str, float]:
        """Total gain per feature, normalised to sum to 1 (features never used get 0)."""
        gain = self.booster.get_score(importance_type="total_gain")
        total = sum(gain.values()) or 1.0
        return {f: float(gain.get(f, 0.0) / total) for f in self.features}

    def save(self, path) -> None:
        with atomic_path(path) as tmp:
            self.booster.save_model(tmp)

    @classmethod
    def load(cls, path, meta: dict, threads: int = 1) -> BDTTagger:

        booster = xgb.Booster()
        booster.load_model(str(path))
        return cls(booster, meta["inputs"], threads)


def _evaluation_logger(every: int):

    class LogEvaluation(xgb.callback.TrainingCallback):
        """Write the train/val log-loss to the job log every ``every`` iterations."""

        def after_iteration(self, model, epoch, evals_log):
            if epoch % every == 0:
                parts = [
                    f"{d}-{m} {v[-1]:.5f}" for d, ms in evals_log.items() for m, v in ms.items()
                ]
                log.info("iteration %4d: %s", epoch, ", ".join(parts))
            return False

    return LogEvaluation()


def train(train_table, val_table, features, params: dict, seed: int, threads: int = 1):
    """Train on the signal/background jets of ``train_table``; return ``(tagger, info)``.

    ``info`` has the training jets per class, the best iteration and the fit time (s).
    """

    p = {**DEFAULTS, **params}
    features = list(features)
    dsets = {}
    for name, table in (("train", train_table), ("val", val_table)):
        sel = binary_jets(table)
        table = select(table, sel)
        y = column(table, "y")
        w = balanced_weights(y, column(table, "weight", np.float64))
        x = high_level_matrix(table, features, needed_by="the BDT")
        dsets[name] = (
            xgb.DMatrix(
                x, label=y, weight=w, missing=np.nan, feature_names=features, nthread=threads
            ),
            y,
        )
    booster_params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "max_depth": p["max_depth"],
        "eta": p["learning_rate"],
        "subsample": p["subsample"],
        "colsample_bytree": p["colsample_bytree"],
        "min_child_weight": p["min_child_weight"],
        "seed": seed,
        "nthread": threads,
    }
    y_train = dsets["train"][1]
    log.info(
        "training BDT on %d signal + %d background jets, features %s, params %s",
        int((y_train == 1).sum()),
        int((y_train == 0).sum()),
        features,
        booster_params,
    )
    start = time.perf_counter()
    booster = xgb.train(
        booster_params,
        dsets["train"][0],
        num_boost_round=p["n_estimators"],
        evals=[(dsets["train"][0], "train"), (dsets["val"][0], "val")],
        early_stopping_rounds=p["early_stopping_rounds"],
        callbacks=[_evaluation_logger(LOG_EVERY)],
        verbose_eval=False,
    )
    seconds = time.perf_counter() - start
    best = int(booster.best_iteration)
    log.info("best iteration %d (val logloss %.5f), %.1f s", best, booster.best_score, seconds)
    booster = booster[: best + 1]
    info = {
        "n_train": {"signal": int((y_train == 1).sum()), "background": int((y_train == 0).sum())},
        "train_seconds": seconds,
        "best_iteration": best,
        "params": p,
    }
    return BDTTagger(booster, features, threads), info


def load(path, meta: dict, threads: int = 1) -> BDTTagger:
    """A saved tagger (model file and its metadata)."""
    return BDTTagger.load(path, meta, threads)
