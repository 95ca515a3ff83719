"""Truth labels of large-R jets by matching to the generator record (``GenPart``).

One jet per event is labelled (the skim labels the selected leading FatJet). The labels,
in order of precedence (the first that applies wins):

``top`` (5)
    A top quark (``|pdgId| == 6``, statusFlags ``fromHardProcess`` and ``isLastCopy``)
    within ``match_dr`` of the jet whose ``b`` daughter and the two quark daughters of
    its ``W`` are all within ``match_dr`` too (a fully merged hadronic top).
``W`` (3), ``Z`` (4)
    A ``W`` (``|pdgId| == 24``) or ``Z`` (23) with ``fromHardProcess`` and ``isLastCopy``
    within ``match_dr`` whose quark daughters (children with ``|pdgId| <= 5``; at least
    two) are all within ``match_dr`` (a merged ``V -> qq``). ``W`` is tried before ``Z``.
``quark`` (2), ``gluon`` (1)
    Otherwise, the highest-pT outgoing hard-process parton within ``match_dr``: statusFlag
    ``isHardProcess``, ``|pdgId|`` in 1..5 or 21, and not an incoming parton. Incoming
    partons are the ones without a mother in the record (``genPartIdxMother < 0``, as in
    CMS NanoAOD, where the protons are pruned) or, when ``GenPart.status`` is available,
    with Pythia status 21. ``gluon`` if its ``pdgId`` is 21, else ``quark``. This includes
    the quarks from hard-process W/Z/top decays, so a partially merged W is ``quark``.
``unmatched`` (0)
    Nothing of the above within ``match_dr``; also every jet of real data (no ``GenPart``)
    and every event without a jet.

All distances are ``DeltaR = sqrt(Deta^2 + Dphi^2)`` with ``Dphi`` wrapped into
``[-pi, pi)``, strictly below ``match_dr``.

Implementation
--------------
The functions take the ``GenPart`` collection either as coffea NanoEvents (``NanoAODSchema``)
or as any awkward record array with the NanoAOD fields ``pt, eta, phi, pdgId, statusFlags,
genPartIdxMother`` (``status`` optional), so that they are unit-testable without files. The
family relations are resolved from the *local* mother index ``genPartIdxMother`` with flat
numpy operations (``children`` of ``i`` = particles whose mother is ``i``; the *distinct*
parent = first ancestor with a different ``pdgId``), which is what coffea's
``GenParticle.children`` / ``distinctParent`` compute from the same column; the tests check
that both agree on real CMS NanoAOD. The flag bits follow
:data:`lhcml.nanoaod.STATUS_FLAG_BITS` (the CMS assignment, identical to coffea's
``GenParticle.FLAGS``), so :func:`has_flags` equals coffea's ``GenParticle.hasFlags``.
"""

from __future__ import annotations

from collections.abc import Sequence

import awkward as ak
import numpy as np

from lhcml.nanoaod import STATUS_FLAG_BITS

#: Label name -> integer code stored in the ``label_code`` column.
LABELS: dict[str, int] = {"unmatched": 0, "gluon": 1, "quark": 2, "W": 3, "Z": 4, "top": 5}
#: Integer code -> label name.
LABEL_NAMES: dict[int, str] = {code: name for name, code in LABELS.items()}

_PDG_TOP, _PDG_W, _PDG_Z, _PDG_B, _PDG_GLUON = 6, 24, 23, 5, 21
_STATUS_INCOMING = 21
GENPART_FIELDS: tuple[str, ...] = ("pt", "eta", "phi", "pdgId", "statusFlags", "genPartIdxMother")


def _flag_mask(flags: Sequence[str]) -> int:
    mask = 0
    for flag in flags:
        try:
            mask |= 1 << STATUS_FLAG_BITS[flag]
        except KeyError:
            raise ValueError(
                f"unknown statusFlags bit {flag!r} (known: {sorted(STATUS_FLAG_BITS)})"
            ) from None
    return mask


def has_flags(genpart, *flags: str):
    """``statusFlags`` test: true where all ``flags`` are set (same as coffea's ``hasFlags``).

    Parameters
    ----------
    genpart
        Anything with a ``statusFlags`` field (awkward array, NanoEvents ``GenPart``) or an
        integer numpy array of the flags themselves.
    flags
        Flag names from :data:`lhcml.nanoaod.STATUS_FLAG_BITS`; a single list is accepted.
    """
    if len(flags) == 1 and isinstance(flags[0], (list, tuple)):
        flags = tuple(flags[0])
    if not flags:
        raise ValueError("no flags given")
    mask = _flag_mask(flags)
    values = genpart if isinstance(genpart, np.ndarray) else genpart["statusFlags"]
    return (values & mask) == mask


def delta_phi(phi1, phi2):
    """``phi1 - phi2`` wrapped into ``[-pi, pi)`` (radians)."""
    return (np.asarray(phi1, np.float64) - phi2 + np.pi) % (2 * np.pi) - np.pi


def delta_r(eta1, phi1, eta2, phi2):
    """``sqrt(Deta^2 + Dphi^2)``; NaN inputs give NaN (never a match)."""
    deta = np.asarray(eta1, np.float64) - eta2
    return np.hypot(deta, delta_phi(phi1, phi2))


def _flat(genpart, field: str, dtype) -> np.ndarray:
    return np.asarray(ak.to_numpy(ak.flatten(genpart[field], axis=1)), dtype=dtype)


def _distinct_parent(mother: np.ndarray, pdg: np.ndarray) -> np.ndarray:
    """Global index of the first ancestor with a different ``pdgId`` (-1 if none)."""
    parent = mother.copy()
    for _ in range(len(parent) + 1):  # a chain cannot be longer than the record
        same = parent >= 0
        same[same] = pdg[parent[same]] == pdg[same]
        if not same.any():
            return parent
        parent[same] = mother[parent[same]]
    raise ValueError("GenPart mother indices form a cycle")


def _count_children(mother: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Per particle (global index): the number of its direct children in ``selected``."""
    return np.bincount(mother[selected & (mother >= 0)], minlength=len(mother))


def label_codes(jet, genpart, match_dr: float = 0.8) -> np.ndarray:
    """Truth label code of one jet per event (see the module docstring for the rules).

    Parameters
    ----------
    jet
        Awkward record array with one jet per event and fields ``eta`` and ``phi``
        (radians); ``None`` entries (no jet) are ``unmatched``.
    genpart
        The events' ``GenPart`` collection (coffea NanoEvents or a plain awkward record
        array with :data:`GENPART_FIELDS`, ``status`` optional), same length as ``jet``;
        ``None`` for real data (every jet ``unmatched``).
    match_dr
        Matching radius in ``DeltaR``; strict ``<``.

    Returns
    -------
    numpy.ndarray
        ``int8`` codes from :data:`LABELS`, one per event.
    """
    n_events = len(jet)
    codes = np.full(n_events, LABELS["unmatched"], dtype=np.int8)
    if genpart is None or n_events == 0:
        return codes
    if len(genpart) != n_events:
        raise ValueError(f"jet ({n_events}) and genpart ({len(genpart)}) differ in length")
    missing = [f for f in GENPART_FIELDS if f not in ak.fields(genpart)]
    if missing:
        raise ValueError(f"genpart lacks the field(s) {missing}")

    counts = np.asarray(ak.to_numpy(ak.num(genpart, axis=1)), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    event = np.repeat(np.arange(n_events), counts)
    pt = _flat(genpart, "pt", np.float64)
    eta = _flat(genpart, "eta", np.float64)
    phi = _flat(genpart, "phi", np.float64)
    pdg = _flat(genpart, "pdgId", np.int64)
    apdg = np.abs(pdg)
    flags = _flat(genpart, "statusFlags", np.int64)
    local_mother = _flat(genpart, "genPartIdxMother", np.int64)
    valid_mother = (local_mother >= 0) & (local_mother < counts[event])
    mother = np.where(valid_mother, local_mother + offsets[event], -1)

    jet_eta = np.asarray(ak.to_numpy(ak.fill_none(jet["eta"], np.nan)), dtype=np.float64)
    jet_phi = np.asarray(ak.to_numpy(ak.fill_none(jet["phi"], np.nan)), dtype=np.float64)
    inside = delta_r(eta, phi, jet_eta[event], jet_phi[event]) < match_dr

    last_hard = has_flags(flags, "fromHardProcess", "isLastCopy")
    is_quark = (apdg >= 1) & (apdg <= 5)

    # Resonances V -> qq: all (>= 2) quark children inside the cone.
    n_q = _count_children(mother, is_quark)
    n_q_in = _count_children(mother, is_quark & inside)
    merged_qq = (n_q >= 2) & (n_q_in == n_q)

    def events_with(mask: np.ndarray) -> np.ndarray:
        return np.bincount(event[mask], minlength=n_events) > 0

    # Top -> b W(-> qq): b children and the quarks of the W whose distinct parent is the top.
    n_b = _count_children(mother, apdg == _PDG_B)
    n_b_in = _count_children(mother, (apdg == _PDG_B) & inside)
    parent = _distinct_parent(mother, pdg)
    w_last = (apdg == _PDG_W) & has_flags(flags, "isLastCopy")
    w_of_top = w_last & (parent >= 0)
    w_of_top[w_of_top] = np.abs(pdg[parent[w_of_top]]) == _PDG_TOP
    top_n_w = np.bincount(parent[w_of_top], minlength=len(pdg))
    top_n_wq = np.bincount(parent[w_of_top], weights=n_q[w_of_top], minlength=len(pdg))
    top_n_wq_in = np.bincount(parent[w_of_top], weights=n_q_in[w_of_top], minlength=len(pdg))
    top_ok = (
        (apdg == _PDG_TOP)
        & last_hard
        & inside
        & (n_b >= 1)
        & (n_b_in == n_b)
        & (top_n_w >= 1)
        & (top_n_wq >= 2)
        & (top_n_wq_in == top_n_wq)
    )
    has_top = events_with(top_ok)
    has_w = events_with((apdg == _PDG_W) & last_hard & inside & merged_qq)
    has_z = events_with((apdg == _PDG_Z) & last_hard & inside & merged_qq)

    # Quark / gluon: the highest-pT outgoing hard-process parton inside the cone.
    outgoing = has_flags(flags, "isHardProcess") & (local_mother >= 0)
    if "status" in ak.fields(genpart):
        outgoing &= _flat(genpart, "status", np.int64) != _STATUS_INCOMING
    parton = (is_quark | (apdg == _PDG_GLUON)) & outgoing & inside
    candidates = np.flatnonzero(parton)
    order = np.lexsort((-pt[candidates], event[candidates]))
    candidates = candidates[order]
    first_events, first = np.unique(event[candidates], return_index=True)
    best = candidates[first]
    codes[first_events] = np.where(
        apdg[best] == _PDG_GLUON, LABELS["gluon"], LABELS["quark"]
    ).astype(np.int8)

    codes[has_z] = LABELS["Z"]
    codes[has_w] = LABELS["W"]
    codes[has_top] = LABELS["top"]
    return codes


def label_names(codes) -> np.ndarray:
    """Label names (``object`` array of ``str``) for integer codes from :data:`LABELS`."""
    codes = np.asarray(codes, dtype=np.int64)
    lookup = np.array([LABEL_NAMES[i] for i in range(len(LABEL_NAMES))], dtype=object)
    if codes.size and (codes.min() < 0 or codes.max() >= len(lookup)):
        raise ValueError(f"label codes outside 0..{len(lookup) - 1}")
    return lookup[codes]


def label_jets(jet, genpart, match_dr: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """``(names, codes)`` of one jet per event; see :func:`label_codes`."""
    codes = label_codes(jet, genpart, match_dr)
    return label_names(codes), codes
