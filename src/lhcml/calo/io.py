"""CaloGAN HDF5 files: read (with validation) and write (atomically, chunked, compressed).

The format of the CaloGAN data sets (Paganini et al., PRD 97 (2018) 014021; files
``eplus.hdf5``, ``gamma.hdf5``, ``piplus.hdf5``): one row per shower,

===========  ============  =====================================================
key          shape         content
===========  ============  =====================================================
energy       (N,) or (N,1) incident energy, GeV
layer_0      (N, 3, 96)    cell energies of layer 0
layer_1      (N, 12, 12)   cell energies of layer 1
layer_2      (N, 12, 6)    cell energies of layer 2
overflow     (N, 3)        energy outside each layer's grid
===========  ============  =====================================================

Files written here also hold ``leakage`` and ``invisible`` (N,) (see
:mod:`lhcml.calo.showersim`); they are optional on reading, so real CaloGAN files can be
dropped in. Any other key is ignored.
"""

from __future__ import annotations

import os

import h5py
import numpy as np

from lhcml.calo.geometry import LAYER_SHAPES, N_LAYERS
from lhcml.io import atomic_path

#: Required datasets and the shape of one row of each.
REQUIRED: dict[str, tuple[int, ...]] = {
    "energy": (),
    **{f"layer_{i}": shape for i, shape in enumerate(LAYER_SHAPES)},
    "overflow": (N_LAYERS,),
}
OPTIONAL: dict[str, tuple[int, ...]] = {"leakage": (), "invisible": ()}


class CaloFormatError(ValueError):
    """A file that is not in the CaloGAN format; the message names the file and the key."""


def write_showers(path: str | os.PathLike, showers: dict, attrs: dict | None = None) -> None:
    """Write ``showers`` (the keys of :data:`REQUIRED`, optionally :data:`OPTIONAL`) to ``path``.

    Cell energies are stored as float32 (as in the CaloGAN files), gzip-compressed in
    chunks of 1000 showers. ``attrs`` (scalars or strings) become file attributes.
    """
    validate(showers, str(path))
    n = len(showers["energy"])
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for key in (*REQUIRED, *OPTIONAL):
            if key not in showers:
                continue
            data = np.asarray(showers[key], dtype=np.float32)
            if key == "energy":
                data = data.reshape(n, 1)
            chunks = (min(max(n, 1), 1000), *data.shape[1:]) if n else None
            f.create_dataset(
                key,
                data=data,
                chunks=chunks,
                compression="gzip" if n else None,
                compression_opts=4 if n else None,
            )
        for k, v in (attrs or {}).items():
            f.attrs[k] = v


def validate(showers: dict, where: str) -> None:
    """Check keys, shapes and values of a shower dict; raise :class:`CaloFormatError`."""
    missing = [k for k in REQUIRED if k not in showers]
    if missing:
        raise CaloFormatError(
            f"{where}: missing CaloGAN dataset(s) {missing} (required: {', '.join(REQUIRED)})"
        )
    energy = np.asarray(showers["energy"])
    if energy.ndim == 2 and energy.shape[1] == 1:
        energy = energy[:, 0]
    if energy.ndim != 1:
        raise CaloFormatError(
            f"{where}: 'energy' has shape {energy.shape}, expected (N,) or (N, 1)"
        )
    n = len(energy)
    for key, row in {**REQUIRED, **OPTIONAL}.items():
        if key not in showers or key == "energy":
            continue
        shape = np.shape(showers[key])
        if tuple(shape) != (n, *row):
            raise CaloFormatError(
                f"{where}: {key!r} has shape {tuple(shape)}, expected {(n, *row)}"
            )
    for key in REQUIRED:
        values = np.asarray(showers[key])
        if not np.all(np.isfinite(values)):
            raise CaloFormatError(f"{where}: {key!r} holds non-finite values")
    if n and energy.min() <= 0:
        raise CaloFormatError(f"{where}: 'energy' must be positive (GeV)")


def read_showers(path: str | os.PathLike) -> dict:
    """Read one CaloGAN-format file: a dict of float64 arrays, ``energy`` as (N,)."""
    try:
        f = h5py.File(path, "r")
    except (OSError, FileNotFoundError) as err:
        raise CaloFormatError(f"{path}: cannot open as HDF5 ({err})") from None
    with f:
        missing = [k for k in REQUIRED if k not in f]
        if missing:
            raise CaloFormatError(
                f"{path}: missing CaloGAN dataset(s) {missing} "
                f"(found: {', '.join(sorted(f)) or 'none'}; required: {', '.join(REQUIRED)})"
            )
        showers = {
            k: np.asarray(f[k][()], dtype=np.float64) for k in (*REQUIRED, *OPTIONAL) if k in f
        }
    energy = showers["energy"]
    if energy.ndim == 2 and energy.shape[1] == 1:
        showers["energy"] = energy[:, 0]
    validate(showers, str(path))
    return showers


def read_many(paths) -> dict:
    """Read and concatenate several CaloGAN-format files (in the given order).

    Optional datasets are kept only when every file has them.
    """
    parts = [read_showers(p) for p in paths]
    if not parts:
        raise CaloFormatError("no CaloGAN files given")
    keys = [k for k in (*REQUIRED, *OPTIONAL) if all(k in p for p in parts)]
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def subset(showers: dict, index) -> dict:
    """The showers at ``index`` (an index array, slice or mask), every key."""
    return {k: np.asarray(v)[index] for k, v in showers.items()}
