"""Training arrays of the decorrelated networks: inputs without the mass, weights, m_SD.

Jets: signal (``y = 1``) and QCD (``y = 0``) of a split, as for the taggers
(:func:`lhcml.taggers.inputs.binary_jets`). Weights:

* ``w``: the class-balanced training weights of the taggers
  (:func:`lhcml.taggers.inputs.balanced_weights`) for the classification loss;
* ``w_qcd``: the physics weights of the QCD jets normalised to mean 1 over the QCD jets,
  0 for signal jets: the weights of the decorrelation term (adversary loss, distance
  correlation), which acts on QCD jets only (the signal mass peak is physics, not
  sculpting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lhcml.decorrelation import MASS_FEATURES
from lhcml.taggers.inputs import (
    Standardizer,
    balanced_weights,
    binary_jets,
    column,
    high_level_matrix,
    require_columns,
    select,
)

#: Column of the feature tables holding the soft-drop mass (GeV).
MASS_COLUMN = "msd"


@dataclass
class Jets:
    """One split's arrays: standardised inputs ``x`` and the per-jet quantities."""

    x: np.ndarray  # (n, n_features) float32, standardised
    y: np.ndarray  # (n,) float32, 1 = W/Z, 0 = QCD
    w: np.ndarray  # (n,) float32, class-balanced weights (mean 1)
    w_qcd: np.ndarray  # (n,) float32, QCD physics weights (mean 1 over QCD), 0 for signal
    mass: np.ndarray  # (n,) float32, m_SD in GeV

    def __len__(self) -> int:
        return len(self.y)

    @property
    def counts(self) -> dict:
        return {"signal": int((self.y == 1).sum()), "background": int((self.y == 0).sum())}


def check_features(features) -> list[str]:
    """The input list, refusing mass-carrying inputs (``msd``, ``rho``)."""
    features = list(features)
    bad = [f for f in features if f in MASS_FEATURES]
    if bad:
        raise ValueError(
            f"decorrelated taggers must not use the mass: inputs {bad} carry it "
            f"(remove {', '.join(MASS_FEATURES)} from decorrelate.features)"
        )
    if not features:
        raise ValueError("decorrelate.features is empty")
    return features


def qcd_weights(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Physics weights of QCD jets scaled to mean 1 over them; 0 for the other jets."""
    qcd = np.asarray(y) == 0
    weight = np.asarray(weight, dtype=np.float64)
    total = weight[qcd].sum()
    if not qcd.any() or total <= 0:
        raise ValueError("no QCD jets (y=0) with positive weight to decorrelate on")
    return np.where(qcd, weight / total * qcd.sum(), 0.0)


def split_arrays(table, features, scaler: Standardizer | None = None):
    """``(Jets, scaler)`` of a feature table (the scaler is fitted if not given)."""
    features = check_features(features)
    table = select(table, binary_jets(table))
    require_columns(table, [MASS_COLUMN, "weight"], "the decorrelated taggers")
    x = high_level_matrix(table, features, needed_by="the decorrelated taggers")
    y = column(table, "y")
    weight = column(table, "weight", np.float64)
    scaler = scaler or Standardizer.fit(x)
    jets = Jets(
        x=scaler.transform(x),
        y=(y == 1).astype(np.float32),
        w=balanced_weights(y, weight).astype(np.float32),
        w_qcd=qcd_weights(y, weight).astype(np.float32),
        mass=column(table, MASS_COLUMN, np.float32),
    )
    return jets, scaler


def prepare(train_table, val_table, features):
    """``(train, val, scaler)``: both splits scaled with the training split's scaler."""
    train, scaler = split_arrays(train_table, features)
    val, _ = split_arrays(val_table, features, scaler)
    return train, val, scaler


def batches(n: int, batch_size: int, rng: np.random.Generator):
    """Index arrays of one shuffled epoch; the last incomplete batch is dropped.

    A fixed batch shape keeps one traced TensorFlow graph; with fewer jets than
    ``batch_size`` the single batch holds them all.
    """
    order = rng.permutation(n)
    size = min(batch_size, n)
    return [order[i : i + size] for i in range(0, n - size + 1, size)]
