"""Training loop pieces shared by the Keras taggers (dense network, Deep Sets)."""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.io import atomic_path
from lhcml.keras_training import epoch_logger, steps_per_epoch, training_record


def fit(keras, model, x_train, y_train, w_train, val, params: dict, logger: logging.Logger) -> dict:
    """Compile (Adam, weighted binary cross-entropy) and fit with early stopping.

    ``val`` is ``(x_val, y_val, w_val)``. The learning rate is halved when the validation
    loss has not improved for ``patience // 2`` epochs; training stops after ``patience``
    epochs without improvement and the weights of the best epoch are restored. Returns
    the fit time and the history.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=params["learning_rate"]),
        loss="binary_crossentropy",
        weighted_metrics=[],
        steps_per_execution=steps_per_epoch(len(y_train), params["batch_size"]),
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=params["patience"], restore_best_weights=True
    )
    slower = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, params["patience"] // 2), min_lr=1e-5
    )
    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train.astype(np.float32),
        sample_weight=w_train.astype(np.float32),
        validation_data=(val[0], val[1].astype(np.float32), val[2].astype(np.float32)),
        epochs=params["epochs"],
        batch_size=params["batch_size"],
        shuffle=True,
        callbacks=[stop, slower, epoch_logger(keras, logger)],
        verbose=0,
    )
    return training_record(history, time.perf_counter() - start, logger)


def save_model(model, path) -> None:
    """Save a Keras model in the native ``.keras`` format, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def predict(model, inputs, batch_size: int = 4096) -> np.ndarray:
    return np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0), np.float64)[:, 0]
