"""CaloGAN shower-shape features (Paganini et al., PRD 97 (2018) 014021, section IV).

For each shower (cell energies E_cell in GeV, layers i = 0, 1, 2):

==================  =======================================================================
feature             definition
==================  =======================================================================
``e_0..e_2``        energy in layer i (sum of its cells), GeV
``e_tot``           total energy in the three layers, GeV
``e_ratio``         e_tot / incident energy (response)
``f_0..f_2``        energy fraction of layer i, e_i / e_tot
``depth``           deepest layer with energy (0, 1, 2; -1 for an empty shower)
``shower_depth``    s_d = sum_i i e_i / e_tot (energy-weighted layer index)
``depth_width``     sigma_sd = sqrt(sum_i i^2 e_i / e_tot - s_d^2)
``width_0..2``      lateral width of layer i along x (eta): the energy-weighted standard
                    deviation of the cell-centre x positions, mm
``centre_x_0..2``   centre of energy of layer i along x (eta), mm
``centre_y_0..2``   centre of energy of layer i along y (phi), mm
``width_y_0..2``    lateral width of layer i along y (phi), mm (the CaloChallenge's
                    high-level features are the centres and widths in both directions)
``sparsity_0..2``   fraction of the layer's cells with energy above ``threshold``
==================  =======================================================================

Ratios of empty showers or layers are set to 0.
"""

from __future__ import annotations

import numpy as np

from lhcml.calo.geometry import LAYER_SHAPES, N_LAYERS, cell_centres

FEATURES: tuple[str, ...] = (
    "e_0",
    "e_1",
    "e_2",
    "e_tot",
    "e_ratio",
    "f_0",
    "f_1",
    "f_2",
    "depth",
    "shower_depth",
    "depth_width",
    "width_0",
    "width_1",
    "width_2",
    "sparsity_0",
    "sparsity_1",
    "sparsity_2",
    "centre_x_0",
    "centre_x_1",
    "centre_x_2",
    "centre_y_0",
    "centre_y_1",
    "centre_y_2",
    "width_y_0",
    "width_y_1",
    "width_y_2",
)

#: Axis labels for plots.
LABELS: dict[str, str] = {
    **{f"e_{i}": f"$E_{i}$ [GeV]" for i in range(N_LAYERS)},
    "e_tot": r"$E_\mathrm{tot}$ [GeV]",
    "e_ratio": r"$E_\mathrm{tot} / E_\mathrm{inc}$",
    **{f"f_{i}": f"$f_{i} = E_{i} / E_{{tot}}$" for i in range(N_LAYERS)},
    "depth": "Deepest layer with energy",
    "shower_depth": "Shower depth $s_d$ [layer]",
    "depth_width": r"Shower depth width $\sigma_{s_d}$ [layer]",
    **{f"width_{i}": f"Lateral width, layer {i} [mm]" for i in range(N_LAYERS)},
    **{f"sparsity_{i}": f"Sparsity, layer {i}" for i in range(N_LAYERS)},
    **{f"centre_x_{i}": f"Centre $x$, layer {i} [mm]" for i in range(N_LAYERS)},
    **{f"centre_y_{i}": f"Centre $y$, layer {i} [mm]" for i in range(N_LAYERS)},
    **{f"width_y_{i}": f"Lateral width $y$, layer {i} [mm]" for i in range(N_LAYERS)},
}


def _safe_div(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def shower_shapes(showers: dict, threshold: float = 1e-6) -> dict[str, np.ndarray]:
    """The features of :data:`FEATURES` for every shower of ``showers`` (CaloGAN keys)."""
    layers = [np.asarray(showers[f"layer_{i}"], dtype=np.float64) for i in range(N_LAYERS)]
    e = np.stack([x.sum(axis=(1, 2)) for x in layers], axis=1)  # (N, 3)
    e_tot = e.sum(axis=1)
    out: dict[str, np.ndarray] = {f"e_{i}": e[:, i] for i in range(N_LAYERS)}
    out["e_tot"] = e_tot
    out["e_ratio"] = _safe_div(e_tot, np.asarray(showers["energy"], dtype=np.float64))
    for i in range(N_LAYERS):
        out[f"f_{i}"] = _safe_div(e[:, i], e_tot)
    has = e > threshold
    out["depth"] = np.where(has.any(axis=1), N_LAYERS - 1 - np.argmax(has[:, ::-1], axis=1), -1)
    idx = np.arange(N_LAYERS, dtype=np.float64)
    sd = _safe_div(e @ idx, e_tot)
    out["shower_depth"] = sd
    out["depth_width"] = np.sqrt(np.clip(_safe_div(e @ idx**2, e_tot) - sd**2, 0, None))
    for i, x in enumerate(layers):
        yc, xc = cell_centres(i)
        for axis, centres, name in ((1, xc, "x"), (2, yc, "y")):
            profile = x.sum(axis=axis)  # (N, nx) energy per column, (N, ny) per row
            mean = _safe_div(profile @ centres, e[:, i])
            second = _safe_div(profile @ centres**2, e[:, i])
            width = np.sqrt(np.clip(second - mean**2, 0, None))
            out[f"centre_{name}_{i}"] = mean
            out[f"width_{i}" if name == "x" else f"width_y_{i}"] = width
        ny, nx = LAYER_SHAPES[i]
        out[f"sparsity_{i}"] = (x > threshold).sum(axis=(1, 2)) / (ny * nx)
    return {k: out[k] for k in FEATURES}


def feature_matrix(shapes: dict[str, np.ndarray], features=FEATURES) -> np.ndarray:
    """``(N, n_features)`` array of the chosen features."""
    return np.stack([shapes[f] for f in features], axis=1)
