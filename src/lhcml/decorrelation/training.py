"""The training loop shared by the adversarial and DisCo taggers.

The classifier is the dense network of the taggers stage
(:func:`lhcml.taggers.dnn.build_model`: ReLU layers, dropout, sigmoid output) on the
mass-free inputs, so a trained decorrelated tagger scores exactly like the DNN
(:class:`lhcml.taggers.dnn.DNNTagger`). Each method supplies the per-batch update steps;
this module shuffles (seeded NumPy generator), batches, logs one line per epoch and keeps
the history. Training runs a fixed number of epochs and keeps the final weights: the
decorrelated objectives (a minimax game for the adversary) have no single validation loss
to stop on. The per-epoch validation numbers are the weighted binary cross-entropy, the
AUC and the distance correlation of score and m_SD on (at most 2000) QCD jets.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.decorrelation.data import Jets, batches, prepare
from lhcml.decorrelation.dcor import distance_correlation
from lhcml.taggers.metrics import auc
from lhcml.tf_setup import import_tensorflow

#: QCD jets of the validation split used for the per-epoch distance correlation (n^2 cost).
VAL_DCOR_JETS = 2000

EPS = 1e-7


def weighted_bce(tf, y, s, w):
    """Weighted mean binary cross-entropy of sigmoid outputs ``s`` (clipped at 1e-7)."""
    s = tf.clip_by_value(s, EPS, 1.0 - EPS)
    per_jet = -(y * tf.math.log(s) + (1.0 - y) * tf.math.log(1.0 - s))
    return tf.reduce_sum(w * per_jet) / tf.maximum(tf.reduce_sum(w), EPS)


def apply_gradients(optimizer, tape, loss, model) -> None:
    """One optimiser update of ``model``'s trainable variables from ``tape``."""
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))


def predict(model, x: np.ndarray, batch_size: int = 8192) -> np.ndarray:
    """Sigmoid outputs (float64) of the classifier, in inference mode."""
    out = [
        model(x[i : i + batch_size], training=False).numpy()[:, 0]
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def validation_numbers(model, val: Jets, rng_seed: int) -> dict:
    """Validation BCE, AUC and dCor^2(score, m_SD) on QCD jets (see module docstring)."""
    s = predict(model, val.x)
    p = np.clip(s, EPS, 1 - EPS)
    bce = -(val.y * np.log(p) + (1 - val.y) * np.log(1 - p))
    qcd = np.flatnonzero(val.y == 0)
    if len(qcd) > VAL_DCOR_JETS:
        qcd = np.sort(np.random.default_rng(rng_seed).choice(qcd, VAL_DCOR_JETS, replace=False))
    return {
        "val_bce": float(np.sum(val.w * bce) / np.sum(val.w)),
        "val_auc": auc(val.y.astype(int), s, val.w),
        "val_dcor": distance_correlation(s[qcd], val.mass[qcd], val.w_qcd[qcd]),
    }


def run_epochs(
    tf,
    steps,
    train: Jets,
    extra: dict,
    val: Jets,
    model,
    epochs: int,
    batch_size: int,
    seed: int,
    logger: logging.Logger,
    phase: str,
) -> list[dict]:
    """Run ``epochs`` epochs of ``steps`` (one callable per batch, or a list of them).

    Each step is called with the batch tensors ``x, y, w, w_qcd, mass`` and the arrays of
    ``extra`` (e.g. the adversary's mass-bin labels) and returns a dict of scalar losses,
    averaged over the epoch. Returns one record per epoch (losses and validation numbers).
    """
    rng = np.random.default_rng(seed)
    arrays = {
        "x": train.x,
        "y": train.y,
        "w": train.w,
        "w_qcd": train.w_qcd,
        "mass": train.mass,
        **extra,
    }
    history = []
    for epoch in range(epochs):
        start = time.perf_counter()
        sums: dict[str, float] = {}
        idx_list = batches(len(train), batch_size, rng)
        for idx in idx_list:
            batch = {k: tf.constant(v[idx]) for k, v in arrays.items()}
            for step in steps:
                for name, value in step(**batch).items():
                    sums[name] = sums.get(name, 0.0) + float(value)
        record = {k: v / len(idx_list) for k, v in sorted(sums.items())}
        record.update(validation_numbers(model, val, seed + epoch))
        history.append(record)
        logger.info(
            "%s epoch %3d/%d: %s (%.1f s)",
            phase,
            epoch + 1,
            epochs,
            ", ".join(f"{k} {v:.4g}" for k, v in record.items()),
            time.perf_counter() - start,
        )
    return history


def history_columns(records: list[dict]) -> dict[str, list[float]]:
    """Per-epoch records as ``{key: [value per epoch]}`` (keys missing in a phase skipped)."""
    keys = sorted({k for r in records for k in r})
    return {k: [float(r[k]) for r in records if k in r] for k in keys}


def setup(defaults: dict, params: dict, train_table, val_table, features, seed: int, threads: int):
    """Start a decorrelated network's training.

    Returns ``(p, tf, keras, train, val, scaler)``: the hyperparameters (``defaults``
    updated by ``params``, without the scan's keys ``lambda`` and ``scan``), TensorFlow
    seeded with ``seed`` on ``threads`` threads, and the signal/QCD jets of the two tables
    standardised on the training jets (:func:`lhcml.decorrelation.data.prepare`).
    """
    p = {**defaults, **params}
    p.pop("lambda", None)
    p.pop("scan", None)
    tf, keras = import_tensorflow(seed=seed, threads=threads)
    train, val, scaler = prepare(train_table, val_table, features)
    return p, tf, keras, train, val, scaler


def training_info(
    logger: logging.Logger, name: str, train: Jets, p: dict, lam: float, history, start, **extra
):
    """The training record of a decorrelated network (jets, hyperparameters, lambda, time
    since ``start`` (``time.perf_counter``), epochs and loss history, plus ``extra``),
    logged to ``logger`` under ``name``."""
    seconds = time.perf_counter() - start
    logger.info("%s trained in %.1f s", name, seconds)
    return {
        "n_train": train.counts,
        "params": p,
        "lambda": float(lam),
        "train_seconds": seconds,
        "epochs_run": len(history),
        "history": history_columns(history),
        **extra,
    }
