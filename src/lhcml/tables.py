"""The tables that cross stages: feature tables and score tables (read, write, check).

This module is the contract between stages; a stage reads another stage's tables only
through it, never through that stage's workflow module.

Feature tables (``results/features/{split}.parquet``, written by :mod:`lhcml.features`)
    One row per selected jet. Identifiers :data:`ID_COLUMNS` (``sample, run,
    luminosityBlock, event``), the truth ``label``/``label_code``, the class ``y``
    (1 = W/Z signal, 0 = QCD background, -1 = other), the physics ``weight`` (xsec x lumi x
    genWeight / sum of genWeight, events at the config's ``lumi_fb``), the high-level
    features (``pt``, ``eta``, ``msd`` in GeV; ``tau21``, ``tau32``, ``n2``, ``d2``,
    ``rho = ln(msd^2/pt^2)``, ``nconst``) and the padded constituents.

Score tables (``results/scores/{tagger}/{split}.parquet``, taggers and decorrelation)
    :data:`SCORE_COLUMNS`: the identifiers and ``score`` (float; higher = more W/Z-like
    for every tagger), one row per row of the feature table of the same split, in the
    same order. :func:`check_aligned` enforces that.

Splits (:data:`SPLITS`): ``train`` (fits), ``val`` (early stopping, working points,
templates), ``test`` (metrics, pseudo-data); a jet's split is fixed by its event.
"""

from __future__ import annotations

import os

import awkward as ak
import numpy as np
import pyarrow.parquet as pq

from lhcml.io import atomic_path

#: The splits of the feature and score tables, in this order.
SPLITS: tuple[str, ...] = ("train", "val", "test")

#: Event identifiers: the join key of every table that crosses stages.
ID_COLUMNS: tuple[str, ...] = ("sample", "run", "luminosityBlock", "event")

#: Columns of a score table.
SCORE_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "score")


class MissingColumnError(KeyError):
    """A table lacks a column a step needs; ``column`` names it."""

    def __init__(self, column: str, needed_by: str, available):
        self.column = column
        self.message = (
            f"table has no column {column!r}, needed by {needed_by} "
            f"(columns present: {', '.join(sorted(map(str, available)))})"
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return self.message


def columns_of(table) -> list[str]:
    """Column names of an awkward record array, a mapping or a pandas DataFrame."""
    fields = getattr(table, "fields", None)
    return list(fields) if fields is not None else list(table.keys())


def require_columns(table, columns, needed_by: str = "the tagger") -> None:
    """Raise :class:`MissingColumnError` naming the first of ``columns`` not in ``table``."""
    available = set(columns_of(table))
    for column in columns:
        if column not in available:
            raise MissingColumnError(column, needed_by, available)


def column(table, name: str, dtype=None) -> np.ndarray:
    """One column as a NumPy array (fixed-size lists become 2-d arrays)."""
    values = table[name]
    try:
        array = values.to_numpy()  # awkward arrays and pandas Series
    except AttributeError:
        array = np.asarray(values)
    return np.asarray(array, dtype=dtype)


def read_parquet(path: str | os.PathLike, columns=None):
    """A parquet file written by ``ak.to_parquet`` as an awkward array (``columns``: only
    these top-level fields; those the file lacks are left out).

    The same array as ``ak.from_parquet``, read by pyarrow from the path rather than
    through the Python file object that ``ak.from_parquet`` opens: with a Python file
    object, pyarrow's reader threads can still be alive when the interpreter exits, and
    the process then aborts after its work is done ("terminate called without an active
    exception", apache/arrow#34314 and #50482); a Snakemake job failed so.
    """
    path = os.fspath(path)
    if columns is not None:  # those the file lacks are left out, as ak.from_parquet does
        present = set(pq.read_schema(path).names)
        columns = [c for c in columns if c in present]
    return ak.from_arrow(pq.read_table(path, columns=columns))


def read_table(path: str | os.PathLike, columns=None) -> ak.Array:
    """A feature or score table as an awkward record array.

    ``columns``: read only these (and fail naming the file and the first missing one).
    Errors name the file.
    """
    try:
        table = read_parquet(path, columns=columns or None)
    except Exception as err:  # pyarrow raises several types for missing or corrupt files
        raise ValueError(f"{path}: cannot read the table ({err})") from err
    if columns:
        require_columns(table, columns, f"the reader of {path}")
    return table


def write_table(table: ak.Array, path: str | os.PathLike) -> None:
    """Write ``table`` as parquet, atomically."""
    with atomic_path(path) as tmp:
        ak.to_parquet(table, tmp)


def score_table(ids, score) -> ak.Array:
    """A score table: the identifiers of the jets of ``ids`` (a feature table) and ``score``."""
    require_columns(ids, ID_COLUMNS, "the score table")
    score = np.asarray(score)
    if len(score) != len(ids):
        raise ValueError(f"{len(score)} scores for {len(ids)} jets")
    return ak.zip({**{c: ids[c] for c in ID_COLUMNS}, "score": score}, depth_limit=1)


def read_scores(path: str | os.PathLike) -> ak.Array:
    """A score table, checked for :data:`SCORE_COLUMNS` (errors name the file)."""
    return read_table(path, SCORE_COLUMNS)


def check_aligned(features, scores, what: str) -> None:
    """Raise ValueError unless ``scores`` has one row per jet of ``features``, same order."""
    if len(features) != len(scores):
        raise ValueError(f"{what}: {len(scores)} scores for {len(features)} jets")
    for c in ID_COLUMNS:
        if not np.array_equal(column(features, c), column(scores, c)):
            raise ValueError(f"{what}: score table rows do not match the feature table ({c})")


def aligned_scores(features, path: str | os.PathLike) -> np.ndarray:
    """The ``score`` column of the score table at ``path``, checked against ``features``."""
    scores = read_scores(path)
    check_aligned(features, scores, str(path))
    return column(scores, "score", np.float64)
