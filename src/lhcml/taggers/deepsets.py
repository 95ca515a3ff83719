"""Deep Sets / Particle Flow Network on the jet constituents (Komiske, Metodiev, Thaler 2019).

score = F( sum_i mask_i * Phi(p_i) [, jet features] ): a per-particle network Phi (dense
layers applied to every constituent with shared weights) maps each particle's inputs p_i
(relative pT, its logarithm, delta-eta, delta-phi; :data:`lhcml.taggers.inputs.PARTICLE_FEATURES`)
to a latent vector; the latent vectors of the real particles are summed (padded slots are
multiplied by a mask of 0, so padding never contributes, whatever Phi(0) is); the jet-level
network F maps the sum to P(signal). The sum makes the score invariant under permutations
of the constituents.

The constituent pT is relative to the jet pT, so the constituents alone fix the jet mass
only up to the jet pT (m/pT). ``jet_features`` (default ``[pt]``; log pT is used) are
joined to the summed vector before F and restore the absolute scale: on the default
configuration this raises R50 from about 30 to about 60.

Per-particle inputs are standardised over the real particles of the training split, jet
features over the training jets (both scalers stored in the metadata). Trained like the
dense network: class-balanced weights, Adam, early stopping on the validation loss.
"""

from __future__ import annotations

import logging

import numpy as np

from lhcml.config import schema_defaults
from lhcml.taggers import keras_common
from lhcml.taggers.inputs import (
    CONSTITUENT_COLUMNS,
    PARTICLE_FEATURES,
    Standardizer,
    balanced_weights,
    binary_jets,
    column,
    constituent_inputs,
    high_level_matrix,
    select,
)
from lhcml.tf_setup import import_tensorflow

log = logging.getLogger("lhcml.taggers.deepsets")

#: Hyperparameter defaults: the config schema's (section ``train.deepsets``).
DEFAULTS = schema_defaults("train.deepsets")


class DeepSetsTagger:
    kind = "deepsets"

    def __init__(self, model, scaler: Standardizer, jet_features=(), jet_scaler=None):
        self.model = model
        self.scaler = scaler
        self.jet_features = list(jet_features)
        self.jet_scaler = jet_scaler
        self.features = [*CONSTITUENT_COLUMNS, *self.jet_features]

    def inputs(self, table) -> dict[str, np.ndarray]:
        x, mask = constituent_inputs(table, needed_by="the Deep Sets network")
        out = {"particles": self.scaler.transform(x) * mask[..., None], "mask": mask}
        if self.jet_features:
            jets = high_level_matrix(table, self.jet_features, needed_by="the Deep Sets network")
            out["jet"] = self.jet_scaler.transform(_jet_transform(jets, self.jet_features))
        return out

    def score(self, table) -> np.ndarray:
        return keras_common.predict(self.model, self.inputs(table))

    def save(self, path) -> None:
        keras_common.save_model(self.model, path)

    def meta(self) -> dict:
        out = {"scaler": self.scaler.to_dict(), "particle_features": list(PARTICLE_FEATURES)}
        if self.jet_features:
            out["jet_features"] = self.jet_features
            out["jet_scaler"] = self.jet_scaler.to_dict()
        return out

    @classmethod
    def load(cls, path, meta: dict, threads: int = 1) -> DeepSetsTagger:
        _, keras = import_tensorflow(threads=threads)
        model = keras.models.load_model(path, compile=False)
        jet_features = meta.get("jet_features", [])
        jet_scaler = Standardizer.from_dict(meta["jet_scaler"]) if jet_features else None
        return cls(model, Standardizer.from_dict(meta["scaler"]), jet_features, jet_scaler)


def _jet_transform(x: np.ndarray, names) -> np.ndarray:
    """Logarithm of the jet pT and multiplicity (long tails), other features unchanged."""
    x = np.array(x, dtype=np.float64)
    for i, name in enumerate(names):
        if name in ("pt", "nconst"):
            x[:, i] = np.log(np.maximum(x[:, i], 1e-3))
    return x


def build_model(
    keras, n_particles: int, n_inputs: int, phi_layers, latent_dim, f_layers, dropout, n_jet=0
):
    """The Deep Sets network: inputs ``particles`` (n, k, n_inputs), ``mask`` (n, k) and,
    with ``n_jet`` > 0, ``jet`` (n, n_jet) features concatenated to the summed latent vector.
    """
    particles = keras.Input(shape=(n_particles, n_inputs), name="particles")
    mask = keras.Input(shape=(n_particles,), name="mask")
    inputs = {"particles": particles, "mask": mask}
    x = particles
    for i, units in enumerate(phi_layers):  # Dense acts on the last axis: shared per particle
        x = keras.layers.Dense(units, activation="relu", name=f"phi_{i}")(x)
    x = keras.layers.Dense(latent_dim, activation="relu", name="phi_latent")(x)
    # masked sum over particles: sum_i mask_i * Phi_i, as a (n, k) . (n, k, latent) product
    x = keras.layers.Dot(axes=(1, 1), name="masked_sum")([mask, x])
    if n_jet:
        inputs["jet"] = keras.Input(shape=(n_jet,), name="jet")
        x = keras.layers.Concatenate(name="with_jet")([x, inputs["jet"]])
    for i, units in enumerate(f_layers):
        x = keras.layers.Dense(units, activation="relu", name=f"f_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model(inputs, outputs, name="deepsets")


def train(train_table, val_table, features, params: dict, seed: int, threads: int = 1):
    """Train on the signal/background jets of ``train_table``; return ``(tagger, info)``.

    ``features`` (the high-level list) is not used: the inputs are the constituents.
    """
    del features
    p = {**DEFAULTS, **params}
    _, keras = import_tensorflow(seed=seed, threads=threads)
    tables = {
        name: select(t, binary_jets(t)) for name, t in (("train", train_table), ("val", val_table))
    }
    x_train, mask_train = constituent_inputs(tables["train"], needed_by="the Deep Sets network")
    scaler = Standardizer.fit(x_train, mask=mask_train > 0)
    jet_features = list(p["jet_features"])
    jet_scaler = None
    if jet_features:
        jets = high_level_matrix(tables["train"], jet_features, needed_by="the Deep Sets network")
        jet_scaler = Standardizer.fit(_jet_transform(jets, jet_features))
    data = {}
    for name, table in tables.items():
        y = column(table, "y")
        w = balanced_weights(y, column(table, "weight", np.float64))
        data[name] = (y, w)
    model = build_model(
        keras,
        x_train.shape[1],
        x_train.shape[2],
        p["phi_layers"],
        p["latent_dim"],
        p["f_layers"],
        p["dropout"],
        len(jet_features),
    )
    tagger = DeepSetsTagger(model, scaler, jet_features, jet_scaler)
    y_train, w_train = data["train"]
    log.info(
        "training Deep Sets on %d signal + %d background jets (%d constituents x %s), params %s",
        int((y_train == 1).sum()),
        int((y_train == 0).sum()),
        x_train.shape[1],
        list(PARTICLE_FEATURES),
        p,
    )
    fit = keras_common.fit(
        keras,
        model,
        tagger.inputs(tables["train"]),
        y_train,
        w_train,
        (tagger.inputs(tables["val"]), *data["val"]),
        p,
        log,
    )
    info = {
        "n_train": {"signal": int((y_train == 1).sum()), "background": int((y_train == 0).sum())},
        "params": p,
        **fit,
    }
    return tagger, info


def load(path, meta: dict, threads: int = 1) -> DeepSetsTagger:
    """A saved tagger (model file and its metadata)."""
    return DeepSetsTagger.load(path, meta, threads)
