"""Write generated events as NanoAOD-format ROOT files with uproot.

The layout follows :mod:`lhcml.nanoaod`: an ``Events`` tree with one branch per field
(``FatJet_pt``, ...) and an ``n<Collection>`` counter per collection, and a ``Runs``
tree with ``genEventSumw`` / ``genEventCount`` for the normalisation.
"""

from __future__ import annotations

import os

import awkward as ak
import numpy as np
import uproot

from lhcml.io import atomic_path


def write_nanoaod(
    path: str | os.PathLike,
    event_columns: dict[str, np.ndarray],
    collections: dict[str, ak.Array],
    runs: dict[str, np.ndarray],
) -> None:
    """Write one NanoAOD-format file atomically.

    Parameters
    ----------
    path
        Output ``.root`` file.
    event_columns
        Flat per-event branches (``run``, ``luminosityBlock``, ``event``, ``genWeight``).
    collections
        Collection name -> events x objects record array; written as ``<name>_<field>``
        with counter ``n<name>``.
    runs
        Branches of the ``Runs`` tree (one entry per file).
    """
    events = {**event_columns, **collections}
    with atomic_path(path) as tmp, uproot.recreate(tmp, compression=uproot.LZ4(4)) as f:
        for name, data in (("Events", events), ("Runs", runs)):
            tree = f.mktree(
                name,
                {k: _branch_type(v) for k, v in data.items()},
                counter_name=lambda counted: "n" + counted,
                field_name=lambda outer, inner: inner if outer == "" else f"{outer}_{inner}",
            )
            tree.extend(data)


def _branch_type(values):
    """The uproot branch type of a column: a NumPy dtype or an awkward type."""
    if isinstance(values, ak.Array):
        return values.type
    return np.asarray(values).dtype
