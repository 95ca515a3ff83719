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
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

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
class GeneratedEvent:
    """Final-state particles and the pruned generator record of one event.

    Final-state arrays (``fs_*``) hold every stable particle (px, py, pz, E in GeV, PDG id,
    electric charge in units of e). ``gen`` holds the pruned GenPart columns
    (see :func:`pruned_genparts`). ``weight`` is Pythia's event weight (1 for unweighted
    generation).
    """

    fs: np.ndarray
    gen: dict[str, np.ndarray]
    weight: float


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


def pruned_genparts(event) -> dict[str, np.ndarray]:
    """A NanoAOD-like pruned generator record from a Pythia event record.

    Kept, in Pythia record order (so mothers precede daughters):

    * the two incoming hard-process partons (status 21) and the outgoing hard-process
      particles (status 22 for resonances, 23 for partons) — flagged ``isHardProcess``,
      ``fromHardProcess``, ``isFirstCopy``;
    * for each W, Z, top or H: its last copy (after recoils from radiation; flagged
      ``fromHardProcess``, ``isLastCopy``), whose mother is the first copy, and its decay
      products, recursively (the decay products of hard-process resonances are flagged
      ``isHardProcess`` as in CMS).

    ``genPartIdxMother`` points to the nearest kept ancestor along ``mother1`` (-1 if
    none). ``status`` is Pythia's ``|status|`` for hard-process entries, 62 for last copies
    and 2 (decayed) or 1 (final) otherwise, as in CMS NanoAOD.
    """
    size = event.size()
    flags: dict[int, int] = {}
    hard = _status_flags("isPrompt", "isHardProcess", "fromHardProcess", "isFirstCopy")
    last = _status_flags("isPrompt", "fromHardProcess", "isLastCopy")
    decay = _status_flags("isPrompt", "isHardProcess", "fromHardProcess", "isFirstCopy")

    def keep_decay_chain(i: int) -> None:
        j = event[i].iBotCopyId()
        if j != i:
            flags[j] = flags.get(j, 0) | last
        else:
            flags[i] |= _status_flags("isLastCopy")
        for d in event[j].daughterList():
            flags[d] = flags.get(d, 0) | decay
            if abs(event[d].id()) in RESONANCE_IDS:
                keep_decay_chain(d)

    for i in range(1, min(size, 8)):
        st = abs(event[i].status())
        if st in (21, 22, 23):
            flags[i] = flags.get(i, 0) | hard
            if st != 21 and abs(event[i].id()) in RESONANCE_IDS:
                keep_decay_chain(i)

    kept = sorted(flags)
    position = {i: k for k, i in enumerate(kept)}
    n = len(kept)
    out = {
        "pt": np.empty(n, np.float32),
        "eta": np.empty(n, np.float32),
        "phi": np.empty(n, np.float32),
        "mass": np.empty(n, np.float32),
        "pdgId": np.empty(n, np.int32),
        "status": np.empty(n, np.int32),
        "statusFlags": np.empty(n, np.int32),
        "genPartIdxMother": np.empty(n, np.int32),
    }
    for k, i in enumerate(kept):
        p = event[i]
        pt = p.pT()
        out["pt"][k] = pt
        # incoming partons have pT = 0: NanoAOD stores a large |eta| for them
        out["eta"][k] = p.eta() if pt > 0 else math.copysign(1e4, p.pz())
        out["phi"][k] = p.phi()
        out["mass"][k] = p.m()
        out["pdgId"][k] = p.id()
        st = abs(p.status())
        if st in (21, 22, 23):
            out["status"][k] = st
        elif flags[i] & (1 << STATUS_FLAG_BITS["isLastCopy"]) and st > 50:
            out["status"][k] = 62
        else:
            out["status"][k] = 1 if p.isFinal() else 2
        out["statusFlags"][k] = flags[i]
        mother = p.mother1()
        while mother > 0 and mother not in position:
            mother = event[mother].mother1()
        out["genPartIdxMother"][k] = position.get(mother, -1) if mother > 0 else -1
    return out


def final_state(event) -> np.ndarray:
    """All stable final-state particles of a Pythia event as a :data:`FS_DTYPE` array."""
    rows = [
        (p.px(), p.py(), p.pz(), p.e(), p.id(), p.charge())
        for p in (event[i] for i in range(event.size()))
        if p.isFinal()
    ]
    return np.array(rows, dtype=FS_DTYPE)


class PythiaGenerator:
    """A configured, initialised Pythia instance yielding :class:`GeneratedEvent`.

    Parameters are those of :func:`pythia_settings`. Pythia is imported lazily so that the
    rest of the library does not need it.
    """

    def __init__(self, process: str, **kwargs) -> None:
        import pythia8mc

        self.settings = pythia_settings(process, **kwargs)
        self._pythia = pythia8mc.Pythia("", False)
        for line in self.settings:
            if not self._pythia.readString(line):
                raise ValueError(f"Pythia rejected the setting {line!r}")
        if not self._pythia.init():
            raise RuntimeError(f"Pythia initialisation failed for process {process!r}")
        self.n_failed = 0

    def events(self, n: int, max_failures: int = 100) -> Iterator[GeneratedEvent]:
        """Generate ``n`` events; a failed ``next()`` is retried up to ``max_failures`` times."""
        info = self._pythia.infoPython()
        produced = 0
        while produced < n:
            if not self._pythia.next():
                self.n_failed += 1
                if self.n_failed > max_failures:
                    raise RuntimeError(f"Pythia failed {self.n_failed} times; giving up")
                continue
            ev = self._pythia.event
            yield GeneratedEvent(fs=final_state(ev), gen=pruned_genparts(ev), weight=info.weight())
            produced += 1

    def cross_section(self) -> CrossSection:
        """Pythia's cross-section estimate so far (``sigmaGen``, mb -> pb)."""
        info = self._pythia.infoPython()
        return CrossSection(
            sigma_pb=info.sigmaGen() * 1e9,
            error_pb=info.sigmaErr() * 1e9,
            n_accepted=info.nAccepted(),
            n_tried=info.nTried(),
        )
