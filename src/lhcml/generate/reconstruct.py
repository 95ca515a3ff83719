"""Jet reconstruction with FastJet on detector-level particles, and jet substructure.

* Large-radius jets (NanoAOD ``FatJet``): anti-kT, R = ``fatjet_r`` (0.8), pT above
  ``fatjet_pt_min`` GeV, with soft-drop mass (C/A reclustering, ``softdrop_beta``,
  ``softdrop_zcut``, R0 = R), N-subjettiness tau1..tau4 on the ungroomed jet
  (``nsub_axes`` axes, normalised measure with ``nsub_beta`` and R0 = R) and the
  energy-correlation ratios N2 = 2e3/(1e2)^2 and D2 = e3/(e2)^3 (beta = ``ecf_beta``) on the
  soft-drop groomed jet, as CMS NanoAOD defines ``FatJet_n2b1``; NaN when the groomed jet
  is a single particle (as fastjet-contrib's EnergyCorrelator gives).
* Small-radius jets (NanoAOD ``Jet``): anti-kT, R = ``jet_r`` (0.4), pT above
  ``jet_pt_min`` GeV.

Event clustering goes through FastJet's multi-event awkward interface (C++); the
substructure functions of :mod:`lhcml.substructure` work on all the chunk's jets at once
(soft drop and the energy correlators in compiled loops over jets).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import fastjet
import numpy as np
import vector

from lhcml.config import ConfigSection
from lhcml.substructure import energy_correlators, nsubjettiness, softdrop

vector.register_awkward()


@dataclass(frozen=True)
class RecoConfig(ConfigSection, section="reconstruction"):
    """Jet reconstruction parameters (config section ``reconstruction``; GeV, radians).

    Defaults: the schema's (:meth:`from_mapping`), none declared here.
    """

    fatjet_r: float
    fatjet_pt_min: float
    jet_r: float
    jet_pt_min: float
    softdrop_beta: float
    softdrop_zcut: float
    nsub_beta: float
    nsub_axes: str
    ecf_beta: float


def particles_by_event(candidates: dict[str, np.ndarray], counts: np.ndarray) -> ak.Array:
    """Per-event ``Momentum4D`` records (px, py, pz, E) from flat candidate arrays."""
    flat = ak.zip(
        {k: np.asarray(candidates[k], dtype=np.float64) for k in ("px", "py", "pz", "E")},
        with_name="Momentum4D",
    )
    return ak.unflatten(flat, counts)


def cluster(
    particles: ak.Array, radius: float, pt_min: float, constituents: bool = True
) -> tuple[ak.Array, ak.Array | None]:
    """Anti-kT jets of every event, sorted by decreasing pT.

    Returns
    -------
    jets, constituent_index
        ``jets``: events x jets ``Momentum4D`` (px, py, pz, E); ``constituent_index``:
        events x jets x constituents, indices into that event's particles (None with
        ``constituents=False``, which saves extracting them).
    """
    sequence = fastjet.ClusterSequence(
        particles, fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    )
    jets = sequence.inclusive_jets(min_pt=pt_min)
    jets = ak.zip({k: jets[k] for k in ("px", "py", "pz", "E")}, with_name="Momentum4D")
    order = ak.argsort(jets.pt, axis=1, ascending=False)
    if not constituents:
        return jets[order], None
    return jets[order], sequence.constituent_index(min_pt=pt_min)[order]


def jet_constituents(particles: ak.Array, index: ak.Array) -> tuple[ak.Array, ak.Array]:
    """Constituent four-momenta as jets x particles, and their global particle indices.

    ``index`` is events x jets x constituents (indices into each event's particles). The
    jets are flattened over events (in event order); the returned indices (jets x
    constituents) point into the flat particle list of the whole chunk.
    """
    counts = np.asarray(ak.num(particles, axis=1))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    global_index = ak.flatten(index + starts, axis=1)  # per-event offset, broadcast inward
    flat_particles = ak.flatten(particles, axis=1)
    constituents = ak.unflatten(
        flat_particles[ak.flatten(global_index, axis=1)], ak.num(global_index, axis=1)
    )
    return constituents, global_index


def fatjet_substructure(constituents: ak.Array, config: RecoConfig) -> dict[str, np.ndarray]:
    """Soft-drop mass, tau1..tau4 and groomed N2, D2 of each jet (jets x constituents)."""
    groomed = softdrop(
        constituents, beta=config.softdrop_beta, zcut=config.softdrop_zcut, r0=config.fatjet_r
    )
    taus = nsubjettiness(
        constituents, n_max=4, beta=config.nsub_beta, r0=config.fatjet_r, axes=config.nsub_axes
    )
    ecfs = energy_correlators(groomed.constituents, beta=config.ecf_beta, which=("e2", "2e3", "e3"))
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN for one-particle jets, as contrib
        n2 = ecfs["2e3"] / ecfs["e2"] ** 2
        d2 = ecfs["e3"] / ecfs["e2"] ** 3
    return {
        "msoftdrop": np.asarray(groomed.msoftdrop, dtype=np.float32),
        **{f"tau{n + 1}": taus[:, n].astype(np.float32) for n in range(4)},
        "n2b1": n2.astype(np.float32),
        "d2b1": d2.astype(np.float32),
    }
