"""The trigger tagger networks: float Keras baseline and its QKeras quantised twin.

Both are the hls4ml benchmark network 16-64-32-32-5 (J. Duarte et al., JINST 13 (2018)
P07027): three hidden ``Dense`` layers with ReLU, a 5-unit output with softmax, LeCun
uniform initialisation and an L1 penalty on the kernels (``network.l1``). The QKeras model
(C. Coelho et al., Nature Mach. Intell. 3 (2021) 675, arXiv:2006.10159) replaces every
``Dense`` by a ``QDense`` with weights and biases quantised by ``quantized_bits(bits,
integer, alpha=1)`` and every ReLU by ``QActivation(quantized_relu(activation_bits,
activation_integer))``; the softmax stays a float ``Activation`` in Keras and becomes a
lookup-table softmax in hls4ml. Layer names (``fc1, relu1, ..., output, softmax``) are the
ones of the hls4ml tutorial, so hls4ml configurations refer to them.

Model names in the workflow: ``float``, ``qkeras``, and either with ``_pruned`` (trained
with magnitude pruning, :mod:`lhcml.trigger.pruning`).

Inputs: the 16 :data:`~lhcml.trigger.features.TRIGGER_FEATURES`, standardised with the
training mean and standard deviation (NaN -> 0, the training mean) and clipped to
``[-clip, clip]``, then rounded to the grid of the FPGA network's input type
``ap_fixed<16,6>`` (steps of 2^-10): the Keras models see exactly the numbers the firmware
sees, so the QKeras network and its hls4ml emulation agree bit for bit up to the softmax
lookup tables (the scaling would be folded into the first layer or done upstream).

Everything is seeded (``seed``), TensorFlow op determinism is on and the thread pools are
sized from the rule's threads (:func:`lhcml.tf_setup.import_tensorflow`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import numpy as np

from lhcml.io import atomic_path
from lhcml.keras_training import epoch_logger, steps_per_epoch, training_record
from lhcml.standardize import Standardizer
from lhcml.tables import require_columns
from lhcml.tf_setup import alias_keras_to_tf_keras, import_tensorflow
from lhcml.trigger import hls, scan
from lhcml.trigger.features import TRIGGER_FEATURES

log = logging.getLogger("lhcml.trigger.models")

MODEL_KINDS = ("float", "qkeras")
#: The network input type ap_fixed<INPUT_WIDTH, INPUT_INTEGER> (sign bit included).
INPUT_WIDTH, INPUT_INTEGER = 16, 6
DENSE_LAYERS = ("fc1", "fc2", "fc3", "output")

DEFAULT_NETWORK = {
    "layers": [64, 32, 32],
    "l1": 1.0e-4,
    "epochs": 60,
    "batch_size": 256,
    "learning_rate": 1.0e-3,
    "patience": 8,
}
DEFAULT_QUANTISATION = {"bits": 6, "integer": 0, "activation_bits": 6, "activation_integer": 0}


def parse_model_name(name: str) -> tuple[str, bool]:
    """``(kind, pruned)`` of a model name such as ``qkeras_pruned``."""
    kind, _, suffix = name.partition("_")
    if kind not in MODEL_KINDS or suffix not in ("", "pruned"):
        raise ValueError(
            f"unknown trigger model {name!r}: expected one of {MODEL_KINDS}, optionally "
            "with the suffix '_pruned'"
        )
    return kind, suffix == "pruned"


def setup_keras(seed: int | None = None, threads: int = 1):
    """``(tf, keras)`` configured for lhcml, with ``import keras`` aliased to tf_keras."""
    tf, keras = import_tensorflow(seed=seed, threads=threads)
    alias_keras_to_tf_keras()
    return tf, keras


def feature_matrix(table, features=TRIGGER_FEATURES) -> np.ndarray:
    """The ``(n_jets, 16)`` float64 matrix of the trigger features (error names a missing one)."""
    features = list(features)
    require_columns(table, features, needed_by="the trigger tagger")
    return np.stack([np.asarray(table[f], dtype=np.float64) for f in features], axis=1)


class Preprocessor:
    """Standardise (training mean / std, NaN -> 0), clip to ``[-clip, clip]`` and round to
    the input grid ``2^-(INPUT_WIDTH - INPUT_INTEGER)``; float32."""

    step = 2.0 ** -(INPUT_WIDTH - INPUT_INTEGER)

    def __init__(self, scaler: Standardizer, clip: float):
        limit = 2.0 ** (INPUT_INTEGER - 1) - self.step
        if not 0 < clip <= limit:
            raise ValueError(f"clip must be in (0, {limit}] to fit ap_fixed<16,6>, got {clip}")
        self.scaler = scaler
        self.clip = float(clip)

    @classmethod
    def fit(cls, x: np.ndarray, clip: float) -> Preprocessor:
        return cls(Standardizer.fit(x), clip)

    def transform(self, x: np.ndarray) -> np.ndarray:
        z = np.clip(self.scaler.transform(x), -self.clip, self.clip)
        return (np.round(z / self.step) * self.step).astype(np.float32)

    def to_dict(self) -> dict:
        return {**self.scaler.to_dict(), "clip": self.clip}

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessor:
        return cls(Standardizer.from_dict(data), data["clip"])


def build_float(keras, n_inputs: int, n_classes: int, layers, l1: float):
    """The float network ``n_inputs - layers... - n_classes`` (ReLU, softmax)."""
    reg = keras.regularizers.l1(l1) if l1 > 0 else None
    inputs = keras.Input(shape=(n_inputs,), name="features")
    x = inputs
    for i, units in enumerate(layers, start=1):
        x = keras.layers.Dense(
            units, kernel_initializer="lecun_uniform", kernel_regularizer=reg, name=f"fc{i}"
        )(x)
        x = keras.layers.Activation("relu", name=f"relu{i}")(x)
    x = keras.layers.Dense(
        n_classes, kernel_initializer="lecun_uniform", kernel_regularizer=reg, name="output"
    )(x)
    outputs = keras.layers.Activation("softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name="float")


def build_qkeras(keras, n_inputs: int, n_classes: int, layers, l1: float, quant: dict):
    """The QKeras network: ``QDense`` + ``QActivation(quantized_relu)``, float softmax."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {**DEFAULT_QUANTISATION, **quant}
    reg = keras.regularizers.l1(l1) if l1 > 0 else None

    def qdense(units, name):
        return QDense(
            units,
            kernel_quantizer=quantized_bits(q["bits"], q["integer"], alpha=1),
            bias_quantizer=quantized_bits(q["bits"], q["integer"], alpha=1),
            kernel_initializer="lecun_uniform",
            kernel_regularizer=reg,
            name=name,
        )

    inputs = keras.Input(shape=(n_inputs,), name="features")
    x = inputs
    for i, units in enumerate(layers, start=1):
        x = qdense(units, f"fc{i}")(x)
        relu = quantized_relu(q["activation_bits"], q["activation_integer"])
        x = QActivation(relu, name=f"relu{i}")(x)
    x = qdense(n_classes, "output")(x)
    outputs = keras.layers.Activation("softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name="qkeras")


def build_model(keras, kind: str, n_inputs: int, n_classes: int, network: dict, quant: dict):
    net = {**DEFAULT_NETWORK, **network}
    if kind == "float":
        return build_float(keras, n_inputs, n_classes, net["layers"], net["l1"])
    return build_qkeras(keras, n_inputs, n_classes, net["layers"], net["l1"], quant)


def fit(keras, model, train, val, network: dict, extra_callbacks=(), start_from_epoch: int = 0):
    """Adam + weighted categorical cross-entropy, early stopping on the validation loss.

    ``train`` and ``val`` are ``(x, target, weight)``. The learning rate halves after
    ``patience // 2`` epochs without improvement; training stops after ``patience`` and the
    best epoch's weights are restored (counting only from ``start_from_epoch``, so that a
    pruned model never goes back to weights from before its pruning started).
    Returns the fit information (time, epochs, history).
    """
    net = {**DEFAULT_NETWORK, **network}
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=net["learning_rate"]),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["accuracy"],
        # one call per epoch, unless a callback (pruning's step counter) acts per batch
        steps_per_execution=1
        if extra_callbacks
        else steps_per_epoch(len(train[1]), net["batch_size"]),
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss",
        patience=net["patience"],
        restore_best_weights=True,
        start_from_epoch=start_from_epoch,
    )
    slower = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, net["patience"] // 2), min_lr=1e-5
    )
    start = time.perf_counter()
    history = model.fit(
        train[0],
        train[1],
        sample_weight=train[2].astype(np.float32),
        validation_data=(val[0], val[1], val[2].astype(np.float32)),
        epochs=net["epochs"],
        batch_size=net["batch_size"],
        shuffle=True,
        callbacks=[*extra_callbacks, stop, slower, epoch_logger(keras, log)],
        verbose=0,
    )
    return training_record(history, time.perf_counter() - start, log, start_from_epoch)


def custom_objects() -> dict:
    """The QKeras layers and quantisers, for loading saved models."""
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    return objects


def save_model(model, path) -> None:
    """Save in the HDF5 format (what hls4ml and QKeras read most reliably), atomically."""

    with atomic_path(path) as tmp:
        model.save(tmp, save_format="h5")


def load_model(path, threads: int = 1):
    """A saved float or QKeras model (uncompiled)."""
    _, keras = setup_keras(threads=threads)
    return keras.models.load_model(path, custom_objects=custom_objects(), compile=False)


def predict(model, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Softmax outputs ``(n_jets, n_classes)`` in float64."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)


def dense_layers(model) -> list:
    """The model's Dense / QDense layers in order."""
    return [layer for layer in model.layers if layer.name in DENSE_LAYERS]


def quantised_kernels(model) -> dict[str, np.ndarray]:
    """Each dense layer's kernel as the hardware sees it (QKeras: after its quantiser)."""
    out = {}
    for layer in dense_layers(model):
        kernel = layer.get_weights()[0]
        quantizer = getattr(layer, "kernel_quantizer_internal", None)
        if quantizer is not None:
            kernel = np.asarray(quantizer(kernel))
        out[layer.name] = np.asarray(kernel, dtype=np.float64)
    return out


def design_model(model, keras, point: Mapping, x_profile: np.ndarray, guard_bits: int):
    """The float ``model`` pruned and quantised for ``point``: ``(model, precisions)``.

    ``precisions`` is the per-layer ``{weight|bias|result: "fixed<W,I>"}`` for
    :func:`lhcml.trigger.hls.hls_config`; the returned Keras model (a clone) carries the
    quantised weights.
    """

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for layer in dense_layers(clone):
        w, b = layer.get_weights()
        layer.set_weights([scan.magnitude_prune(w, point["pruning"]).astype(w.dtype), b])
    prof = hls.profile_precisions(clone, x_profile, width=point["bits"], guard_bits=guard_bits)
    precision = prof["precision"]
    for name, types in precision.items():  # layer outputs: round to nearest, saturate
        if name != "features" and "result" in types:
            types["result"] = types["result"].replace(">", ",RND,SAT>")
    for layer in dense_layers(clone):
        w, b = layer.get_weights()
        qw = scan.quantise(w, *scan.parse_fixed(precision[layer.name]["weight"]))
        qb = scan.quantise(b, *scan.parse_fixed(precision[layer.name]["bias"]))
        layer.set_weights([qw.astype(w.dtype), qb.astype(b.dtype)])
    return clone, precision
