"""Tagger inputs: column checks, class selection, training weights, standardisation.

Classes (column ``y`` of the feature tables): 1 = W/Z signal, 0 = QCD background,
-1 = other; the binary taggers use only ``y`` in {0, 1} (:func:`binary_jets`).

Weights
-------
* Training (:func:`balanced_weights`): the physics weights (xsec x lumi x genWeight / sumw)
  normalised per class so that signal and background each sum to half the number of
  training jets (mean weight 1). The classifier then sees balanced classes while jets
  within a class keep their relative physics weight.
* Evaluation (:mod:`lhcml.taggers.metrics`): the physics weights themselves, so
  efficiencies are those of the simulated cross sections.

Missing values: N2 and D2 are NaN for jets groomed to a single particle. The BDT takes NaN
natively (xgboost learns a default branch); the dense network sees standardised features
with NaN replaced by 0, i.e. by the training mean (:class:`Standardizer`).
"""

from __future__ import annotations

import numpy as np

from lhcml.standardize import Standardizer  # noqa: F401 (re-exported)
from lhcml.tables import (  # noqa: F401 (the table contract, re-exported for the taggers)
    ID_COLUMNS,
    MissingColumnError,
    column,
    columns_of,
    require_columns,
)

#: Constituent columns of the feature tables (padded to a fixed length, with a mask).
CONSTITUENT_COLUMNS: tuple[str, ...] = ("cons_rel_pt", "cons_deta", "cons_dphi", "cons_mask")

#: Per-particle inputs of the constituent models, built by :func:`constituent_inputs`.
PARTICLE_FEATURES: tuple[str, ...] = ("rel_pt", "log_rel_pt", "deta", "dphi")


def binary_jets(table) -> np.ndarray:
    """Boolean mask of the jets the binary taggers use (``y`` = 1 or 0)."""
    require_columns(table, ["y"], "the signal/background selection")
    y = column(table, "y")
    return (y == 1) | (y == 0)


def select(table, mask: np.ndarray):
    """Rows of ``table`` where ``mask`` is True (awkward, pandas or dict of arrays)."""
    if hasattr(table, "fields") or hasattr(table, "iloc"):
        return table[mask] if hasattr(table, "fields") else table[mask].reset_index(drop=True)
    return {k: np.asarray(v)[mask] for k, v in table.items()}


def balanced_weights(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Training weights: physics weights scaled so each class sums to len(y) / 2.

    Raises ValueError if a class is missing or has a non-positive total weight.
    """
    y = np.asarray(y)
    weight = np.asarray(weight, dtype=np.float64)
    out = np.empty_like(weight)
    for cls in (0, 1):
        sel = y == cls
        total = weight[sel].sum()
        if not sel.any() or total <= 0:
            raise ValueError(f"class y={cls} has no jets or no positive weight to train on")
        out[sel] = weight[sel] / total * (len(y) / 2.0)
    return out


def high_level_matrix(table, features, needed_by: str = "the tagger") -> np.ndarray:
    """The (n_jets, n_features) float32 matrix of the named high-level features."""
    features = list(features)
    require_columns(table, features, needed_by)
    if not features:
        raise ValueError("no input features given")
    return np.stack([column(table, f, np.float32) for f in features], axis=1)


def constituent_inputs(table, needed_by: str = "the tagger") -> tuple[np.ndarray, np.ndarray]:
    """Per-particle inputs ``(x, mask)`` of the constituent models.

    ``x`` is (n_jets, n_constituents, 4) float32 with :data:`PARTICLE_FEATURES` (relative
    pT, its logarithm, delta-eta, delta-phi); padded slots are 0 and ``mask`` (float32,
    1 = real particle) marks the real ones.
    """
    require_columns(table, CONSTITUENT_COLUMNS, needed_by)
    rel_pt = column(table, "cons_rel_pt", np.float32)
    mask = column(table, "cons_mask", bool)
    log_pt = np.log(np.where(mask & (rel_pt > 0), rel_pt, 1.0)).astype(np.float32)
    x = np.stack(
        [
            rel_pt,
            log_pt,
            column(table, "cons_deta", np.float32),
            column(table, "cons_dphi", np.float32),
        ],
        axis=-1,
    )
    x[~mask] = 0.0
    return x, mask.astype(np.float32)
