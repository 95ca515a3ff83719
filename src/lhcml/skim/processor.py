"""The coffea processor of the skim: the leading large-R jet of each event.

:class:`LeadingFatJetProcessor` takes NanoEvents (:class:`coffea.nanoevents.NanoAODSchema`,
any mode that gives concrete arrays: ``"eager"`` or the default ``"virtual"``), so the same
code runs on generated and on real CMS NanoAOD, under any of coffea's non-dask executors
(``IterativeExecutor``, ``FuturesExecutor``) or a plain call ``processor.process(events)``.

Selection (the cutflow steps, cumulative, each with unweighted and weighted counts):

===============  ========================================================================
``all``          every event
``golden_json``  (data, when configured) run and lumi section certified in the golden
                 JSON (coffea's :class:`~coffea.lumi_tools.LumiMask`)
``hlt``          (real files, when configured) any of the ``HLT_*`` bits set
``met_filters``  (real files, when configured) every ``Flag_*`` bit set
``has_fatjet``   ``nFatJet >= 1``
``pt``           leading FatJet ``pt > fatjet_pt_min`` (GeV)
``eta``          ``|eta| < fatjet_abs_eta_max`` of that jet
``jet_id``       (real files, when configured) ``FatJet_jetId & jet_id == jet_id`` of
                 that jet
``msoftdrop``    ``msoftdrop_min <= msoftdrop < msoftdrop_max`` (GeV) of that jet
===============  ========================================================================

Steps in brackets appear only when the sample's :class:`Selection` asks for them.

Non-finite values: every floating-point branch the skim reads (all FatJets, not only the
leading one; ``genWeight``; the constituents) is checked per chunk. NaN or inf is an error
naming the file, the branch, the count and the first event (:class:`NonFiniteError`);
only ``FatJet_n2b1`` / ``FatJet_d2b1`` may be NaN (a jet groomed to one particle has no
energy correlation), never inf. A non-finite value therefore never changes the selection.

Constituents: PFNano stores the PUPPI weight apart (``PFCands_puppiWeight``) and
unweighted candidate momenta; there the candidate pT and mass are multiplied by the
weight and candidates of weight 0 dropped, as in the PUPPI jet itself. NanoAOD v15
``PFCand_pt`` is already PUPPI-weighted and is used as stored; so is the generator's
output (no pileup). Every input thus gives PUPPI-weighted constituents.

The leading jet is the highest-pT FatJet, found with ``argmax`` (NanoAOD sorts FatJets by
pt, but this does not rely on it; ties go to the first).

Weights: per event ``weight = xsec[pb] * lumi[fb^-1] * 1000 * genWeight / sumw`` (1000 pb
per fb), so that the weights of a sample sum to its expected yield ``xsec * lumi`` before
selection when ``sumw`` is the sum of ``genWeight`` over all generated events.
``genWeight = 1`` for files without that branch (real data). A sample configured without
normalisation (``None``, real data) gets ``weight = 1`` for every event.

Output per selected event: one row of :data:`COLUMNS` (see there for names, types and
conventions).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np
from coffea import processor
from coffea.nanoevents import NanoAODSchema

from lhcml.skim.labels import GENPART_FIELDS, label_codes, label_names
from lhcml.substructure.ecf import energy_correlators
from lhcml.substructure.softdrop import softdrop

log = logging.getLogger("lhcml.skim")

#: Cut names, their defaults and units.
DEFAULT_CUTS: dict[str, float | int] = {
    "fatjet_pt_min": 300.0,  # GeV
    "fatjet_abs_eta_max": 2.4,
    "msoftdrop_min": 30.0,  # GeV
    "msoftdrop_max": 250.0,  # GeV
    "match_dr": 0.8,  # DeltaR of the truth matching
    "max_constituents": 100,  # leading constituents (by pT) kept per jet
}

#: Names of all possible cutflow steps, in order (see :meth:`Selection.steps`).
CUTFLOW_STEPS: tuple[str, ...] = (
    "all",
    "golden_json",
    "hlt",
    "met_filters",
    "has_fatjet",
    "pt",
    "eta",
    "jet_id",
    "msoftdrop",
)

#: FatJet fields that may be NaN (but not inf): energy correlations of one-particle jets.
NAN_ALLOWED_FIELDS = frozenset({"n2b1", "d2b1"})


class NonFiniteError(ValueError):
    """A NaN or inf in a branch the skim reads (the message names file, branch, event)."""


@dataclass(frozen=True)
class Selection:
    """Data-quality selection of one real-file sample (all empty for generated events).

    Attributes
    ----------
    golden_json
        Path of a certified-luminosity JSON (``{"run": [[first, last], ...]}``), or None.
    hlt_paths
        ``HLT_*`` branches; an event passes if any is true (none = no trigger selection).
    met_filters
        ``Flag_*`` branches; an event passes if all are true.
    jet_id
        Bits required in ``FatJet_jetId`` of the leading jet (2 = tight), or None.
    """

    golden_json: str | None = None
    hlt_paths: tuple[str, ...] = ()
    met_filters: tuple[str, ...] = ()
    jet_id: int | None = None

    def steps(self) -> tuple[str, ...]:
        """The cutflow steps of this selection, in order."""
        skip = set()
        if not self.golden_json:
            skip.add("golden_json")
        if not self.hlt_paths:
            skip.add("hlt")
        if not self.met_filters:
            skip.add("met_filters")
        if self.jet_id is None:
            skip.add("jet_id")
        return tuple(s for s in CUTFLOW_STEPS if s not in skip)

    def branches(self) -> tuple[str, ...]:
        """The event branches this selection reads (checked in every file up front)."""
        out = [*self.hlt_paths, *self.met_filters]
        if self.jet_id is not None:
            out.append("FatJet_jetId")
        return tuple(out)


def check_finite(
    values: np.ndarray,
    branch: str,
    where: str,
    events: np.ndarray,
    owner: np.ndarray | None = None,
    allow_nan: bool = False,
) -> None:
    """Raise :class:`NonFiniteError` if ``values`` hold inf (or NaN unless allowed).

    ``owner`` maps each flat value to its event's position (None: one value per event);
    ``events`` are the event numbers of the chunk.
    """
    values = np.asarray(values)
    if values.dtype.kind != "f" or values.size == 0:
        return
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        row = first if owner is None else int(owner[first])
        raise NonFiniteError(
            f"{where}: branch {branch!r} has {int(bad.sum())} non-finite value(s) "
            f"(NaN or inf), first in event {int(events[row])} (entry {row} of the chunk): "
            f"{values[first]}"
        )


#: Output columns -> (kind, numpy dtype). ``scalar``: one value per jet; ``string``: UTF-8
#: string; ``jagged``: variable-length list per jet (the constituents, sorted by decreasing
#: pT). ``fj_*`` are the selected FatJet's NanoAOD fields (GeV, radians); ``fj_tau4`` and
#: ``fj_d2b1`` are NaN when the input lacks them, ``fj_nconst`` is ``FatJet_nConstituents``
#: (-1 when absent). ``pfc_*`` are empty lists when the input has no jet-constituent
#: association (standard CMS NanoAOD).
COLUMNS: dict[str, tuple[str, type]] = {
    "sample": ("string", str),
    "run": ("scalar", np.int64),
    "luminosityBlock": ("scalar", np.int64),
    "event": ("scalar", np.int64),
    "label": ("string", str),
    "label_code": ("scalar", np.int8),
    "weight": ("scalar", np.float64),
    "genWeight": ("scalar", np.float64),
    "fj_pt": ("scalar", np.float32),
    "fj_eta": ("scalar", np.float32),
    "fj_phi": ("scalar", np.float32),
    "fj_mass": ("scalar", np.float32),
    "fj_msoftdrop": ("scalar", np.float32),
    "fj_tau1": ("scalar", np.float32),
    "fj_tau2": ("scalar", np.float32),
    "fj_tau3": ("scalar", np.float32),
    "fj_tau4": ("scalar", np.float32),
    "fj_n2b1": ("scalar", np.float32),
    "fj_d2b1": ("scalar", np.float32),
    "fj_nconst": ("scalar", np.int32),
    "pfc_pt": ("jagged", np.float32),
    "pfc_eta": ("jagged", np.float32),
    "pfc_phi": ("jagged", np.float32),
    "pfc_mass": ("jagged", np.float32),
    "pfc_charge": ("jagged", np.int32),
    "pfc_pdgId": ("jagged", np.int32),
}

#: FatJet fields copied to ``fj_<field>`` (``nConstituents`` goes to ``fj_nconst``).
FATJET_FIELDS: tuple[str, ...] = (
    "pt",
    "eta",
    "phi",
    "mass",
    "msoftdrop",
    "tau1",
    "tau2",
    "tau3",
    "tau4",
    "n2b1",
    "d2b1",
)

#: Jet-constituent associations tried in order: (association collection, its index field
#: into the candidates, candidate collection). The first is PFNano and this project's
#: generator (see :mod:`lhcml.nanoaod`); the second is the NanoAOD v15 spelling.
ASSOCIATIONS: tuple[tuple[str, str, str], ...] = (
    ("FatJetPFCands", "pFCandsIdx", "PFCands"),
    ("FatJetPFCand", "pfCandIdx", "PFCand"),
)

#: The candidate fields the skim reads (``charge`` and ``puppiWeight`` where stored).
CANDIDATE_FIELDS: tuple[str, ...] = ("pt", "eta", "phi", "mass", "pdgId", "charge", "puppiWeight")

#: Charge by |pdgId| x sign(pdgId), used when the candidates carry no ``charge`` field.
_CHARGE_OF_PDG = {211: 1, 321: 1, 2212: 1, 11: -1, 13: -1}


class SkimSchema(NanoAODSchema):
    """:class:`~coffea.nanoevents.NanoAODSchema`, silent about absent cross-references.

    Real and generated files legitimately lack many of the collections that NanoAOD
    cross-references (``Electron``, ``SubJet``, ...); the stock schema warns once per
    missing one per chunk. Nothing else differs.
    """

    warn_missing_crossrefs = False


@dataclass(frozen=True)
class SampleNorm:
    """Normalisation of a simulated sample.

    Attributes
    ----------
    xsec_pb
        Cross section in pb.
    lumi_fb
        Integrated luminosity in fb^-1.
    sumw
        Sum of ``genWeight`` over all generated events of the sample (all files).
    """

    xsec_pb: float
    lumi_fb: float
    sumw: float

    def __post_init__(self):
        for name in ("xsec_pb", "lumi_fb", "sumw"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if self.xsec_pb < 0 or self.lumi_fb < 0:
            raise ValueError(f"xsec_pb and lumi_fb must be >= 0, got {self}")
        if self.sumw == 0:
            raise ValueError("sumw is 0: the sample cannot be normalised")

    @property
    def scale(self) -> float:
        """``xsec * lumi * 1000 / sumw``: the weight per unit ``genWeight``."""
        return float(self.xsec_pb) * float(self.lumi_fb) * 1000.0 / float(self.sumw)


def validate_cuts(cuts: Mapping | None) -> dict:
    """The full cut dictionary: ``cuts`` over :data:`DEFAULT_CUTS`, checked.

    Raises
    ------
    ValueError
        Naming an unknown key or an invalid value.
    """
    cuts = dict(cuts or {})
    unknown = sorted(set(cuts) - set(DEFAULT_CUTS))
    if unknown:
        raise ValueError(f"unknown skim cut(s) {unknown}; known: {sorted(DEFAULT_CUTS)}")
    out = {**DEFAULT_CUTS, **cuts}
    for key in (
        "fatjet_pt_min",
        "fatjet_abs_eta_max",
        "msoftdrop_min",
        "msoftdrop_max",
        "match_dr",
    ):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ValueError(f"skim cut {key} must be a number, got {value!r}")
        out[key] = float(value)
    if out["fatjet_abs_eta_max"] <= 0 or out["match_dr"] <= 0:
        raise ValueError("skim cuts fatjet_abs_eta_max and match_dr must be > 0")
    if not out["msoftdrop_min"] < out["msoftdrop_max"]:
        raise ValueError(
            f"skim cut msoftdrop_min ({out['msoftdrop_min']}) must be below "
            f"msoftdrop_max ({out['msoftdrop_max']})"
        )
    nmax = out["max_constituents"]
    if isinstance(nmax, bool) or not isinstance(nmax, int) or nmax < 0:
        raise ValueError(f"skim cut max_constituents must be an integer >= 0, got {nmax!r}")
    return out


# --- building typed awkward columns ----------------------------------------------------


def _string_array(values: Sequence[str]) -> ak.Array:
    """A ``string`` array with an exact type, also when empty."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    chars = ak.contents.NumpyArray(data, parameters={"__array__": "char"})
    layout = ak.contents.ListOffsetArray(
        ak.index.Index64(offsets), chars, parameters={"__array__": "string"}
    )
    return ak.Array(layout)


def _jagged_array(offsets: np.ndarray, content: np.ndarray) -> ak.Array:
    """``var * dtype`` list array from offsets and flat content, exact type when empty."""
    layout = ak.contents.ListOffsetArray(
        ak.index.Index64(np.asarray(offsets, dtype=np.int64)),
        ak.contents.NumpyArray(np.ascontiguousarray(content)),
    )
    return ak.Array(layout)


def make_table(columns: Mapping[str, object]) -> ak.Array:
    """The output record array from numpy columns, typed exactly as :data:`COLUMNS`.

    ``columns`` maps every name of :data:`COLUMNS` to: a sequence of ``str`` (strings), a
    numpy array (scalars) or an ``(offsets, content)`` pair (jagged).
    """
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"missing output columns {missing}")
    fields = {}
    for name, (kind, dtype) in COLUMNS.items():
        value = columns[name]
        if kind == "string":
            fields[name] = _string_array(list(value))
        elif kind == "scalar":
            fields[name] = ak.Array(
                ak.contents.NumpyArray(np.ascontiguousarray(np.asarray(value, dtype=dtype)))
            )
        else:
            offsets, content = value
            fields[name] = _jagged_array(offsets, np.asarray(content, dtype=dtype))
    lengths = {len(v) for v in fields.values()}
    if len(lengths) > 1:
        raise ValueError(f"output columns differ in length: {sorted(lengths)}")
    return ak.zip(fields, depth_limit=1)


def empty_table() -> ak.Array:
    """A zero-row output table with the exact types of :data:`COLUMNS`."""
    columns = {}
    for name, (kind, dtype) in COLUMNS.items():
        if kind == "string":
            columns[name] = []
        elif kind == "scalar":
            columns[name] = np.zeros(0, dtype=dtype)
        else:
            columns[name] = (np.zeros(1, np.int64), np.zeros(0, dtype=dtype))
    return make_table(columns)


# --- helpers over NanoEvents -----------------------------------------------------------


def _np(array, dtype=None) -> np.ndarray:
    out = ak.to_numpy(array)
    return out if dtype is None else np.asarray(out, dtype=dtype)


def _select_events(collection, selected: np.ndarray, fields) -> ak.Array:
    """The ``fields`` of a jagged collection in the ``selected`` events (boolean mask).

    The same lists as ``collection[selected][fields]``, built by flattening each field of
    the whole collection and masking its entries in NumPy: awkward's selection of a jagged
    array recomputes the carry for every field read from it, which cost more than the rest
    of the skim's arithmetic.
    """
    counts = _np(ak.num(collection, axis=1), np.int64)
    in_selected = np.repeat(np.asarray(selected, bool), counts)
    flat = {f: _np(ak.flatten(collection[f], axis=1))[in_selected] for f in fields}
    return ak.unflatten(ak.zip(flat, depth_limit=1), counts[selected])


def _charge_from_pdg(pdg: np.ndarray) -> np.ndarray:
    charge = np.zeros(len(pdg), dtype=np.int32)
    for apdg, q in _CHARGE_OF_PDG.items():
        hit = np.abs(pdg) == apdg
        charge[hit] = q * np.sign(pdg[hit])
    return charge


def recompute_d2(offsets: np.ndarray, cands: dict) -> tuple[np.ndarray, int]:
    """D2 (beta = 1, soft-drop groomed with beta = 0, zcut = 0.1, R0 = 0.8: CMS's
    ``d2b1`` and the generator's) from the leading jet's constituents.

    Returns the values (NaN for jets without stored constituents, or groomed to one
    particle, as fastjet-contrib) and the number of jets with constituents.
    """

    counts = np.diff(offsets)
    pt = np.asarray(cands["pt"], np.float64)
    eta = np.asarray(cands["eta"], np.float64)
    phi = np.asarray(cands["phi"], np.float64)
    mass = np.asarray(cands["mass"], np.float64)
    mt = np.sqrt(pt**2 + mass**2)
    flat = {
        "px": pt * np.cos(phi),
        "py": pt * np.sin(phi),
        "pz": pt * np.sinh(eta),
        "E": mt * np.cosh(eta),
    }
    jets = ak.unflatten(ak.zip(flat), counts)
    out = np.full(len(counts), np.nan, np.float32)
    has = counts > 0
    if has.any():
        groomed = softdrop(jets[has], beta=0.0, zcut=0.1, r0=0.8)
        ecfs = energy_correlators(groomed.constituents, beta=1.0, which=("e2", "e3"))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[has] = ecfs["e3"] / ecfs["e2"] ** 3
    return out, int(has.sum())


def _constituents(
    events,
    selected: np.ndarray,
    lead: np.ndarray,
    max_n: int,
    where: str,
    event_numbers: np.ndarray,
):
    """Offsets and flat columns of the leading jet's constituents in the selected events.

    Constituents are the association entries whose ``jetIdx`` is the leading jet's index
    (this does not rely on ``FatJet_nConstituents``, which real PFNano may not store or
    which may count more constituents than were saved), resolved into the candidate
    collection by the association's local index, sorted by decreasing pT (stable) and
    truncated to ``max_n`` per jet. PUPPI weights stored apart (PFNano
    ``PFCands_puppiWeight``) are applied to pT and mass; weight-0 candidates are dropped.
    ``event_numbers`` (of the selected events) name the event of a non-finite value.
    """
    n_sel = int(selected.sum())
    fields = set(events.fields)
    for assoc_name, idx_field, cand_name in ASSOCIATIONS:
        if assoc_name in fields and cand_name in fields:
            assoc = events[assoc_name]
            if {"jetIdx", idx_field} <= set(ak.fields(assoc)):
                break
    else:
        empty = {c: np.zeros(0) for c in ("pt", "eta", "phi", "mass", "charge", "pdgId")}
        return np.zeros(n_sel + 1, np.int64), empty

    assoc = _select_events(assoc, selected, ("jetIdx", idx_field))
    cands = events[cand_name]
    cands = _select_events(cands, selected, [f for f in CANDIDATE_FIELDS if f in cands.fields])
    n_assoc = _np(ak.num(assoc, axis=1), np.int64)
    n_cand = _np(ak.num(cands, axis=1), np.int64)
    cand_start = np.concatenate([[0], np.cumsum(n_cand)[:-1]]).astype(np.int64)
    event = np.repeat(np.arange(n_sel), n_assoc)
    jet_idx = _np(ak.flatten(assoc["jetIdx"], axis=1), np.int64)
    cand_idx = _np(ak.flatten(assoc[idx_field], axis=1), np.int64)
    keep = jet_idx == lead[event]
    event, cand_idx = event[keep], cand_idx[keep]
    bad = (cand_idx < 0) | (cand_idx >= n_cand[event])
    if bad.any():
        raise ValueError(
            f"{where}: {assoc_name}_{idx_field} out of range of {cand_name} "
            f"(first bad index {int(cand_idx[bad][0])})"
        )
    flat = cand_start[event] + cand_idx
    cand_fields = set(ak.fields(cands))
    values = {}
    for field in ("pt", "eta", "phi", "mass", "pdgId"):
        if field not in cand_fields:
            raise ValueError(f"{where}: {cand_name} has no field '{field}'")
        values[field] = _np(ak.flatten(cands[field], axis=1))[flat]
        check_finite(values[field], f"{cand_name}_{field}", where, event_numbers, event)
    if "charge" in cand_fields:
        values["charge"] = _np(ak.flatten(cands["charge"], axis=1))[flat]
    else:
        values["charge"] = _charge_from_pdg(values["pdgId"].astype(np.int64))
    if "puppiWeight" in cand_fields:  # PFNano: unweighted candidates, weight apart
        w = _np(ak.flatten(cands["puppiWeight"], axis=1), np.float64)[flat]
        check_finite(w, f"{cand_name}_puppiWeight", where, event_numbers, event)
        values["pt"] = values["pt"] * w
        values["mass"] = values["mass"] * w
        nonzero = w > 0
        event = event[nonzero]
        values = {k: v[nonzero] for k, v in values.items()}

    # `event` is non-decreasing (the entries come event by event), so sorting each event's
    # entries by decreasing pT (stable: ties keep the association order) orders the whole
    # list by (event, -pT), as a lexsort would; per event it is ~4x faster than one global
    # sort.
    counts = np.bincount(event, minlength=n_sel)
    first = np.cumsum(counts) - counts
    per_event = ak.argsort(ak.unflatten(values["pt"], counts), axis=1, ascending=False, stable=True)
    order = _np(ak.flatten(per_event, axis=1), np.int64) + np.repeat(first, counts)
    rank = np.arange(len(event)) - first[event]
    take = order[rank < max_n]
    counts = np.minimum(counts, max_n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return offsets, {k: v[take] for k, v in values.items()}


class LeadingFatJetProcessor(processor.ProcessorABC):
    """Select the leading FatJet, weight, label it, and record the cutflow.

    Parameters
    ----------
    cuts
        Cut values, keys of :data:`DEFAULT_CUTS` (missing keys take the defaults; unknown
        keys are an error).
    normalisation
        Per sample (the coffea dataset name): a :class:`SampleNorm`, or ``None`` for real
        data (every event weighted 1).
    selection
        Per sample: its data-quality :class:`Selection` (default: none).

    Notes
    -----
    :meth:`process` returns ``{sample: [(filename, entrystart, table, cutflow)]}`` with
    ``cutflow = {step: {"events": int, "weighted": float}}`` for the chunk; outputs of
    chunks from any executor add up (the lists concatenate). :func:`assemble` turns the
    summed output into one table and one cutflow per sample, in file and entry order, so
    the result does not depend on the order in which chunks finished (the weighted sums
    use :func:`math.fsum` over the chunks in that order).
    """

    def __init__(
        self,
        cuts: Mapping | None,
        normalisation: Mapping[str, SampleNorm | None],
        selection: Mapping[str, Selection] | None = None,
    ):
        self.cuts = validate_cuts(cuts)
        self.normalisation = dict(normalisation)
        self.selection = {s: Selection() for s in self.normalisation}
        self.selection.update(selection or {})
        self._lumi_masks = {}
        for sample, norm in self.normalisation.items():
            if norm is not None and not isinstance(norm, SampleNorm):
                raise TypeError(f"normalisation of {sample!r} must be a SampleNorm or None")

    def _cutflow(self, masks: Mapping[str, np.ndarray], weight: np.ndarray) -> dict:
        return {
            step: {"events": int(mask.sum()), "weighted": float(weight[mask].sum())}
            for step, mask in masks.items()
        }

    def _lumi_mask(self, path: str):
        # Imported here: coffea.lumi_tools builds numba typed dicts at import (~2 s of
        # compilation), which only a sample with a golden JSON needs.
        from coffea.lumi_tools import LumiMask

        if path not in self._lumi_masks:
            self._lumi_masks[path] = LumiMask(path)
        return self._lumi_masks[path]

    def _quality(self, events, selection: Selection, where: str) -> dict[str, np.ndarray]:
        """The event-level data-quality masks (cumulative is applied by the caller)."""
        n = len(events)
        fields = set(events.fields)
        masks = {}

        def flag(branch: str) -> np.ndarray:
            group, _, name = branch.partition("_")
            if group not in fields or name not in set(ak.fields(events[group])):
                raise ValueError(f"{where}: no branch {branch!r} (configured in the selection)")
            return _np(events[group][name], bool)

        if selection.golden_json:
            run = _np(events["run"], np.uint32)
            lumi = _np(events["luminosityBlock"], np.uint32)
            masks["golden_json"] = np.asarray(self._lumi_mask(selection.golden_json)(run, lumi))
        if selection.hlt_paths:
            masks["hlt"] = np.logical_or.reduce([flag(b) for b in selection.hlt_paths])
        if selection.met_filters:
            masks["met_filters"] = np.logical_and.reduce([flag(b) for b in selection.met_filters])
        return {k: np.asarray(v, bool).reshape(n) for k, v in masks.items()}

    def process(self, events) -> dict:
        """Skim one chunk of NanoEvents (see the class and module docstrings)."""
        meta = dict(getattr(events, "metadata", None) or {})
        sample = meta.get("dataset", "")
        where = (
            f"{meta.get('filename', '?')}[{meta.get('entrystart', 0)}:{meta.get('entrystop', '')}]"
        )
        if sample not in self.normalisation:
            raise ValueError(
                f"{where}: no normalisation configured for sample {sample!r} "
                f"(configured: {sorted(self.normalisation)})"
            )
        norm = self.normalisation[sample]
        cuts = self.cuts
        n = len(events)
        fields = set(events.fields)

        selection = self.selection.get(sample, Selection())
        event_numbers = _np(events["event"], np.int64)

        gen_weight = _np(events["genWeight"], np.float64) if "genWeight" in fields else np.ones(n)
        if norm is not None:
            check_finite(gen_weight, "genWeight", where, event_numbers)
        weight = np.ones(n) if norm is None else norm.scale * gen_weight

        fatjets = events["FatJet"]
        fj_fields = set(ak.fields(fatjets))
        n_fj = _np(ak.num(fatjets, axis=1), np.int64)
        owner = np.repeat(np.arange(n), n_fj)
        for field in (*FATJET_FIELDS, "nConstituents"):
            if field in fj_fields:
                check_finite(
                    _np(ak.flatten(fatjets[field], axis=1)),
                    f"FatJet_{field}",
                    where,
                    event_numbers,
                    owner,
                    allow_nan=field in NAN_ALLOWED_FIELDS,
                )
        fj_start = np.concatenate([[0], np.cumsum(n_fj)[:-1]]).astype(np.int64)
        flat_pt = _np(ak.flatten(fatjets["pt"], axis=1), np.float64)
        lead = _np(ak.fill_none(ak.argmax(fatjets["pt"], axis=1), -1), np.int64)
        has_fj = n_fj >= 1
        lead_flat = np.where(has_fj, fj_start + lead, 0)

        def leading(field: str, fill=np.nan, dtype=np.float32) -> np.ndarray:
            if field not in fj_fields:
                return np.full(n, fill, dtype=dtype)
            flat = _np(ak.flatten(fatjets[field], axis=1))
            if flat.size == 0:
                return np.full(n, fill, dtype=dtype)
            return np.where(has_fj, flat[lead_flat], fill).astype(dtype)

        quality = self._quality(events, selection, where)
        pt = np.where(has_fj, flat_pt[lead_flat] if flat_pt.size else np.nan, np.nan)
        eta = leading("eta", dtype=np.float64)
        msd = leading("msoftdrop", dtype=np.float64)
        masks = {"all": np.ones(n, bool)}
        current = masks["all"]
        for step in selection.steps()[1:]:
            if step in quality:
                current = current & quality[step]
            elif step == "has_fatjet":
                current = current & has_fj
            elif step == "pt":
                current = current & (pt > cuts["fatjet_pt_min"])
            elif step == "eta":
                current = current & (np.abs(eta) < cuts["fatjet_abs_eta_max"])
            elif step == "jet_id":
                if "jetId" not in fj_fields:
                    raise ValueError(f"{where}: no branch 'FatJet_jetId' (selection jet_id)")
                jet_id = leading("jetId", fill=0, dtype=np.int64)
                current = current & ((jet_id & selection.jet_id) == selection.jet_id)
            elif step == "msoftdrop":
                current = current & (msd >= cuts["msoftdrop_min"]) & (msd < cuts["msoftdrop_max"])
            masks[step] = current
        cutflow = self._cutflow(masks, weight)
        sel = current
        n_sel = int(sel.sum())

        columns: dict[str, object] = {
            "sample": [sample] * n_sel,
            "weight": weight[sel],
            "genWeight": gen_weight[sel],
        }
        for field in ("run", "luminosityBlock", "event"):
            columns[field] = _np(events[field], np.int64)[sel]
        for field in FATJET_FIELDS:
            columns[f"fj_{field}"] = leading(field)[sel]
        columns["fj_nconst"] = leading("nConstituents", fill=-1, dtype=np.int32)[sel]

        jet = ak.zip({"eta": columns["fj_eta"], "phi": columns["fj_phi"]})
        genpart = None
        if "GenPart" in fields:
            genpart = events["GenPart"]
            read = [f for f in (*GENPART_FIELDS, "status") if f in genpart.fields]
            genpart = _select_events(genpart, sel, read)
        codes = label_codes(jet, genpart, cuts["match_dr"])
        columns["label_code"] = codes
        columns["label"] = list(label_names(codes))

        offsets, cands = _constituents(
            events, sel, lead[sel], int(cuts["max_constituents"]), where, event_numbers[sel]
        )
        for field in ("pt", "eta", "phi", "mass", "charge", "pdgId"):
            columns[f"pfc_{field}"] = (offsets, cands[field])

        filename = str(meta.get("filename", ""))
        if "d2b1" not in fj_fields and n_sel:
            columns["fj_d2b1"], recomputed = recompute_d2(offsets, cands)
            log.info(
                "%s: no FatJet_d2b1; recomputed from the constituents for %d of %d jets",
                where,
                recomputed,
                n_sel,
            )
        table = make_table(columns)
        key = (filename, int(meta.get("entrystart", 0) or 0))
        return {sample: [(*key, table, cutflow)]}

    def postprocess(self, accumulator):
        """Nothing to do: :func:`assemble` orders and concatenates the chunks."""
        return accumulator


def assemble(
    output: Mapping,
    sample: str,
    files: Sequence[str] = (),
    steps_when_empty: Sequence[str] = Selection().steps(),
) -> tuple[ak.Array, list]:
    """One sample's jet table and cutflow from the summed processor output.

    Parameters
    ----------
    output
        The (accumulated) output of :meth:`LeadingFatJetProcessor.process`.
    sample
        The sample (coffea dataset) name.
    files
        The sample's files in their configured order: chunks are taken in this order, then
        by first entry (files not listed go last, by name), so neither the table nor the
        cutflow depends on the executor's completion order.

    Returns
    -------
    (ak.Array, list)
        The table (:func:`empty_table` when no chunk was processed) and the cutflow as
        ``[{"name": step, "events": int, "weighted": float}, ...]`` in the order of the
        sample's :meth:`Selection.steps` (``steps_when_empty``, zeros, when nothing was
        processed).
    """
    position = {os.fspath(f): i for i, f in enumerate(files)}
    chunks = sorted(
        (output or {}).get(sample, []),
        key=lambda c: (position.get(c[0], len(position)), c[0], c[1]),
    )
    tables = [c[2] for c in chunks]
    table = ak.concatenate([empty_table(), *tables]) if tables else empty_table()
    names = list(chunks[0][3]) if chunks else list(steps_when_empty)
    steps = [
        {
            "name": step,
            "events": sum(int(c[3][step]["events"]) for c in chunks),
            "weighted": math.fsum(float(c[3][step]["weighted"]) for c in chunks),
        }
        for step in names
    ]
    return table, steps
