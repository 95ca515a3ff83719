"""Importing zfit: TensorFlow configured by lhcml (threads, seeds), zfit's seed from config.

zfit runs on TensorFlow. Import it through :func:`import_zfit` before any module that
imports zfit, so that TensorFlow gets the rule's thread count and lhcml's Keras setting
(:mod:`lhcml.tf_setup`). zfit's random generator (toys, sampling) is seeded from config;
TensorFlow op determinism is switched on *after* seeding, because zfit creates its
generator from a non-deterministic state first, which determinism mode forbids.
"""

from __future__ import annotations

import os

from lhcml.tf_setup import import_tensorflow


def import_zfit(seed: int, threads: int = 1):
    """Import and seed zfit (NumPy, TensorFlow and zfit generators); return the module."""

    os.environ.setdefault("ZFIT_DISABLE_TF_WARNINGS", "1")

    tf, _ = import_tensorflow(seed=seed, threads=threads, deterministic=False)
    import zfit
    from tensorflow.python.framework import config as tf_config  # no public "disable"

    # In a process where another stage already switched determinism on (a test session,
    # a notebook), it is switched off for the seeding and on again.
    if tf_config.is_op_determinism_enabled():
        tf_config.disable_op_determinism()
    zfit.settings.set_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return zfit
