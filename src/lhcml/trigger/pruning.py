"""Magnitude pruning of the trigger networks (tensorflow-model-optimization).

Every dense layer is wrapped with ``prune_low_magnitude`` and a ``ConstantSparsity``
schedule (M. Zhu, S. Gupta, arXiv:1710.01878; as in the hls4ml tutorial): from
``begin_epoch`` on, every ``frequency`` steps the smallest-magnitude ``target_sparsity``
fraction of each kernel is set to zero and kept there. After training the wrappers are
stripped, leaving a plain (Q)Keras model whose zero weights hls4ml drops from the firmware
(no multiplier for a zero weight). :func:`sparsity` measures what was reached.
"""

from __future__ import annotations

import numpy as np

DEFAULT_PRUNING = {"target_sparsity": 0.5, "begin_epoch": 2, "frequency_steps": 20}


def _tfmot():
    import tensorflow_model_optimization as tfmot

    return tfmot


def prunable(model, steps_per_epoch: int, params: dict):
    """``(wrapped_model, callbacks, begin_epoch)``: ``model`` with its kernels pruned."""
    tfmot = _tfmot()
    p = {**DEFAULT_PRUNING, **params}
    schedule = tfmot.sparsity.keras.ConstantSparsity(
        p["target_sparsity"],
        begin_step=int(p["begin_epoch"]) * int(steps_per_epoch),
        frequency=int(p["frequency_steps"]),
    )
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule)
    return wrapped, [tfmot.sparsity.keras.UpdatePruningStep()], int(p["begin_epoch"])


def strip(model):
    """The model without the pruning wrappers (the zeroed weights stay zero)."""
    return _tfmot().sparsity.keras.strip_pruning(model)


def sparsity(kernels: dict[str, np.ndarray]) -> dict[str, float]:
    """Fraction of exactly-zero weights per kernel."""
    return {name: float(np.mean(np.asarray(k) == 0)) for name, k in kernels.items()}
