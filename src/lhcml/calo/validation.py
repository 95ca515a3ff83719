"""Reference vs generated showers: distances per shower-shape feature and classifier AUCs.

* Per feature, the Wasserstein-1 distance (``scipy.stats.wasserstein_distance``) between
  the reference and generated distributions, also divided by the standard deviation of
  both samples pooled (``w1_over_std``, comparable between features and bounded: 0 =
  identical, 2 = two point masses apart; a near-constant reference feature, such as the
  tiny layer-2 fraction of electrons, cannot blow it up); the worst and the median over
  features summarise it.
* Per feature, the separation power (triangular discriminator) of the reference and
  generated histograms, as in the CaloChallenge's ``evaluate.py`` (Krause et al.,
  arXiv:2410.21611): 0 = identical, 1 = disjoint.
* The CaloChallenge classifier test: a dense network learns to tell reference (label 0)
  from generated (label 1) showers, once on the high-level features plus the incident
  energy and once on the 504 cell energies (fractions of the incident energy) plus the
  incident energy; its outputs are calibrated (isotonic regression on a validation part)
  and on a held-out test part it gives the ROC AUC (0.5 = indistinguishable, 1 =
  separable; Hanley-McNeil error) and the Jensen-Shannon divergence from the calibrated
  cross-entropy.

FPD/KPD (Fréchet/kernel physics distance, arXiv:2211.10295) are not computed: their
maintained implementation (``jetnet``) requires PyTorch, which the environment does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import wasserstein_distance
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import log_loss, roc_auc_score

from lhcml.calo.geometry import flatten_layers
from lhcml.calo.showershapes import FEATURES, feature_matrix
from lhcml.config import ConfigSection
from lhcml.keras_training import steps_per_epoch
from lhcml.tf_setup import import_tensorflow


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


def separation_power(reference, generated, n_bins: int = 50) -> float:
    """Triangular discriminator of two histograms (CaloChallenge ``evaluate.py``).

    ``0.5 sum_i (p_i - q_i)^2 / (p_i + q_i)`` over the bins of the normalised histograms p
    (reference) and q (generated): 0 for identical, 1 for disjoint histograms. The bins
    cover the central 99.8% of the reference in ``n_bins`` equal steps; values outside
    count in the edge bins (a discrete feature with a single value gets one bin).
    """
    a, b = np.asarray(reference, float), np.asarray(generated, float)
    lo, hi = np.percentile(a, [0.1, 99.9])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, n_bins + 1)
    p = np.histogram(np.clip(a, lo, hi), edges)[0] / max(a.size, 1)
    q = np.histogram(np.clip(b, lo, hi), edges)[0] / max(b.size, 1)
    s = p + q
    return float(0.5 * np.sum(np.divide((p - q) ** 2, s, out=np.zeros_like(s), where=s > 0)))


def separation_powers(ref_shapes: dict, gen_shapes: dict, features=FEATURES) -> dict:
    """{feature: separation power} of every shower-shape feature."""
    return {f: separation_power(ref_shapes[f], gen_shapes[f]) for f in features}


def worst(values: dict, n: int = 3) -> list[list]:
    """The ``n`` largest entries of ``values`` as ``[[name, value], ...]``, largest first."""
    return [[k, values[k]] for k in sorted(values, key=values.get, reverse=True)[:n]]


@dataclass(frozen=True)
class ClassifierParams(ConfigSection, section="calo.classifier"):
    """The evaluation classifier (config section ``calo.classifier``; defaults: the schema's)."""

    hidden_layers: list[int]
    dropout: float
    epochs: int
    patience: int
    batch_size: int
    learning_rate: float
    validation_fraction: float
    test_fraction: float


def classifier_auc(
    x_ref, x_gen, params: ClassifierParams, seed: int, threads: int = 1, standardise: bool = True
) -> dict:
    """The CaloChallenge classifier test (its ``evaluate.py``) of ``x_ref`` against ``x_gen``.

    Both samples are shuffled (seeded) into training, validation and test parts
    (``1 - validation_fraction - test_fraction``, ``validation_fraction``,
    ``test_fraction``). Inputs are standardised with the training mean and standard
    deviation (with ``standardise``; the cell inputs are left as they are, as in the
    CaloChallenge, so that cells that are nearly always empty are not blown up). A dense network (``hidden_layers`` of LeakyReLU 0.2, ``dropout``, sigmoid
    output) is trained with binary cross-entropy (Adam) until the validation loss has not
    improved for ``patience`` epochs, or for at most ``epochs``; the weights of the epoch
    with the lowest validation loss are kept (``converged`` is False when the cap was
    reached first: the AUC is then a lower bound). Its outputs are calibrated by isotonic
    regression fitted on the validation part (scikit-learn), and on the test part it gives

    * ``auc``: ROC AUC (0.5 = indistinguishable, 1 = separable), with the Hanley-McNeil
      error ``auc_err``;
    * ``jsd``: the Jensen-Shannon divergence between the two samples, estimated from the
      calibrated binary cross-entropy as ``ln 2 - BCE`` (nats; 0 = indistinguishable,
      ln 2 = separable), as the CaloChallenge does.
    """
    _tf, keras = import_tensorflow(seed=seed, threads=threads)
    x = np.concatenate([x_ref, x_gen]).astype(np.float64)
    y = np.concatenate([np.zeros(len(x_ref)), np.ones(len(x_gen))]).astype(np.float32)
    rng = np.random.default_rng(seed)
    r = rng.random(len(y))
    test = r < params.test_fraction
    val = (r >= params.test_fraction) & (r < params.test_fraction + params.validation_fraction)
    train = ~(test | val)
    if min(train.sum(), val.sum(), test.sum()) < 2:
        raise ValueError(f"classifier: {len(y)} showers are too few to split {params}")
    if standardise:
        mean, std = x[train].mean(axis=0), x[train].std(axis=0)
        x = (x - mean) / np.where(std > 0, std, 1.0)
    x = x.astype(np.float32)
    keras.utils.set_random_seed(seed)
    inp = keras.Input((x.shape[1],))
    h = inp
    for units in params.hidden_layers:
        h = keras.layers.Dense(units)(h)
        h = keras.layers.LeakyReLU(0.2)(h)
        if params.dropout > 0:
            h = keras.layers.Dropout(params.dropout)(h)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(
        keras.optimizers.Adam(params.learning_rate),
        loss="binary_crossentropy",
        steps_per_execution=steps_per_epoch(int(train.sum()), params.batch_size),
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=params.patience, restore_best_weights=True
    )
    fit = model.fit(
        x[train],
        y[train],
        batch_size=params.batch_size,
        epochs=params.epochs,
        verbose=0,
        validation_data=(x[val], y[val]),
        shuffle=True,
        callbacks=[stop],
    )
    history = {k: [float(v) for v in fit.history[k]] for k in ("loss", "val_loss")}
    best_epoch = int(np.argmin(history["val_loss"])) + 1
    p_val = model.predict(x[val], batch_size=4096, verbose=0).ravel()
    p_test = model.predict(x[test], batch_size=4096, verbose=0).ravel()
    iso = IsotonicRegression(y_min=1e-6, y_max=1 - 1e-6, out_of_bounds="clip").fit(p_val, y[val])
    calibrated = iso.predict(p_test)
    auc = float(roc_auc_score(y[test], calibrated))
    bce = float(log_loss(y[test], calibrated, labels=[0, 1]))
    n_pos, n_neg = int(y[test].sum()), int((1 - y[test]).sum())
    return {
        "auc": auc,
        "auc_err": auc_error(auc, n_pos, n_neg),
        "jsd": float(np.log(2.0) - bce),
        "bce": bce,
        "auc_uncalibrated": float(roc_auc_score(y[test], p_test)),
        "best_epoch": best_epoch,
        "epochs_run": len(history["loss"]),
        "converged": len(history["loss"]) - best_epoch >= params.patience,
        "n_train": int(train.sum()),
        "n_test": n_pos + n_neg,
        "history": history,
    }


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
    for key, kind in {"particle": str, "n_reference": int, "generators": dict}.items():
        if not isinstance(metrics.get(key), kind):
            raise ValueError(f"calo metrics: field {key!r} missing or not a {kind.__name__}")
    if not metrics["generators"]:
        raise ValueError("calo metrics: no generators")
    required = {
        "n_generated": int,
        "shower_shapes": dict,
        "distance_summary": dict,
        "worst_separation_power": list,
        "classifier": dict,
        "timing": dict,
        "training": dict,
    }
    for name, entry in metrics["generators"].items():
        for key, kind in required.items():
            if not isinstance(entry.get(key), kind):
                raise ValueError(
                    f"calo metrics: generators.{name}.{key} missing or not a {kind.__name__}"
                )
        for clf in ("high_level", "cells"):
            auc = entry["classifier"].get(clf, {}).get("auc")
            if auc is None or not 0 <= auc <= 1:
                raise ValueError(
                    f"calo metrics: generators.{name}.classifier.{clf}.auc "
                    "missing or outside [0, 1]"
                )
        missing = [f for f in FEATURES if f not in entry["shower_shapes"]]
        if missing:
            raise ValueError(f"calo metrics: generators.{name}.shower_shapes lacks {missing}")
    return metrics
