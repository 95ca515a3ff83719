"""The CaloGAN calorimeter (Paganini, de Oliveira, Nachman, PRD 97 (2018) 014021).

A 480 mm cube of alternating lead (2 mm, absorber) and liquid argon (4 mm, active)
layers, read out in three longitudinal layers (dimensions in mm, eta x phi x z):

=======  ================  =========  ==========  =====================
layer    cell (x, y)       cells      depth z     image shape (y, x)
=======  ================  =========  ==========  =====================
0        5 x 160           96 x 3     90          (3, 96)
1        40 x 40           12 x 12    347         (12, 12)
2        80 x 40           6 x 12     43          (12, 6)
=======  ================  =========  ==========  =====================

Image axis 0 is y (phi), axis 1 is x (eta); both span [-240, 240] mm with the particle
entering along z near x = y = 0. Layer 0 is the fine strip layer of an ATLAS-like
electromagnetic calorimeter.

Material constants (PDG Review of Particle Physics, "Atomic and nuclear properties"):
radiation length X0, critical energy Ec (electrons, Rossi definition), nuclear interaction
length lambda_int, density and the minimum-ionisation loss. The effective medium of the
sampling structure follows GFlash (Grindhammer & Peters, hep-ex/0001020, section 4):
thickness-weighted averages of 1/X0, Ec/X0 and 1/lambda, Z_eff weighted by mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Transverse half-size of every layer (mm).
HALF_WIDTH = 240.0
#: Longitudinal layer thicknesses (mm), front to back.
LAYER_DEPTHS = (90.0, 347.0, 43.0)
#: Image shapes (ny, nx) per layer, as stored in CaloGAN files.
LAYER_SHAPES: tuple[tuple[int, int], ...] = ((3, 96), (12, 12), (12, 6))
N_LAYERS = len(LAYER_SHAPES)
#: Cells per layer and in total (288 + 144 + 72 = 504).
LAYER_CELLS = tuple(ny * nx for ny, nx in LAYER_SHAPES)
N_CELLS = sum(LAYER_CELLS)
#: Offsets of each layer in the flattened 504-cell vector.
LAYER_OFFSETS = tuple(int(o) for o in np.cumsum((0, *LAYER_CELLS[:-1])))
#: Layer boundaries along z (mm): 0, 90, 437, 480.
LAYER_EDGES = tuple(float(z) for z in np.cumsum((0.0, *LAYER_DEPTHS)))
TOTAL_DEPTH = LAYER_EDGES[-1]
#: Electromagnetic energy scale constant of the Molière radius (MeV).
E_SCALE_MEV = 21.2


def cell_size(layer: int) -> tuple[float, float]:
    """(dy, dx) of the cells of ``layer`` in mm."""
    ny, nx = LAYER_SHAPES[layer]
    return 2 * HALF_WIDTH / ny, 2 * HALF_WIDTH / nx


def cell_centres(layer: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (y of each row, x of each column) of ``layer`` in mm."""
    ny, nx = LAYER_SHAPES[layer]
    dy, dx = cell_size(layer)
    return (-HALF_WIDTH + dy * (np.arange(ny) + 0.5), -HALF_WIDTH + dx * (np.arange(nx) + 0.5))


@dataclass(frozen=True)
class Material:
    """One material: Z, density (g/cm3), X0 (mm), Ec (MeV), lambda_int (mm), dE/dx_min (MeV/mm)."""

    z: float
    density: float
    x0: float
    ec: float
    lambda_int: float
    dedx_mip: float


LEAD = Material(z=82, density=11.35, x0=5.612, ec=7.43, lambda_int=175.9, dedx_mip=1.2735)
LIQUID_ARGON = Material(z=18, density=1.396, x0=140.0, ec=32.84, lambda_int=857.7, dedx_mip=0.2121)


@dataclass(frozen=True)
class SamplingMedium:
    """The effective homogeneous medium of a two-material sampling structure (GFlash)."""

    absorber: Material
    active: Material
    d_absorber: float  # mm per sampling cell
    d_active: float

    @property
    def _w(self) -> tuple[float, float]:
        total = self.d_absorber + self.d_active
        return self.d_absorber / total, self.d_active / total

    @property
    def x0(self) -> float:
        """Effective radiation length (mm): 1/X0 = sum_i w_i / X0_i (w_i thickness fractions)."""
        wa, wb = self._w
        return 1.0 / (wa / self.absorber.x0 + wb / self.active.x0)

    @property
    def ec(self) -> float:
        """Effective critical energy (MeV): Ec = X0 sum_i w_i Ec_i / X0_i."""
        wa, wb = self._w
        return self.x0 * (
            wa * self.absorber.ec / self.absorber.x0 + wb * self.active.ec / self.active.x0
        )

    @property
    def moliere_radius(self) -> float:
        """Effective Molière radius (mm): R_M = 21.2 MeV X0 / Ec."""
        return E_SCALE_MEV * self.x0 / self.ec

    @property
    def lambda_int(self) -> float:
        """Effective nuclear interaction length (mm)."""
        wa, wb = self._w
        return 1.0 / (wa / self.absorber.lambda_int + wb / self.active.lambda_int)

    @property
    def z_eff(self) -> float:
        """Mass-weighted mean Z."""
        ma = self.d_absorber * self.absorber.density
        mb = self.d_active * self.active.density
        return (ma * self.absorber.z + mb * self.active.z) / (ma + mb)

    @property
    def dedx_mip(self) -> float:
        """Mean minimum-ionisation loss of the structure (MeV/mm)."""
        wa, wb = self._w
        return wa * self.absorber.dedx_mip + wb * self.active.dedx_mip

    @property
    def mip_sampling_fraction(self) -> float:
        """Fraction of a minimum-ionising particle's loss deposited in the active medium."""
        a = self.d_absorber * self.absorber.dedx_mip
        b = self.d_active * self.active.dedx_mip
        return b / (a + b)

    @property
    def sampling_frequency(self) -> float:
        """GFlash F_S = X0_eff / (d_absorber + d_active): sampling layers per radiation length."""
        return self.x0 / (self.d_absorber + self.d_active)


#: The CaloGAN structure: 2 mm Pb + 4 mm LAr. X0 = 15.6 mm (480 mm = 30.8 X0),
#: R_M = 35.5 mm, Ec = 9.3 MeV, lambda_int = 374 mm (480 mm = 1.28 lambda), Z_eff = 69.
CALOGAN_MEDIUM = SamplingMedium(LEAD, LIQUID_ARGON, d_absorber=2.0, d_active=4.0)


def layer_of(z: np.ndarray) -> np.ndarray:
    """Layer index of depths ``z`` (mm); -1 in front of the calorimeter, 3 behind it."""
    return np.searchsorted(np.asarray(LAYER_EDGES), z, side="right") - 1


def showers_from_cells(energy, cells: np.ndarray) -> dict:
    """Showers in the CaloGAN file layout (:mod:`.io`) from incident energies ``(N,)``
    (GeV) and flattened cells ``(N, 504)`` (GeV): ``energy``, ``layer_0..2`` and a zero
    ``overflow`` (generated showers have no energy outside the grid)."""
    energy = np.asarray(energy, dtype=np.float64).ravel()
    out = {"energy": energy}
    for i, image in enumerate(split_layers(cells)):
        out[f"layer_{i}"] = image
    out["overflow"] = np.zeros((energy.size, N_LAYERS))
    return out


def split_layers(cells: np.ndarray) -> list[np.ndarray]:
    """``(N, 504)`` flattened cells -> ``[(N,3,96), (N,12,12), (N,12,6)]``."""
    cells = np.asarray(cells)
    return [
        cells[:, o : o + n].reshape(len(cells), *shape)
        for o, n, shape in zip(LAYER_OFFSETS, LAYER_CELLS, LAYER_SHAPES, strict=True)
    ]


def flatten_layers(layers) -> np.ndarray:
    """``[(N,3,96), (N,12,12), (N,12,6)]`` -> ``(N, 504)``."""
    return np.concatenate([np.asarray(x).reshape(len(x), -1) for x in layers], axis=1)
