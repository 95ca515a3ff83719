"""Reading the feature and score tables the inference needs (only the columns it uses).

Score tables (``results/scores/{tagger}/{split}.parquet``) hold ``sample``, ``run``,
``luminosityBlock``, ``event`` and ``score`` in the row order of the feature table of the
same split; any tagger that writes this layout can be fitted.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow.parquet as pq

#: Event identifiers shared by feature and score tables.
ID_COLUMNS: tuple[str, ...] = ("sample", "run", "luminosityBlock", "event")
#: Feature-table columns the inference reads.
FEATURE_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "label", "weight", "y", "msd")


def read_columns(path: str | os.PathLike, columns) -> dict[str, np.ndarray]:
    """The named columns of a parquet table as NumPy arrays (strings as object arrays).

    Only these columns are read (the feature tables also hold the padded constituents).
    Raises ValueError naming the file if it cannot be read, and KeyError naming the file
    and the column if a column is missing.
    """
    try:
        names = pq.read_schema(path).names
    except Exception as err:  # pyarrow raises several types for missing or corrupt files
        raise ValueError(f"{path}: cannot read the table ({err})") from err
    for name in columns:
        if name not in names:
            raise KeyError(f"{path}: no column {name!r} (columns: {', '.join(sorted(names))})")
    table = pq.read_table(path, columns=list(columns))
    return {name: table.column(name).to_numpy() for name in columns}


def read_features(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The columns of a feature table the inference uses (:data:`FEATURE_COLUMNS`)."""
    return read_columns(path, FEATURE_COLUMNS)


def read_scores(path: str | os.PathLike, features: dict[str, np.ndarray]) -> np.ndarray:
    """The ``score`` column of a score table, checked row by row against ``features``."""
    scores = read_columns(path, (*ID_COLUMNS, "score"))
    n, m = len(scores["score"]), len(features["event"])
    if n != m:
        raise ValueError(f"{path}: {n} scores for {m} jets of the feature table")
    for c in ID_COLUMNS:
        if not np.array_equal(scores[c], features[c]):
            raise ValueError(f"{path}: rows do not match the feature table (column {c!r})")
    score = np.asarray(scores["score"], dtype=np.float64)
    if not np.all(np.isfinite(score)):
        raise ValueError(f"{path}: {int((~np.isfinite(score)).sum())} non-finite scores")
    return score


def is_signal(features: dict[str, np.ndarray], signal_samples) -> np.ndarray:
    """W/Z-matched jets of the signal samples (``y == 1``): the component scaled by mu."""
    return np.isin(features["sample"], list(signal_samples)) & (features["y"] == 1)


def l1_pass(features: dict[str, np.ndarray], decisions_path: str | os.PathLike) -> np.ndarray:
    """The emulated L1 trigger's decision (``l1_pass``) for every jet of ``features``, by
    its event (:data:`ID_COLUMNS`), from the trigger branch's decision table
    (results/trigger/l1_decisions.parquet, rules/trigger.smk).

    Raises KeyError naming the file and the first event that has no decision.
    """
    dec = read_columns(decisions_path, (*ID_COLUMNS, "l1_pass"))
    dec_keys = zip(*(dec[c].tolist() for c in ID_COLUMNS), strict=True)
    table = dict(zip(dec_keys, dec["l1_pass"].tolist(), strict=True))
    keys = list(zip(*(features[c].tolist() for c in ID_COLUMNS), strict=True))
    out = np.empty(len(keys), bool)
    for i, key in enumerate(keys):
        try:
            out[i] = bool(table[key])
        except KeyError:
            event = dict(zip(ID_COLUMNS, key, strict=True))
            raise KeyError(f"{decisions_path}: no L1 decision for event {event}") from None
    return out
