"""Pythia 8 event generation for the embedded samples.

Each sample is one physics process at sqrt(s) = 13 TeV (configurable):

``qcd``
    ``HardQCD:all`` (2 -> 2 QCD), the background: light-quark and gluon jets.
``vjets``
    W/Z + parton (``WeakBosonAndParton``: q qbar -> V g and q g -> V q), Z only
    (``WeakZ0:gmZmode = 2``), both bosons forced to hadronic decays (d, u, s, c, b): the
    boosted W/Z -> qq signal.
``ttbar``
    top-quark pairs (gg and q qbar initial states) with W -> q q' only (all-hadronic).

The hard-process transverse momentum cut ``PhaseSpace:pTHatMin`` (GeV) and multi-parton
interactions (``PartonLevel:MPI``, the dominant cost when on) come from the config; further
``readString`` settings may be appended. The cross section is Pythia's own estimate
``Info::sigmaGen()`` (converted from mb to pb) with its statistical error, read after the
last event.

The generator record is reduced to a CMS-NanoAOD-like pruned ``GenPart`` list: the two
incoming partons, the outgoing hard-process particles, and for every W, Z, top (and Higgs)
its first and last copy and its decay products, recursively. See :func:`pruned_genparts`.

Events are produced in batches by ``Pythia.nextBatch`` (pythia8mc >= 8.313): the event loop
and the copy of every record into an awkward array happen in C++, and the final state and
the pruned record are then extracted with array operations (:class:`EventBatch`), not
particle by particle through the Python bindings. The events and the random-number stream
are those of the same number of ``next()`` calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import awkward as ak
import numpy as np
import pythia8mc

from lhcml.nanoaod import STATUS_FLAG_BITS

#: Pythia settings per process name. The W/Z decay restriction to quarks makes every V
#: hadronic; ``onIfAny = 1 2 3 4 5`` keeps all quark flavours except top.
PROCESS_SETTINGS: dict[str, tuple[str, ...]] = {
    "qcd": ("HardQCD:all = on",),
    "vjets": (
        "WeakBosonAndParton:qqbar2Wg = on",
        "WeakBosonAndParton:qg2Wq = on",
        "WeakBosonAndParton:qqbar2gmZg = on",
        "WeakBosonAndParton:qg2gmZq = on",
        "WeakZ0:gmZmode = 2",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4 5",
        "23:onMode = off",
        "23:onIfAny = 1 2 3 4 5",
    ),
    "ttbar": (
        "Top:gg2ttbar = on",
        "Top:qqbar2ttbar = on",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4 5",
    ),
}

#: Settings that silence Pythia's per-event listings (the rule log gets our own summary).
QUIET_SETTINGS: tuple[str, ...] = (
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
)

#: Particles whose decay chains are kept in the pruned generator record.
RESONANCE_IDS = frozenset({6, 23, 24, 25})
#: Pythia's maximum allowed random seed.
PYTHIA_MAX_SEED = 900_000_000


def pythia_settings(
    process: str,
    *,
    seed: int,
    pthat_min: float,
    mpi: bool,
    ecm: float = 13000.0,
    extra: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """The full list of ``Pythia.readString`` settings for one generation job.

    Parameters
    ----------
    process
        A key of :data:`PROCESS_SETTINGS`.
    seed
        Pythia random seed, 1 .. 900 000 000.
    pthat_min
        Minimum hard-process transverse momentum in GeV.
    mpi
        Whether multi-parton interactions are simulated.
    ecm
        Centre-of-mass energy in GeV.
    extra
        Additional settings, applied last (so they override the defaults).
    """
    if process not in PROCESS_SETTINGS:
        known = ", ".join(sorted(PROCESS_SETTINGS))
        raise ValueError(f"unknown process {process!r}; known processes: {known}")
    if not 1 <= seed <= PYTHIA_MAX_SEED:
        raise ValueError(f"Pythia seed must be in 1..{PYTHIA_MAX_SEED}, got {seed}")
    return [
        "Beams:idA = 2212",
        "Beams:idB = 2212",
        f"Beams:eCM = {ecm}",
        *PROCESS_SETTINGS[process],
        f"PhaseSpace:pTHatMin = {pthat_min}",
        f"PartonLevel:MPI = {'on' if mpi else 'off'}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        *QUIET_SETTINGS,
        *extra,
    ]


@dataclass
class CrossSection:
    """Pythia's estimate of the generated cross section, in pb."""

    sigma_pb: float
    error_pb: float
    n_accepted: int
    n_tried: int = 0
    extra: dict = field(default_factory=dict)


FS_DTYPE = np.dtype(
    [("px", "f8"), ("py", "f8"), ("pz", "f8"), ("E", "f8"), ("pdgId", "i4"), ("charge", "f4")]
)


def _status_flags(*names: str) -> int:
    bits = 0
    for name in names:
        bits |= 1 << STATUS_FLAG_BITS[name]
    return bits


class _Record:
    """Flat columns of a batch of Pythia event records (``Pythia.nextBatch`` output).

    Entry ``i`` of event ``k`` is at ``offsets[k] + i``; mother and daughter columns are
    Pythia's in-event indices, as in the C++ ``Event`` record.
    """

    def __init__(self, batch) -> None:

        prt = batch["prt"]
        counts = np.asarray(ak.num(prt, axis=1), dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        flat = ak.flatten(prt, axis=1)
        p = flat["p"]
        self.id = np.asarray(flat["id"])
        self.status = np.asarray(flat["status"])
        self.mother1 = np.asarray(flat["mother1"])
        self.daughter1 = np.asarray(flat["daughter1"])
        self.daughter2 = np.asarray(flat["daughter2"])
        self.px, self.py = np.asarray(p["px"]), np.asarray(p["py"])
        self.pz, self.e = np.asarray(p["pz"]), np.asarray(p["e"])
        self.m = np.asarray(flat["m"])
        self.weights = np.asarray(batch["info"]["weights"][:, 0], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.offsets) - 1


def _daughter_list(rec: _Record, base: int, size: int, i: int) -> list[int]:
    """Pythia's ``Particle::daughterList()`` of entry ``i`` of the event at ``base``."""
    d1, d2 = int(rec.daughter1[base + i]), int(rec.daughter2[base + i])
    if d1 == 0 and d2 == 0:
        out = []
    elif d2 == 0 or d2 == d1:
        out = [d1]
    elif d2 > d1:
        out = list(range(d1, d2 + 1))
    else:
        out = [d2, d1]
    if abs(int(rec.status[base + i])) in (12, 13):  # beams: further initiators, remnants
        out += [j for j in range(i + 1, size) if rec.mother1[base + j] == i and j not in out]
    return out


def _bot_copy_id(rec: _Record, base: int, size: int, i: int) -> int:
    """Pythia's ``Particle::iBotCopyId()``: follow the unique same-id daughter down."""
    pid = rec.id[base + i]
    down = i
    while True:
        nxt = 0
        for d in _daughter_list(rec, base, size, down):
            if rec.id[base + d] == pid:
                if nxt:
                    return down
                nxt = d
        if not nxt:
            return down
        down = nxt


_HARD = _status_flags("isPrompt", "isHardProcess", "fromHardProcess", "isFirstCopy")
_LAST = _status_flags("isPrompt", "fromHardProcess", "isLastCopy")
_DECAY = _HARD
_IS_LAST = _status_flags("isLastCopy")


def _pruned_event(rec: _Record, k: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Kept entries of event ``k`` (in-event indices, ascending), with their status flags,
    NanoAOD status and mother position in the kept list."""
    base = int(rec.offsets[k])
    size = int(rec.offsets[k + 1]) - base
    status, ids = rec.status, rec.id
    flags: dict[int, int] = {}

    def keep_decay_chain(i: int) -> None:
        j = _bot_copy_id(rec, base, size, i)
        if j != i:
            flags[j] = flags.get(j, 0) | _LAST
        else:
            flags[i] |= _IS_LAST
        for d in _daughter_list(rec, base, size, j):
            flags[d] = flags.get(d, 0) | _DECAY
            if abs(int(ids[base + d])) in RESONANCE_IDS:
                keep_decay_chain(d)

    for i in range(1, min(size, 8)):
        st = abs(int(status[base + i]))
        if st in (21, 22, 23):
            flags[i] = flags.get(i, 0) | _HARD
            if st != 21 and abs(int(ids[base + i])) in RESONANCE_IDS:
                keep_decay_chain(i)

    kept = sorted(flags)
    position = {i: n for n, i in enumerate(kept)}
    out_status, out_mother = [], []
    for i in kept:
        st = abs(int(status[base + i]))
        if st in (21, 22, 23):
            out_status.append(st)
        elif flags[i] & _IS_LAST and st > 50:
            out_status.append(62)
        else:
            out_status.append(1 if status[base + i] > 0 else 2)
        mother = int(rec.mother1[base + i])
        while mother > 0 and mother not in position:
            mother = int(rec.mother1[base + mother])
        out_mother.append(position.get(mother, -1) if mother > 0 else -1)
    return kept, [flags[i] for i in kept], out_status, out_mother


def pruned_genparts(rec: _Record) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A NanoAOD-like pruned generator record of every event of a batch.

    Kept, per event and in Pythia record order (so mothers precede daughters):

    * the two incoming hard-process partons (status 21) and the outgoing hard-process
      particles (status 22 for resonances, 23 for partons) -- flagged ``isHardProcess``,
      ``fromHardProcess``, ``isFirstCopy``;
    * for each W, Z, top or H: its last copy (Pythia's ``iBotCopyId``, after recoils from
      radiation; flagged ``fromHardProcess``, ``isLastCopy``), whose mother is the first
      copy, and its decay products, recursively (the decay products of hard-process
      resonances are flagged ``isHardProcess`` as in CMS).

    ``genPartIdxMother`` points to the nearest kept ancestor along ``mother1`` (-1 if
    none). ``status`` is Pythia's ``|status|`` for hard-process entries, 62 for last copies
    and 2 (decayed) or 1 (final) otherwise, as in CMS NanoAOD. Kinematics: ``pt`` and
    ``phi`` from (px, py), Pythia's ``eta()`` (a large ``|eta| = 1e4`` for the incoming
    partons, which have pT = 0, as NanoAOD stores them) and the generated mass ``m``.

    Returns the flat columns (float32 / int32) and the number of entries per event.
    """
    index, flags, status, mother, counts = [], [], [], [], np.zeros(len(rec), np.int64)
    for k in range(len(rec)):
        kept, f, s, m = _pruned_event(rec, k)
        base = int(rec.offsets[k])
        index += [base + i for i in kept]
        flags += f
        status += s
        mother += m
        counts[k] = len(kept)
    idx = np.asarray(index, dtype=np.int64)
    px, py, pz = rec.px[idx], rec.py[idx], rec.pz[idx]
    pt = np.sqrt(px * px + py * py)
    p_abs = np.sqrt(px * px + py * py + pz * pz)
    with np.errstate(divide="ignore"):
        eta = np.where(pt > 0, np.log((p_abs + np.abs(pz)) / pt), 1e4)
    out = {
        "pt": pt.astype(np.float32),
        "eta": np.copysign(eta, pz).astype(np.float32),
        "phi": np.arctan2(py, px).astype(np.float32),
        "mass": rec.m[idx].astype(np.float32),
        "pdgId": rec.id[idx].astype(np.int32),
        "status": np.asarray(status, dtype=np.int32),
        "statusFlags": np.asarray(flags, dtype=np.int32),
        "genPartIdxMother": np.asarray(mother, dtype=np.int32),
    }
    return out, counts


def final_state(rec: _Record, charge_of) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every stable (``status > 0``) particle of a batch as flat :data:`FS_DTYPE` columns,
    and the number per event. ``charge_of(pdg_id)`` gives the electric charge in e."""
    final = rec.status > 0
    event = np.repeat(np.arange(len(rec)), np.diff(rec.offsets))
    ids = rec.id[final]
    unique, inverse = np.unique(ids, return_inverse=True)
    charges = np.array([charge_of(int(i)) for i in unique], dtype=np.float32)
    fs = {
        "px": rec.px[final],
        "py": rec.py[final],
        "pz": rec.pz[final],
        "E": rec.e[final],
        "pdgId": ids.astype(np.int32),
        "charge": charges[inverse.reshape(-1)],
    }
    return fs, np.bincount(event[final], minlength=len(rec))


@dataclass
class EventBatch:
    """Final-state particles and pruned generator records of consecutive events.

    ``fs``: flat :data:`FS_DTYPE` columns of every stable particle (px, py, pz, E in GeV,
    PDG id, electric charge in e), ``fs_counts`` the number per event; ``gen``: flat pruned
    GenPart columns (see :func:`pruned_genparts`), ``gen_counts`` the number per event;
    ``weights``: Pythia's event weights (1 for unweighted generation).
    """

    fs: dict[str, np.ndarray]
    fs_counts: np.ndarray
    gen: dict[str, np.ndarray]
    gen_counts: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.weights)

    @classmethod
    def concatenate(cls, batches: list[EventBatch]) -> EventBatch:
        """One batch of the events of ``batches``, in order."""
        if not batches:
            raise ValueError("no event batches to concatenate")

        def cat(name):
            return {
                k: np.concatenate([getattr(b, name)[k] for b in batches])
                for k in getattr(batches[0], name)
            }

        return cls(
            fs=cat("fs"),
            fs_counts=np.concatenate([b.fs_counts for b in batches]),
            gen=cat("gen"),
            gen_counts=np.concatenate([b.gen_counts for b in batches]),
            weights=np.concatenate([b.weights for b in batches]),
        )


class PythiaGenerator:
    """A configured, initialised Pythia instance yielding :class:`EventBatch` es.

    Parameters are those of :func:`pythia_settings`. Pythia is imported lazily so that the
    rest of the library does not need it.
    """

    def __init__(self, process: str, **kwargs) -> None:
        self.settings = pythia_settings(process, **kwargs)
        self._pythia = pythia8mc.Pythia("", False)
        for line in self.settings:
            if not self._pythia.readString(line):
                raise ValueError(f"Pythia rejected the setting {line!r}")
        if not self._pythia.init():
            raise RuntimeError(f"Pythia initialisation failed for process {process!r}")
        self.n_failed = 0
        self._charges: dict[int, float] = {}

    def _charge(self, pdg_id: int) -> float:
        if pdg_id not in self._charges:
            self._charges[pdg_id] = self._pythia.particleData.charge(pdg_id)
        return self._charges[pdg_id]

    def batches(
        self, n: int, batch_size: int = 200, max_failures: int = 100
    ) -> Iterator[EventBatch]:
        """Generate ``n`` events in batches of at most ``batch_size``.

        Each batch is one ``Pythia.nextBatch`` call (the event loop and the record copy in
        C++, returned as an awkward array), reduced at once to final-state particles and
        the pruned generator record, so memory stays bounded by ``batch_size`` full
        records. A failed event (``next()`` returning false) is skipped and replaced, as a
        ``next()`` loop would do, up to ``max_failures`` in all; events and random numbers
        are therefore the same as those of ``n`` successful ``next()`` calls.
        """
        produced = 0
        while produced < n:
            want = min(batch_size, n - produced)
            rec = _Record(self._pythia.nextBatch(want, "skip"))
            self.n_failed += want - len(rec)
            if self.n_failed > max_failures:
                raise RuntimeError(f"Pythia failed {self.n_failed} times; giving up")
            if len(rec) == 0:
                continue
            fs, fs_counts = final_state(rec, self._charge)
            gen, gen_counts = pruned_genparts(rec)
            produced += len(rec)
            yield EventBatch(fs, fs_counts, gen, gen_counts, rec.weights)

    def cross_section(self) -> CrossSection:
        """Pythia's cross-section estimate so far (``sigmaGen``, mb -> pb)."""
        info = self._pythia.infoPython()
        return CrossSection(
            sigma_pb=info.sigmaGen() * 1e9,
            error_pb=info.sigmaErr() * 1e9,
            n_accepted=info.nAccepted(),
            n_tried=info.nTried(),
        )
