"""The feature table: skimmed jets of all samples -> features, class, split.

Classes for the V-vs-QCD taggers (column ``y``):

* :data:`CLASS_SIGNAL` (1): jets of a ``signal`` sample truth-matched to a W or Z;
* :data:`CLASS_BACKGROUND` (0): every jet of a ``background`` sample (QCD light-quark
  and gluon jets);
* :data:`CLASS_OTHER` (-1): everything else (e.g. the recoiling parton in V+jets events,
  top jets), kept for the multi-class trigger tagger and for studies, never used as V or
  QCD by the binary taggers.

The physics ``weight`` of the skim (xsec x lumi x genWeight / sumw) is carried unchanged.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from lhcml.features.constituents import padded_constituents
from lhcml.features.highlevel import high_level_features
from lhcml.features.split import assign_split
from lhcml.tables import SPLITS

CLASS_SIGNAL, CLASS_BACKGROUND, CLASS_OTHER = 1, 0, -1
SIGNAL_LABELS = ("W", "Z")
ID_COLUMNS = ("sample", "run", "luminosityBlock", "event", "label", "label_code", "weight")


def class_of(labels: np.ndarray, role: str) -> np.ndarray:
    """The binary-tagger class (1, 0, -1) of each jet of a sample with the given role."""
    labels = np.asarray(labels, dtype=object)
    if role == "signal":
        return np.where(np.isin(labels, SIGNAL_LABELS), CLASS_SIGNAL, CLASS_OTHER).astype(np.int8)
    if role == "background":
        return np.full(len(labels), CLASS_BACKGROUND, np.int8)
    return np.full(len(labels), CLASS_OTHER, np.int8)


#: Skim columns that must be finite. N2 and D2 may be NaN (a jet groomed to a single
#: particle has no energy correlations: fastjet-contrib returns NaN too) but never +-inf.
#: The derived features (ratios with guarded denominators, rho with a floored mass) are
#: then finite by construction.
FINITE_COLUMNS = (
    "weight",
    "fj_pt",
    "fj_eta",
    "fj_phi",
    "fj_msoftdrop",
    "fj_tau1",
    "fj_tau2",
    "fj_tau3",
)
NAN_ALLOWED_COLUMNS = ("fj_n2b1", "fj_d2b1")


def check_finite(jets: ak.Array, sample: str) -> None:
    """Raise ``ValueError`` naming the sample, column and first bad event for non-finite
    values where they are not allowed."""
    for name in (*FINITE_COLUMNS, *NAN_ALLOWED_COLUMNS):
        values = np.asarray(ak.to_numpy(jets[name]), dtype=np.float64)
        bad = np.isinf(values) if name in NAN_ALLOWED_COLUMNS else ~np.isfinite(values)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"sample {sample!r}: column {name!r} has {int(bad.sum())} non-finite value(s), "
                f"first in event {jets['event'][first]} ({values[first]})"
            )


def sample_features(jets: ak.Array, role: str, n_constituents: int) -> dict[str, np.ndarray]:
    """All feature columns of one sample's skimmed jet table (flat and (n, k) arrays).

    Raises ``ValueError`` naming the sample and column if a feature is not finite (see
    :func:`check_finite`)."""
    columns = {
        c: ak.to_numpy(jets[c])
        if c not in ("sample", "label")
        else np.asarray(ak.to_list(jets[c]), dtype=object)
        for c in ID_COLUMNS
    }
    columns["y"] = class_of(columns["label"], role)
    if len(jets):
        check_finite(jets, str(columns["sample"][0]))
    columns.update(high_level_features(jets))
    cons = padded_constituents(
        jets["pfc_pt"],
        jets["pfc_eta"],
        jets["pfc_phi"],
        ak.to_numpy(jets["fj_pt"]),
        ak.to_numpy(jets["fj_eta"]),
        ak.to_numpy(jets["fj_phi"]),
        n_constituents,
    )
    columns.update({f"cons_{k}": v for k, v in cons.items()})
    return columns


def build_feature_table(
    jet_tables: dict[str, ak.Array],
    roles: dict[str, str],
    n_constituents: int,
    fractions: dict[str, float],
    seed: int,
) -> dict[str, ak.Array]:
    """Feature tables per split ('train', 'val', 'test') from per-sample jet tables.

    Rows are ordered by sample (in the order given) and then by input order; the split of
    a jet is :func:`~lhcml.features.split.assign_split` of its event.
    """
    parts = [
        sample_features(jets, roles[name], n_constituents) for name, jets in jet_tables.items()
    ]
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}
    if not merged:
        raise ValueError("no samples given to build_feature_table")
    split = assign_split(merged["run"], merged["luminosityBlock"], merged["event"], fractions, seed)
    out = {}
    for name in SPLITS:
        sel = split == name
        out[name] = ak.zip(
            {
                k: (ak.Array(v[sel].tolist()) if v.dtype == object else v[sel])
                for k, v in merged.items()
            },
            depth_limit=1,
        )
    return out


def summarise(tables: dict[str, ak.Array]) -> dict:
    """Counts and summed weights per split, class and label (for summary.json and tests)."""
    summary = {}
    for name, table in tables.items():
        y = ak.to_numpy(table["y"])
        labels = np.asarray(ak.to_list(table["label"]), dtype=object)
        weights = ak.to_numpy(table["weight"])
        summary[name] = {
            "jets": int(len(y)),
            "per_class": {
                cls: {"jets": int((y == v).sum()), "sum_weight": float(weights[y == v].sum())}
                for cls, v in (("signal", 1), ("background", 0), ("other", -1))
            },
            "per_label": {str(lab): int((labels == lab).sum()) for lab in sorted(set(labels))},
            "per_sample": {
                str(s): int(c)
                for s, c in zip(
                    *np.unique(np.asarray(ak.to_list(table["sample"])), return_counts=True),
                    strict=True,
                )
            }
            if len(y)
            else {},
        }
    return summary
