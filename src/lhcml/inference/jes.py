"""The jet-energy-scale variation: the template split with shifted jets, rescored.

A JES shift ``1 + s`` scales the jet's momentum and (to first order) its groomed mass:
``pt -> pt (1 + s)``, ``msd -> msd (1 + s)``; ``rho = 2 ln(msd / pt)`` and the
substructure ratios and constituent fractions do not change. Each fitted tagger rescores
the shifted jets with its trained model, so its pass region (efficiency) moves with the
shift as it would in data; the inference then takes the signal template of the shifted,
rescored jets as the JES variation (:mod:`.templates`). Jets that would cross the skim's
pT threshold are not in the tables, so migration across that threshold is not modelled.

Trained taggers (``results/models/{tagger}/model/``) of the taggers stage are loaded with
:func:`lhcml.taggers.load_tagger`, decorrelated networks and DDT maps with
:func:`lhcml.decorrelation.load_decorrelated` (a DDT map rescores its base
tagger first).
"""

from __future__ import annotations

import logging
from pathlib import Path

import awkward as ak
import numpy as np

from lhcml.decorrelation import DDT_BASES, MD_TAGGERS, load_decorrelated
from lhcml.decorrelation import model_file as md_model_file
from lhcml.inference.inputs import FEATURE_COLUMNS, ID_COLUMNS
from lhcml.tables import column, read_table, write_table
from lhcml.taggers import load_tagger

log = logging.getLogger("lhcml.inference")

#: Columns with the dimension of an energy (scaled by a JES shift).
SCALED_COLUMNS: tuple[str, ...] = ("pt", "msd")


def shift_jets(table: ak.Array, scale: float) -> ak.Array:
    """``table`` with ``pt`` and ``msd`` multiplied by ``scale`` (> 0)."""
    if not scale > 0:
        raise ValueError(f"JES scale must be positive, got {scale}")
    for name in SCALED_COLUMNS:
        if name not in table.fields:
            raise KeyError(f"the feature table has no column {name!r} (needed by the JES shift)")
        table = ak.with_field(table, table[name] * scale, name)
    return table


def _model_path(folder: Path) -> Path:

    tagger = folder.name
    path = folder / (md_model_file(tagger) if tagger in MD_TAGGERS else "model")
    if not path.exists():
        raise FileNotFoundError(f"{path}: the model of tagger {tagger!r} is missing")
    return path


def rescore(tagger: str, models_dir, table: ak.Array, threads: int = 1) -> np.ndarray:
    """Scores of ``table`` by the trained ``tagger`` saved under ``models_dir/{tagger}/``."""

    folder = Path(models_dir) / tagger
    if tagger in MD_TAGGERS:  # a decorrelated tagger
        model = load_decorrelated(_model_path(folder), folder / "meta.json", threads)
        if tagger in DDT_BASES:
            base = rescore(DDT_BASES[tagger], models_dir, table, threads)
            return np.asarray(
                model.score(
                    base, column(table, "rho", np.float64), column(table, "pt", np.float64)
                ),
                np.float64,
            )
        return np.asarray(model.score(table), np.float64)

    model = load_tagger(_model_path(folder), folder / "meta.json", threads)
    return np.asarray(model.score(table), np.float64)


def shifted_scores(
    tagger, models_dir, features_path, scale, out_features, out_scores, threads: int = 1
) -> None:
    """Shift the jets of ``features_path`` by ``scale``, rescore with ``tagger``, write both.

    ``out_features`` holds the identifiers and the shifted ``msd`` and ``pt`` (what the
    inference reads), ``out_scores`` the score table in the same row order.
    """

    table = shift_jets(read_table(features_path), float(scale))
    score = rescore(tagger, models_dir, table, threads)
    keep = dict.fromkeys((*FEATURE_COLUMNS, "pt"))
    write_table(ak.zip({c: table[c] for c in keep}, depth_limit=1), out_features)
    write_table(
        ak.zip({**{c: table[c] for c in ID_COLUMNS}, "score": score}, depth_limit=1), out_scores
    )
    log.info("%s: %d jets shifted by %g and rescored -> %s", tagger, len(score), scale, out_scores)
