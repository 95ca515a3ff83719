"""Reading skimmed jet tables and writing the feature tables (parquet, atomically)."""

from __future__ import annotations

import logging
import os

import awkward as ak

from lhcml.features.build import build_feature_table, summarise
from lhcml.io import atomic_path, write_json
from lhcml.tables import read_parquet

log = logging.getLogger("lhcml.features")


def read_jet_table(path: str | os.PathLike) -> ak.Array:
    """A skimmed jet table, with an error naming the file if it cannot be read."""
    try:
        return read_parquet(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise ValueError(f"{path}: cannot read the skimmed jet table ({err})") from err


def write_parquet(table: ak.Array, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        ak.to_parquet(table, tmp)


def write_feature_tables(
    jet_files: dict[str, str],
    roles: dict[str, str],
    n_constituents: int,
    fractions: dict[str, float],
    seed: int,
    outputs: dict[str, str],
    summary_path: str,
) -> dict:
    """Build the feature tables from the skim outputs and write them; return the summary."""
    tables = {}
    for sample, path in jet_files.items():
        tables[sample] = read_jet_table(path)
        log.info("%s: %d skimmed jets from %s", sample, len(tables[sample]), path)
    splits = build_feature_table(tables, roles, n_constituents, fractions, seed)
    summary = summarise(splits)
    for name, table in splits.items():
        write_parquet(table, outputs[name])
        log.info(
            "%s: %d jets (%d signal, %d background) -> %s",
            name,
            len(table),
            summary[name]["per_class"]["signal"]["jets"],
            summary[name]["per_class"]["background"]["jets"],
            outputs[name],
        )
    write_json(summary_path, summary)
    return summary
