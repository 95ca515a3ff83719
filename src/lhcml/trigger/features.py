"""The 16 high-level inputs of the hls4ml jet-tagging benchmark, from jet constituents.

The benchmark (J. Duarte et al., "Fast inference of deep neural networks in FPGAs for
particle physics", JINST 13 (2018) P07027, arXiv:1804.06913; data set of E. Coleman et al.,
"The importance of calorimetry for highly-boosted jet substructure", JINST 13 (2018)
T01003, arXiv:1709.08705) describes each large-R jet by these 16 numbers:

=================  ==========================================================================
``zlogz``          ``sum_i z_i ln z_i`` over the groomed constituents, ``z_i = pT_i / sum pT``
``c1_b0..b2``      ``C_1^(beta) = e_2^(beta)`` for beta = 0, 1, 2 (Larkoski, Salam, Thaler,
                   JHEP 06 (2013) 108, arXiv:1305.0007)
``c2_b1, c2_b2``   ``C_2^(beta) = e_3^(beta) / (e_2^(beta))^2`` (same reference)
``d2_b1, d2_b2``   ``D_2^(beta) = e_3^(beta) / (e_2^(beta))^3`` (Larkoski, Moult, Neill,
                   JHEP 12 (2014) 009, arXiv:1409.6298)
``d2_a1_b1, b2``   ``D_2^(alpha=1, beta) = e_3^(1) / (e_2^(beta))^(3 / beta)`` (same
                   reference); note ``d2_a1_b1 == d2_b1`` identically in this convention
``m2_b1, m2_b2``   ``M_2^(beta) = 1e_3^(beta) / 1e_2^(beta)`` (Moult, Necib, Thaler,
                   JHEP 12 (2016) 153, arXiv:1609.07483)
``n2_b1, n2_b2``   ``N_2^(beta) = 2e_3^(beta) / (1e_2^(beta))^2`` (same reference)
``mass_mmdt``      mass of the mMDT-groomed jet, GeV
``multiplicity``   number of constituents of the (ungroomed) jet
=================  ==========================================================================

Conventions (those of :mod:`lhcml.substructure`, i.e. fastjet-contrib's EnergyCorrelator
with the ``pt_R`` measure): ``z_i`` is the constituent pT over the scalar pT sum of the
groomed jet, angles are ``R_ij`` in (rapidity, azimuth), ``v e_n`` is the generalised
correlator of Moult et al. Every correlator, ``zlogz`` and the mass are computed on the jet
groomed with the modified mass-drop tagger (mMDT = soft drop with ``beta = 0``,
``z_cut = 0.1``, Dasgupta et al. JHEP 09 (2013) 029), reclustered with C/A
(:func:`lhcml.substructure.softdrop`). A jet groomed to one particle has ``e_2 = 0``: its
ratios C2, D2, M2, N2 are NaN (as in fastjet-contrib) and are replaced downstream by the
training mean (:class:`lhcml.standardize.Standardizer`).

Differences from the benchmark's own files (documented for comparisons): those jets are
particle-level Pythia 8 jets at pT ~ 1 TeV; here they are this project's detector-level
jets (pT > 300 GeV). ``multiplicity`` counts at most the skim's ``max_constituents``
leading constituents.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from lhcml.substructure import energy_correlators, softdrop

#: The 16 inputs, in the order of the benchmark's data files.
TRIGGER_FEATURES: tuple[str, ...] = (
    "zlogz",
    "c1_b0",
    "c1_b1",
    "c1_b2",
    "c2_b1",
    "c2_b2",
    "d2_b1",
    "d2_b2",
    "d2_a1_b1",
    "d2_a1_b2",
    "m2_b1",
    "m2_b2",
    "n2_b1",
    "n2_b2",
    "mass_mmdt",
    "multiplicity",
)

#: Skim columns the features are computed from (jagged constituent kinematics).
CONSTITUENT_COLUMNS: tuple[str, ...] = ("pfc_pt", "pfc_eta", "pfc_phi", "pfc_mass")


def constituents_pxpypze(pt, eta, phi, mass) -> ak.Array:
    """Jets x particles records ``px, py, pz, E`` (GeV, float64) from pT, eta, phi, mass."""
    pt, eta, phi, mass = (ak.values_astype(ak.Array(a), np.float64) for a in (pt, eta, phi, mass))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    energy = np.sqrt(px * px + py * py + pz * pz + mass * mass)
    return ak.zip({"px": px, "py": py, "pz": pz, "E": energy})


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def zlogz(groomed: ak.Array) -> np.ndarray:
    """``sum_i z_i ln z_i`` with ``z_i = pT_i / sum_j pT_j`` (0 for an empty jet; <= 0)."""
    pt = np.hypot(groomed["px"], groomed["py"])
    z = pt / ak.sum(pt, axis=1)
    terms = ak.where(z > 0, z * np.log(ak.where(z > 0, z, 1.0)), 0.0)
    return np.asarray(ak.fill_none(ak.sum(terms, axis=1), 0.0), dtype=np.float64)


def trigger_features(
    pt, eta, phi, mass, zcut: float = 0.1, beta: float = 0.0, r0: float = 0.8
) -> dict[str, np.ndarray]:
    """The 16 benchmark features (:data:`TRIGGER_FEATURES`) of each jet.

    Parameters
    ----------
    pt, eta, phi, mass
        Jagged (jets x constituents) arrays: constituent pT (GeV), pseudorapidity, azimuth
        (radians) and mass (GeV), e.g. the skim's ``pfc_*`` columns.
    zcut, beta, r0
        Grooming: soft drop with these parameters (``beta = 0``: mMDT) and jet radius.

    Returns
    -------
    dict of str to numpy.ndarray
        One float32 array per feature (``multiplicity`` int32), in :data:`TRIGGER_FEATURES`
        order. C2, D2, M2 and N2 are NaN for jets groomed to a single particle.
    """
    jets = constituents_pxpypze(pt, eta, phi, mass)
    groomed = softdrop(jets, beta=beta, zcut=zcut, r0=r0)
    cons = groomed["constituents"]
    e = {b: energy_correlators(cons, b, ("e2", "1e3", "2e3", "e3")) for b in (1.0, 2.0)}
    e0 = energy_correlators(cons, 0.0, ("e2",))["e2"]
    out = {"zlogz": zlogz(cons), "c1_b0": e0}
    for b, tag in ((1.0, "b1"), (2.0, "b2")):
        e2, e3 = e[b]["e2"], e[b]["e3"]
        out[f"c1_{tag}"] = e2
        out[f"c2_{tag}"] = _ratio(e3, e2**2)
        out[f"d2_{tag}"] = _ratio(e3, e2**3)
        out[f"d2_a1_{tag}"] = _ratio(e[1.0]["e3"], e2 ** (3.0 / b))
        out[f"m2_{tag}"] = _ratio(e[b]["1e3"], e2)
        out[f"n2_{tag}"] = _ratio(e[b]["2e3"], e2**2)
    out["mass_mmdt"] = np.asarray(groomed["msoftdrop"], dtype=np.float64)
    out["multiplicity"] = np.asarray(ak.num(jets, axis=1), dtype=np.int32)
    return {
        name: out[name].astype(np.int32 if name == "multiplicity" else np.float32)
        for name in TRIGGER_FEATURES
    }
