"""Reference vs generated showers: distances per shower-shape feature and classifier AUCs.

* Per feature, the Wasserstein-1 distance (``scipy.stats.wasserstein_distance``) between
  the reference and generated distributions, also divided by the standard deviation of
  both samples pooled (``w1_over_std``, comparable between features and bounded: 0 =
  identical, 2 = two point masses apart; a near-constant reference feature, such as the
  tiny layer-2 fraction of electrons, cannot blow it up); the worst and the median over
  features summarise it.
* A CaloChallenge-style classifier test (Krause et al., arXiv:2410.21611): a gradient-
  boosted classifier (scikit-learn ``HistGradientBoostingClassifier``, seeded) is trained
  to tell reference from generated showers, on the high-level features plus the incident
  energy, and on the 504 cell energies (as fractions of the incident energy) plus the
  incident energy; its ROC AUC on a held-out part (``test_fraction``) is the metric:
  0.5 = indistinguishable, 1 = perfectly separable. The AUC error is the Hanley-McNeil
  estimate.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance

from lhcml.calo.geometry import flatten_layers
from lhcml.calo.showershapes import FEATURES, feature_matrix


def feature_distances(ref_shapes: dict, gen_shapes: dict, features=FEATURES) -> dict:
    """Per feature: W1, W1 / std(reference and generated pooled), and both means."""
    out = {}
    for f in features:
        a, b = np.asarray(ref_shapes[f], float), np.asarray(gen_shapes[f], float)
        w1 = float(wasserstein_distance(a, b))
        std = float(np.std(np.concatenate([a, b])))
        out[f] = {
            "w1": w1,
            "w1_over_std": w1 / std if std > 0 else (0.0 if w1 == 0 else float("inf")),
            "mean_reference": float(np.mean(a)),
            "mean_generated": float(np.mean(b)),
        }
    return out


def summarise_distances(distances: dict) -> dict:
    """Worst (with its feature) and median of ``w1_over_std`` over features."""
    values = {f: d["w1_over_std"] for f, d in distances.items()}
    worst = max(values, key=values.get)
    return {
        "worst_feature": worst,
        "worst_w1_over_std": values[worst],
        "median_w1_over_std": float(np.median(list(values.values()))),
    }


def auc_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    return float(np.sqrt(max(var, 0.0)))


def classifier_auc(x_ref, x_gen, seed: int, test_fraction: float = 0.5, max_iter: int = 200,
                   threads: int = 1) -> dict:  # fmt: skip
    """ROC AUC of a classifier separating ``x_ref`` (label 0) from ``x_gen`` (label 1).

    Both samples are split at random (seeded) into a training and a held-out part; the AUC
    is computed on the held-out part. An AUC below 0.5 (an overtrained classifier on
    indistinguishable samples) is reported as it is.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    x = np.concatenate([x_ref, x_gen]).astype(np.float64)
    y = np.concatenate([np.zeros(len(x_ref)), np.ones(len(x_gen))])
    rng = np.random.default_rng(seed)
    test = rng.random(len(y)) < test_fraction
    clf = HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.1, early_stopping=False,
                                         random_state=seed)  # fmt: skip
    with threadpool_limits(threads):
        clf.fit(x[~test], y[~test])
        score = clf.predict_proba(x[test])[:, 1]
    auc = float(roc_auc_score(y[test], score))
    n_pos, n_neg = int(y[test].sum()), int((1 - y[test]).sum())
    return {"auc": auc, "auc_err": auc_error(auc, n_pos, n_neg), "n_test": n_pos + n_neg,
            "n_train": int((~test).sum())}  # fmt: skip


def high_level_inputs(showers: dict, shapes: dict) -> np.ndarray:
    """Classifier inputs: the shower-shape features and ln(incident energy)."""
    return np.column_stack([feature_matrix(shapes), np.log(showers["energy"])])


def cell_inputs(showers: dict) -> np.ndarray:
    """Classifier inputs: the 504 cell energies / incident energy, and ln(incident energy)."""
    cells = flatten_layers([showers[f"layer_{i}"] for i in range(3)])
    e = np.asarray(showers["energy"], float)
    return np.column_stack([cells / e[:, None], np.log(e)])


def validate_metrics(metrics: dict) -> dict:
    """Check that a calo metrics dict has every field (raise ValueError naming the first)."""
    required = {
        "particle": str, "n_reference": int, "n_generated": int, "shower_shapes": dict,
        "distance_summary": dict, "classifier": dict, "timing": dict, "training": dict,
    }  # fmt: skip
    for key, kind in required.items():
        if key not in metrics:
            raise ValueError(f"calo metrics: missing field {key!r}")
        if not isinstance(metrics[key], kind):
            raise ValueError(f"calo metrics: {key!r} should be {kind.__name__}")
    for name in ("high_level", "cells"):
        auc = metrics["classifier"].get(name, {}).get("auc")
        if auc is None or not 0 <= auc <= 1:
            raise ValueError(f"calo metrics: classifier.{name}.auc missing or outside [0, 1]")
    missing = [f for f in FEATURES if f not in metrics["shower_shapes"]]
    if missing:
        raise ValueError(f"calo metrics: shower_shapes lacks {missing}")
    return metrics
