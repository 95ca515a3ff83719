"""The Keras training pieces shared by the stages (lhcml.keras_training)."""

import numpy as np
import pytest

from lhcml.keras_training import steps_per_epoch
from lhcml.tf_setup import import_tensorflow


@pytest.mark.parametrize(("rows", "batch", "steps"), [(1000, 256, 4), (1024, 256, 4), (10, 256, 1)])
def test_steps_per_epoch_counts_the_incomplete_last_batch(rows, batch, steps):
    assert steps_per_epoch(rows, batch) == steps


def _fit(steps_per_execution: int):
    _tf, keras = import_tensorflow(seed=11)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1000, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=1000) > 0).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=1000).astype(np.float32)
    inp = keras.Input((6,))
    hidden = keras.layers.Dense(16, activation="relu")(inp)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(
        keras.optimizers.Adam(1e-2),
        loss="binary_crossentropy",
        weighted_metrics=[],
        steps_per_execution=steps_per_execution,
    )
    history = model.fit(
        x[:800],
        y[:800],
        sample_weight=w[:800],
        validation_data=(x[800:], y[800:], w[800:]),
        batch_size=96,  # 800 rows: 8 full batches and one of 32
        epochs=6,
        shuffle=True,
        callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1)],
        verbose=0,
    )
    return model.get_weights(), history.history


def test_one_compiled_call_per_epoch_gives_the_weights_of_one_call_per_batch():
    """The taggers, the trigger models and the calorimeter classifier run each epoch in
    one call of the compiled train function: the same updates in the same order (with
    shuffling, sample weights, an incomplete last batch and an epoch-level callback), so
    the same weights and losses to the last bit."""
    per_batch, history_per_batch = _fit(1)
    per_epoch, history_per_epoch = _fit(steps_per_epoch(800, 96))
    assert history_per_epoch == history_per_batch
    assert len(per_epoch) == len(per_batch)
    for a, b in zip(per_epoch, per_batch, strict=True):
        np.testing.assert_array_equal(a, b)
