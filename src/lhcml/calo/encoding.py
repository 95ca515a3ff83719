"""Encodings shared by the GAN (:mod:`lhcml.calo.gan`) and the layer-energy flow
(:mod:`lhcml.calo.energyflow`): the incident-energy condition both networks see, and the
rescaling of a shower's layers to given energies (the flow's energies on the GAN's shapes).

Kept apart so that neither model module imports the other.
"""

from __future__ import annotations

import numpy as np

from lhcml.calo.geometry import LAYER_CELLS, LAYER_OFFSETS


def encode_energy(energy, e_min: float, e_max: float) -> np.ndarray:
    """Condition c in [-1, 1] from the incident energy (GeV), float32, shape (N, 1)."""
    c = 2 * np.log(np.asarray(energy, dtype=np.float64) / e_min) / np.log(e_max / e_min) - 1
    return c.astype(np.float32).reshape(-1, 1)


def rescale_layers(cells: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(N, 504) cells with each layer scaled to sum to ``targets`` (N, 3) GeV.

    The shape (relative cell energies, empty cells) is kept; a layer the GAN left empty
    stays empty (its target energy is lost).
    """
    out = np.array(cells, dtype=np.float64)
    for layer, (o, n) in enumerate(zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)):
        total = out[:, o : o + n].sum(axis=1)
        scale = np.where(total > 0, targets[:, layer] / np.where(total > 0, total, 1.0), 0.0)
        out[:, o : o + n] *= scale[:, None]
    return out
