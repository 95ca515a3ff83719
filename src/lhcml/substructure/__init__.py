"""Jet substructure observables as vectorised functions over constituent arrays.

Input convention for every function: ``constituents`` is an awkward Array of jets x particles
(variable length) with record fields ``px, py, pz, E`` (GeV, float32 or float64). Angles are
FastJet's: ``DeltaR^2 = Delta y^2 + Delta phi^2`` in rapidity ``y`` and azimuth. All functions
are vectorised over jets (numpy broadcasting in blocks of similar multiplicity, or FastJet's
multi-event interface looping over jets in C++); jets without constituents are allowed.

Grooming (:mod:`.softdrop`)
    :func:`softdrop` -- soft drop / mMDT as FastJet-contrib's ``SoftDrop`` on a C/A tree;
    groomed jet kinematics, ``msoftdrop``, ``rg``, ``zg`` and groomed constituents.

N-subjettiness (:mod:`.nsubjettiness`)
    :func:`nsubjettiness` -- ``tau_1 .. tau_n`` with one-pass kT (CMS NanoAOD's), WTA-kT or
    kT exclusive axes, normalized or unnormalized measure (contrib ``Nsubjettiness``).

Energy correlators (:mod:`.ecf`, pT weights normalised to the constituent pT sum)
    :func:`ecf` -- ``e_1, e_2, e_3``; :func:`ecfg` -- generalised ``v e_n`` (n = 2, 3);
    :func:`energy_correlators` -- several correlators in one pass;
    ratios :func:`c1`, :func:`c2`, :func:`d2` (with optional ``alpha``), :func:`m2`, :func:`n2`.

Input helpers (:mod:`.inputs`)
    :func:`jets_as_events` -- ``Momentum4D`` "jets as events" array for
    ``fastjet.ClusterSequence``; :func:`flat_kinematics` -- FastJet-convention pT, rapidity
    and azimuth of every constituent.
"""

from .ecf import c1, c2, d2, ecf, ecfg, energy_correlators, m2, n2
from .inputs import flat_kinematics, jets_as_events
from .nsubjettiness import nsubjettiness
from .softdrop import softdrop

__all__ = [
    "c1",
    "c2",
    "d2",
    "ecf",
    "ecfg",
    "energy_correlators",
    "flat_kinematics",
    "jets_as_events",
    "m2",
    "n2",
    "nsubjettiness",
    "softdrop",
]
