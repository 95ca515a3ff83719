"""The five-class data set of the trigger tagger: class selection, balance, split.

Classes (column ``target``, in this order; docs/trigger.md): gluon, light quark, W, Z,
top. Each class is taken from one sample and one truth label of the skim
(:mod:`lhcml.skim.labels`), as configured under ``trigger.classes``; by default gluon and
light-quark jets from ``qcd``, W and Z jets from ``vjets`` and top jets from ``ttbar``.
Jets of any other label (``unmatched``, the recoiling parton of V+jets, W jets of ttbar)
are not used.

Balance: a class with more than ``max_jets_per_class`` jets keeps the ones with the smallest
event hash (:func:`lhcml.features.split.event_hash` with a seed of its own), a choice that
depends on each event alone, not on file order or chunking. Classes that stay smaller (top,
with the default sample sizes) are balanced in training by class weights
(:func:`class_weights`). Events are unweighted: like the hls4ml benchmark the tagger is
trained and evaluated on class-balanced jets, not at the physics cross sections.

Split: train / val / test by the event-number hash of :func:`lhcml.features.split.assign_split`
(same seed and fractions as the main feature tables, so a jet is in the same split in both).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import awkward as ak
import numpy as np
import pandas as pd

from lhcml.features.split import assign_split, event_hash
from lhcml.tables import SPLITS
from lhcml.trigger import CLASSES
from lhcml.trigger.features import CONSTITUENT_COLUMNS, TRIGGER_FEATURES, trigger_features

log = logging.getLogger("lhcml.trigger")

#: Default origin (sample, skim label) of each class.
DEFAULT_CLASSES: dict[str, dict[str, str]] = {
    "gluon": {"sample": "qcd", "label": "gluon"},
    "quark": {"sample": "qcd", "label": "quark"},
    "W": {"sample": "vjets", "label": "W"},
    "Z": {"sample": "vjets", "label": "Z"},
    "top": {"sample": "ttbar", "label": "top"},
}
ID_COLUMNS: tuple[str, ...] = ("sample", "run", "luminosityBlock", "event", "label")
#: Offset added to the master seed for the per-class cap (independent of the split hash).
CAP_SEED_OFFSET = 7919


def classes_of_sample(classes: Mapping[str, Mapping[str, str]], sample: str) -> dict[str, str]:
    """``{class: skim label}`` of the classes taken from ``sample``."""
    return {c: spec["label"] for c, spec in classes.items() if spec["sample"] == sample}


def capped(run, lumi, event, max_jets: int | None, seed: int) -> np.ndarray:
    """Indices (ascending) of at most ``max_jets`` jets: those with the smallest event hash."""
    n = len(event)
    if max_jets is None or n <= max_jets:
        return np.arange(n)
    h = event_hash(run, lumi, event, seed + CAP_SEED_OFFSET)
    return np.sort(np.argsort(h, kind="stable")[:max_jets])


def require_skim_columns(jets: ak.Array, path: str) -> None:
    """Raise ``ValueError`` naming the file and the first missing skim column."""
    for name in (*ID_COLUMNS, *CONSTITUENT_COLUMNS, "fj_pt", "fj_eta"):
        if name not in jets.fields:
            raise ValueError(
                f"{path}: skimmed jet table has no column {name!r}, needed by the trigger "
                f"features (columns present: {', '.join(jets.fields)})"
            )


def sample_table(
    jets: ak.Array,
    sample: str,
    classes: Mapping[str, Mapping[str, str]],
    max_jets_per_class: int | None,
    seed: int,
    grooming: Mapping[str, float],
    path: str = "<table>",
) -> pd.DataFrame:
    """Features of the jets of one sample that belong to a configured class.

    Returns a DataFrame with the identifiers, ``target`` (index into :data:`CLASSES`),
    ``class``, the jet pT and eta and the 16 :data:`TRIGGER_FEATURES` (one row per jet,
    classes in :data:`CLASSES` order, input order within a class).
    """
    require_skim_columns(jets, path)
    wanted = classes_of_sample(classes, sample)
    labels = np.asarray(ak.to_list(jets["label"]), dtype=object)
    parts = []
    for cls in CLASSES:
        if cls not in wanted:
            continue
        rows = np.flatnonzero(labels == wanted[cls])
        ids = {k: ak.to_numpy(jets[k][rows]) for k in ("run", "luminosityBlock", "event")}
        keep = rows[
            capped(ids["run"], ids["luminosityBlock"], ids["event"], max_jets_per_class, seed)
        ]
        log.info(
            "%s: %d %s jets (label %r), %d kept", sample, len(rows), cls, wanted[cls], len(keep)
        )
        sel = jets[keep]
        feats = trigger_features(
            sel["pfc_pt"], sel["pfc_eta"], sel["pfc_phi"], sel["pfc_mass"], **grooming
        )
        frame = pd.DataFrame(
            {
                "sample": np.full(len(keep), sample, dtype=object),
                **{k: ak.to_numpy(sel[k]) for k in ("run", "luminosityBlock", "event")},
                "label": labels[keep],
                "class": np.full(len(keep), cls, dtype=object),
                "target": np.full(len(keep), CLASSES.index(cls), dtype=np.int8),
                "pt": ak.to_numpy(sel["fj_pt"]).astype(np.float32),
                "eta": ak.to_numpy(sel["fj_eta"]).astype(np.float32),
                **feats,
            }
        )
        parts.append(frame)
    if not parts:
        return empty_table()
    return pd.concat(parts, ignore_index=True)


def empty_table() -> pd.DataFrame:
    columns = [*ID_COLUMNS, "class", "target", "pt", "eta", *TRIGGER_FEATURES]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def split_tables(
    tables: list[pd.DataFrame], fractions: Mapping[str, float], seed: int
) -> dict[str, pd.DataFrame]:
    """Merge per-sample tables and split them by event hash into train / val / test."""
    merged = pd.concat(tables, ignore_index=True) if tables else empty_table()
    split = assign_split(
        merged["run"].to_numpy(np.int64),
        merged["luminosityBlock"].to_numpy(np.int64),
        merged["event"].to_numpy(np.int64),
        dict(fractions),
        seed,
    )
    return {name: merged[split == name].reset_index(drop=True) for name in SPLITS}


def counts(splits: Mapping[str, pd.DataFrame]) -> dict:
    """Jets per split and class (for the dataset summary and metrics.json)."""
    return {
        name: {
            "jets": int(len(table)),
            "per_class": {c: int((table["class"] == c).sum()) for c in CLASSES},
        }
        for name, table in splits.items()
    }


def class_weights(target: np.ndarray, n_classes: int = len(CLASSES)) -> np.ndarray:
    """Per-jet training weights giving every class the same total weight (mean weight 1).

    Raises ``ValueError`` naming the classes without training jets.
    """
    target = np.asarray(target, dtype=np.int64)
    n = np.bincount(target, minlength=n_classes).astype(np.float64)
    if (n == 0).any():
        missing = [CLASSES[i] for i in np.flatnonzero(n == 0)]
        raise ValueError(f"no training jets of class(es) {missing}")
    return (len(target) / (n_classes * n))[target]
