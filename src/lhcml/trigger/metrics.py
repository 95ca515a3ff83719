"""Metrics of the five-class tagger: accuracy, one-vs-rest ROC / AUC, emulation agreement.

All on the test split, unweighted (the data set is class-balanced by construction, see
:mod:`lhcml.trigger.dataset`). Per class ``c`` the ROC curve is the efficiency of class-``c``
jets vs that of all other jets for a cut on the softmax output ``p_c`` (one vs rest, as in
the hls4ml tutorial); AUC is its area (scikit-learn ``roc_auc_score``). Agreement between a
Keras model and its hls4ml emulation: the fraction of jets with the same argmax, and the
largest absolute difference of any softmax output.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def accuracy(target: np.ndarray, probs: np.ndarray) -> float:
    """Fraction of jets whose highest output is their true class."""
    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(target)))


def per_class_auc(target: np.ndarray, probs: np.ndarray, classes) -> dict[str, float | None]:
    """One-vs-rest AUC of output ``p_c`` per class (None where a class has no test jets)."""
    target = np.asarray(target)
    out = {}
    for i, name in enumerate(classes):
        positive = target == i
        out[name] = (
            float(roc_auc_score(positive, probs[:, i]))
            if 0 < positive.sum() < len(target)
            else None
        )
    return out


def per_class_roc(target: np.ndarray, probs: np.ndarray, classes) -> dict:
    """``{class: (background efficiency, signal efficiency)}`` one-vs-rest ROC curves."""
    target = np.asarray(target)
    out = {}
    for i, name in enumerate(classes):
        positive = target == i
        if 0 < positive.sum() < len(target):
            fpr, tpr, _ = roc_curve(positive, probs[:, i])
            out[name] = (fpr, tpr)
    return out


def agreement(reference: np.ndarray, emulated: np.ndarray) -> dict:
    """Argmax agreement and maximum / mean absolute output difference of two output sets."""
    reference, emulated = np.asarray(reference), np.asarray(emulated)
    if reference.shape != emulated.shape:
        raise ValueError(f"output shapes differ: {reference.shape} vs {emulated.shape}")
    diff = np.abs(reference - emulated)
    return {
        "jets": int(len(reference)),
        "argmax_agreement": float(np.mean(reference.argmax(1) == emulated.argmax(1))),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "mean_abs_diff": float(diff.mean()) if diff.size else 0.0,
    }


def model_metrics(target: np.ndarray, probs: np.ndarray, classes) -> dict:
    """Accuracy and per-class AUC of one model's test outputs."""
    return {
        "accuracy": accuracy(target, probs),
        "auc": per_class_auc(target, probs, classes),
        "jets": int(len(target)),
    }
