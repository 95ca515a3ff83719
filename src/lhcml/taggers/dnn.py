"""Dense neural network (Keras) on the standardised high-level features.

Inputs are standardised with the training-split mean and standard deviation; NaN values
(N2, D2 of jets groomed to one particle) become 0 after standardisation, i.e. the training
mean. The scaler is stored in the model's metadata and applied at scoring time. Trained
with the class-balanced weights (weighted binary cross-entropy), early stopping on the
validation loss (best weights restored). Output: sigmoid P(signal).
"""

from __future__ import annotations

import logging

import numpy as np

from lhcml.config import schema_defaults
from lhcml.taggers import keras_common
from lhcml.taggers.inputs import (
    Standardizer,
    balanced_weights,
    binary_jets,
    column,
    high_level_matrix,
    select,
)
from lhcml.tf_setup import import_tensorflow

log = logging.getLogger("lhcml.taggers.dnn")

#: Hyperparameter defaults: the config schema's (section ``train.dnn``).
DEFAULTS = schema_defaults("train.dnn")


class DNNTagger:
    kind = "dnn"

    def __init__(self, model, features, scaler: Standardizer):
        self.model = model
        self.features = list(features)
        self.scaler = scaler

    def score(self, table) -> np.ndarray:
        x = self.scaler.transform(high_level_matrix(table, self.features, needed_by="the DNN"))
        return keras_common.predict(self.model, x)

    def save(self, path) -> None:
        keras_common.save_model(self.model, path)

    def meta(self) -> dict:
        return {"scaler": self.scaler.to_dict()}

    @classmethod
    def load(cls, path, meta: dict, threads: int = 1) -> DNNTagger:
        _, keras = import_tensorflow(threads=threads)
        model = keras.models.load_model(path, compile=False)
        return cls(model, meta["inputs"], Standardizer.from_dict(meta["scaler"]))


def build_model(keras, n_features: int, layers, dropout: float):
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(layers):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model(inputs, outputs, name="dnn")


def train(train_table, val_table, features, params: dict, seed: int, threads: int = 1):
    """Train on the signal/background jets of ``train_table``; return ``(tagger, info)``."""
    p = {**DEFAULTS, **params}
    _, keras = import_tensorflow(seed=seed, threads=threads)
    features = list(features)
    data = {}
    for name, table in (("train", train_table), ("val", val_table)):
        table = select(table, binary_jets(table))
        y = column(table, "y")
        data[name] = (
            high_level_matrix(table, features, needed_by="the DNN"),
            y,
            balanced_weights(y, column(table, "weight", np.float64)),
        )
    scaler = Standardizer.fit(data["train"][0])
    x_train, y_train, w_train = data["train"]
    x_val, y_val, w_val = data["val"]
    model = build_model(keras, len(features), p["layers"], p["dropout"])
    log.info(
        "training DNN %s on %d signal + %d background jets, features %s, params %s",
        p["layers"],
        int((y_train == 1).sum()),
        int((y_train == 0).sum()),
        features,
        p,
    )
    fit = keras_common.fit(
        keras,
        model,
        scaler.transform(x_train),
        y_train,
        w_train,
        (scaler.transform(x_val), y_val, w_val),
        p,
        log,
    )
    info = {
        "n_train": {"signal": int((y_train == 1).sum()), "background": int((y_train == 0).sum())},
        "params": p,
        **fit,
    }
    return DNNTagger(model, features, scaler), info


def load(path, meta: dict, threads: int = 1) -> DNNTagger:
    """A saved tagger (model file and its metadata)."""
    return DNNTagger.load(path, meta, threads)
