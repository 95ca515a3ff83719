"""A parametric, seeded detector response for stable generator particles.

It stands in for a full simulation + particle-flow reconstruction with a CMS-like
resolution model, applied particle by particle (vectorised over a whole chunk):

* **Neutrinos** are invisible and removed.
* **Charged particles** (including electrons and muons) with |eta| < ``tracker_eta_max``
  and pT > ``track_pt_min`` are reconstructed as tracks: direction kept, transverse
  momentum smeared with a Gaussian of relative width
  sigma(pT)/pT = ``track_a`` * pT (+) ``track_b`` (in quadrature; pT in GeV), the CMS
  tracker form (about 1% at 100 GeV with the defaults).
* **Photons and electrons without a track** are ECAL deposits inside
  |eta| < ``ecal_eta_max``: energy smeared with the stochastic, noise and constant terms
  sigma(E)/E = ``ecal_a``/sqrt(E) (+) ``ecal_n``/E (+) ``ecal_c``.
* **Neutral hadrons and charged hadrons without a track** are HCAL deposits inside
  |eta| < ``hcal_eta_max`` with sigma(E)/E = ``hcal_a``/sqrt(E) (+) ``hcal_c``, and their
  direction smeared by a Gaussian of width ``hcal_angle`` in eta and in phi (tower size).
* Calorimeter deposits below ``ecal_e_min`` / ``hcal_e_min`` (after smearing) are lost.

Calorimeter deposits are massless (as particle-flow photons and neutral hadrons are);
tracks keep the generator mass. Reconstructed candidates carry a particle-flow type
``pdgId``: 11 / 13 (electron / muon), +-211 (charged hadron), 22 (photon), 130 (neutral
hadron). The defaults are those of the config schema (section ``detector``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lhcml.config import ConfigSection

NEUTRINO_IDS = (12, 14, 16)
PF_PHOTON, PF_NEUTRAL_HADRON, PF_CHARGED_HADRON = 22, 130, 211


@dataclass(frozen=True)
class DetectorConfig(ConfigSection, section="detector"):
    """Resolution parameters (config section ``detector``); energies and momenta in GeV,
    angles in radians. Defaults: the schema's (:meth:`from_mapping`), none declared here."""

    tracker_eta_max: float
    track_pt_min: float
    track_a: float
    track_b: float
    ecal_eta_max: float
    ecal_a: float
    ecal_n: float
    ecal_c: float
    ecal_e_min: float
    hcal_eta_max: float
    hcal_a: float
    hcal_c: float
    hcal_e_min: float
    hcal_angle: float


def _pseudorapidity(px, py, pz):
    pt = np.hypot(px, py)
    return np.arcsinh(np.divide(pz, pt, out=np.full_like(pz, np.sign(pz) * 1e4), where=pt > 0))


def simulate(
    px: np.ndarray,
    py: np.ndarray,
    pz: np.ndarray,
    energy: np.ndarray,
    pdg_id: np.ndarray,
    charge: np.ndarray,
    rng: np.random.Generator,
    config: DetectorConfig | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Apply the detector response to a flat array of stable particles.

    Parameters
    ----------
    px, py, pz, energy
        Generator four-momenta in GeV (flat over all events of a chunk).
    pdg_id, charge
        PDG identifiers and electric charges (units of e).
    rng
        The random generator (seeded by the caller: the response is deterministic).
    config
        Resolution parameters (None: the schema's defaults).

    Returns
    -------
    candidates, kept
        ``candidates``: dict of flat float32/int32 arrays ``pt, eta, phi, mass, charge,
        pdgId, px, py, pz, E`` of the reconstructed particles; ``kept``: the boolean mask
        over the input telling which particles were reconstructed (to rebuild per-event
        counts with ``np.add.reduceat`` or ``ak.unflatten``).
    """
    config = config or DetectorConfig.from_mapping(None)
    px, py, pz, energy = (np.asarray(a, dtype=np.float64) for a in (px, py, pz, energy))
    pdg_id = np.asarray(pdg_id)
    charge = np.asarray(charge)
    abs_id = np.abs(pdg_id)
    pt = np.hypot(px, py)
    eta = _pseudorapidity(px, py, pz)
    phi = np.arctan2(py, px)
    mass = np.sqrt(np.maximum(energy**2 - px**2 - py**2 - pz**2, 0.0))
    n = len(px)

    visible = ~np.isin(abs_id, NEUTRINO_IDS)
    charged = charge != 0
    is_track = (
        visible & charged & (np.abs(eta) < config.tracker_eta_max) & (pt > config.track_pt_min)
    )
    electromagnetic = (abs_id == 22) | (abs_id == 11)
    is_ecal = visible & ~is_track & electromagnetic & (np.abs(eta) < config.ecal_eta_max)
    # muons without a track leave only a minimum-ionising trace: dropped
    is_hcal = (
        visible
        & ~is_track
        & ~electromagnetic
        & (abs_id != 13)
        & (np.abs(eta) < config.hcal_eta_max)
    )

    # draw every random number for every particle, so the stream does not depend on masks
    gauss = rng.standard_normal((4, n))

    new_pt = pt.copy()
    new_eta = eta.copy()
    new_phi = phi.copy()
    new_mass = mass.copy()
    new_e = energy.copy()

    sigma_track = np.hypot(config.track_a * pt, config.track_b)
    new_pt[is_track] = pt[is_track] * np.maximum(
        1.0 + sigma_track[is_track] * gauss[0, is_track], 0.0
    )

    e_safe = np.maximum(energy, 1e-9)
    sigma_ecal = np.sqrt(
        config.ecal_a**2 / e_safe + (config.ecal_n / e_safe) ** 2 + config.ecal_c**2
    )
    sigma_hcal = np.sqrt(config.hcal_a**2 / e_safe + config.hcal_c**2)
    new_e[is_ecal] = energy[is_ecal] * (1.0 + sigma_ecal[is_ecal] * gauss[1, is_ecal])
    new_e[is_hcal] = energy[is_hcal] * (1.0 + sigma_hcal[is_hcal] * gauss[1, is_hcal])
    new_eta[is_hcal] = eta[is_hcal] + config.hcal_angle * gauss[2, is_hcal]
    new_phi[is_hcal] = phi[is_hcal] + config.hcal_angle * gauss[3, is_hcal]
    new_phi = np.mod(new_phi + np.pi, 2 * np.pi) - np.pi

    calo = is_ecal | is_hcal
    new_mass[calo] = 0.0
    new_pt[calo] = new_e[calo] / np.cosh(new_eta[calo])
    e_min = np.where(is_ecal, config.ecal_e_min, config.hcal_e_min)
    kept = is_track | (calo & (new_e > e_min))

    pf_id = np.where(is_ecal, PF_PHOTON, PF_NEUTRAL_HADRON)
    lepton = np.isin(abs_id, (11, 13))
    track_id = np.where(lepton, pdg_id, np.sign(charge).astype(np.int64) * PF_CHARGED_HADRON)
    pf_id = np.where(is_track, track_id, pf_id)
    pf_charge = np.where(is_track, charge, 0)

    sel_pt, sel_eta, sel_phi, sel_mass = new_pt[kept], new_eta[kept], new_phi[kept], new_mass[kept]
    cand_px = sel_pt * np.cos(sel_phi)
    cand_py = sel_pt * np.sin(sel_phi)
    cand_pz = sel_pt * np.sinh(sel_eta)
    cand_e = np.sqrt(cand_px**2 + cand_py**2 + cand_pz**2 + sel_mass**2)
    candidates = {
        "pt": sel_pt.astype(np.float32),
        "eta": sel_eta.astype(np.float32),
        "phi": sel_phi.astype(np.float32),
        "mass": sel_mass.astype(np.float32),
        "charge": pf_charge[kept].astype(np.int32),
        "pdgId": pf_id[kept].astype(np.int32),
        "px": cand_px,
        "py": cand_py,
        "pz": cand_pz,
        "E": cand_e,
    }
    return candidates, kept
