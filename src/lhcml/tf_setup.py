"""One way to import TensorFlow/Keras in lhcml: legacy Keras 2, seeded, thread-pinned.

QKeras needs Keras 2, so every lhcml process uses ``tf_keras`` (Keras 2 shipped for
TensorFlow 2.16+): ``TF_USE_LEGACY_KERAS=1`` must be set before TensorFlow is first
imported. hls4ml 1.3 picks its converter from ``import keras`` (Keras 3 even in legacy
mode), so :func:`alias_keras_to_tf_keras` points ``sys.modules["keras"]`` at ``tf_keras``
before hls4ml is imported (docs/trigger.md).

Determinism: seeds from config go to Python, NumPy and TensorFlow, op determinism is
enabled and the thread pools are sized from the rule's ``threads:``, so the same config
gives the same numbers on the same machine.
"""

from __future__ import annotations

import os
import random
import sys


def import_tensorflow(seed: int | None = None, threads: int = 1, deterministic: bool = True):
    """Import and configure TensorFlow; return ``(tf, keras)`` with ``keras`` = tf_keras.

    Parameters
    ----------
    seed
        Seed for Python's ``random``, NumPy and TensorFlow (``keras.utils.set_random_seed``).
    threads
        Intra- and inter-op thread pool sizes (take them from the rule's ``threads:``).
    deterministic
        Enable TensorFlow op determinism (bit-identical results on the same machine).
    """
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules and not _legacy_keras_active():
        raise RuntimeError(
            "TensorFlow was imported before lhcml.tf_setup.import_tensorflow(): "
            "TF_USE_LEGACY_KERAS=1 came too late for QKeras"
        )
    import tensorflow as tf
    import tf_keras as keras

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised in this process: keep the first setting
        pass
    if seed is not None:
        random.seed(seed)
        keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return tf, keras


def _legacy_keras_active() -> bool:
    return os.environ.get("TF_USE_LEGACY_KERAS") == "1"


def alias_keras_to_tf_keras() -> None:
    """Make ``import keras`` return ``tf_keras`` (call before importing hls4ml or qkeras)."""
    import tf_keras

    sys.modules["keras"] = tf_keras
