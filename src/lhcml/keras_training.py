"""Keras training pieces shared by every stage that trains a network (the taggers, the
trigger models, the calorimeter classifier test): one log line per epoch, one compiled
call per epoch, and the record of a fit.

TensorFlow is never imported here: the callers pass the ``keras`` module they use.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np


def epoch_logger(keras, logger: logging.Logger):
    """A callback writing one line per epoch (every logged metric, the epoch's wall time)
    to ``logger``."""

    class LogEpochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            values = ", ".join(f"{k} {v:.5g}" for k, v in sorted((logs or {}).items()))
            logger.info(
                "epoch %3d: %s (%.1f s)", epoch + 1, values, time.perf_counter() - self._start
            )

    return LogEpochs()


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    """Mini-batches per epoch: the ``steps_per_execution`` of a ``model.compile`` whose
    epoch then runs in one call of the compiled train function instead of one call per
    batch (the same updates in the same order, so the same weights; a 512x512 classifier
    on 12k rows, one core: 0.32 -> 0.24 s per epoch). Only for fits whose callbacks act at
    epoch ends: batch-level callbacks would then run once per epoch."""
    return max(1, math.ceil(n_rows / batch_size))


def training_record(history, seconds: float, logger: logging.Logger, start_from_epoch: int = 0):
    """What a fit leaves in a model's meta: wall time (s), epochs run, the best epoch (the
    smallest validation loss from ``start_from_epoch`` on, counted from 1) and the per-epoch
    history of every metric; the best epoch is logged."""
    val_loss = history.history["val_loss"]
    best = start_from_epoch + int(np.argmin(val_loss[start_from_epoch:]))
    logger.info(
        "best epoch %d of %d (val_loss %.5f), %.1f s",
        best + 1,
        len(val_loss),
        val_loss[best],
        seconds,
    )
    return {
        "train_seconds": seconds,
        "epochs_run": len(val_loss),
        "best_epoch": best + 1,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    }
