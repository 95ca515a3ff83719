"""Soft-drop grooming of jets given as constituent arrays, using FastJet-contrib's groomer.

Reference: A. J. Larkoski, S. Marzani, G. Soyez, J. Thaler, "Soft Drop", JHEP 05 (2014) 146,
arXiv:1402.2657; implementation ``fastjet::contrib::SoftDrop`` (RecursiveTools), reached
through scikit-hep fastjet's ``ClusterSequence.exclusive_jets_softdrop_grooming``.
"""

from __future__ import annotations

import warnings

import awkward as ak
import fastjet
import numpy as np

from .inputs import jets_as_events

__all__ = ["softdrop"]


def softdrop(
    constituents: ak.Array, beta: float = 0.0, zcut: float = 0.1, r0: float = 0.8
) -> ak.Array:
    """Groom each jet with soft drop and return the groomed jet and its constituents.

    Each jet's constituents are treated as one "event" and reclustered with the
    Cambridge/Aachen algorithm (E-scheme) at ``R = JetDefinition.max_allowable_R`` (1000), so
    that the single exclusive jet contains every constituent (a C/A radius of ``r0`` would
    assign constituents more than ``r0`` apart to the beam and silently drop them; contrib's
    own C/A reclustering also uses ``max_allowable_R``). The C/A tree is then declustered
    following the harder (larger-pT) branch until

        z = min(pT1, pT2) / (pT1 + pT2) > zcut * (DeltaR12 / r0)^beta,

    with DeltaR12 in (rapidity, phi) -- contrib's ``SoftDrop(beta, zcut, scalar_z, r0,
    mu = inf, larger_pt)``. Everything runs in FastJet's C++ loop over jets.

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles, records with fields ``px, py, pz, E`` (GeV).
    beta : float
        Angular exponent; ``beta = 0`` is the modified mass-drop tagger (mMDT).
    zcut : float
        Symmetry cut.
    r0 : float
        Jet radius entering the angular term (anti-kT R of the jets, 0.8 by default).

    Returns
    -------
    ak.Array
        One record per jet with fields

        * ``msoftdrop`` -- groomed jet mass in GeV (``PseudoJet::m()``: a tiny negative
          ``m^2`` from rounding gives a tiny negative mass, as in FastJet);
        * ``pt``, ``eta``, ``phi``, ``mass`` -- groomed jet four-momentum (GeV; pseudorapidity;
          azimuth in ``(-pi, pi]``; ``mass == msoftdrop``), usable as a PtEtaPhiM vector;
        * ``rg``, ``zg`` -- DeltaR and z of the splitting that passed the condition, or -1 when
          the groomed jet is a single particle (contrib's convention);
        * ``constituents`` -- the groomed jet's constituents, records ``px, py, pz, E``
          (float64).

        A jet with zero constituents gives ``pt = eta = phi = mass = msoftdrop = 0``,
        ``rg = zg = -1`` and no constituents. A one-particle jet is returned unchanged.
    """
    events = jets_as_events(constituents)
    n_jets = len(events)
    counts = np.asarray(ak.num(events, axis=1), dtype=np.int64)
    keep = np.flatnonzero(counts > 0)

    out = {
        name: np.zeros(n_jets, dtype=np.float64)
        for name in ("msoftdrop", "pt", "eta", "phi", "rg", "zg")
    }
    out["rg"][:] = -1.0
    out["zg"][:] = -1.0
    groomed_counts = np.zeros(n_jets, dtype=np.int64)
    flat = {name: np.zeros(0, dtype=np.float64) for name in ("px", "py", "pz", "E")}

    if len(keep):
        jetdef = fastjet.JetDefinition(
            fastjet.cambridge_algorithm, fastjet.JetDefinition.max_allowable_R
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cs = fastjet.ClusterSequence(ak.to_packed(events[keep]), jetdef)
            sd = cs.exclusive_jets_softdrop_grooming(
                njets=1,
                beta=beta,
                symmetry_cut=zcut,
                symmetry_measure="scalar_z",
                R0=r0,
                recursion_choice="larger_pt",
            )
        for name, field in (
            ("msoftdrop", "msoftdrop"),
            ("pt", "ptsoftdrop"),
            ("eta", "etasoftdrop"),
            ("phi", "phisoftdrop"),
            ("rg", "deltaRsoftdrop"),
            ("zg", "symmetrysoftdrop"),
        ):
            out[name][keep] = np.asarray(sd[field], dtype=np.float64)
        groomed_counts[keep] = np.asarray(ak.num(sd.constituents, axis=1), dtype=np.int64)
        for name in flat:
            flat[name] = np.asarray(ak.flatten(sd.constituents[name], axis=1), dtype=np.float64)

    # FastJet's phi() is in [0, 2 pi); report (-pi, pi] like NanoAOD and vector.
    out["phi"] = np.where(out["phi"] > np.pi, out["phi"] - 2.0 * np.pi, out["phi"])
    groomed = ak.unflatten(ak.zip(flat), groomed_counts)
    return ak.zip(
        {
            "msoftdrop": out["msoftdrop"],
            "pt": out["pt"],
            "eta": out["eta"],
            "phi": out["phi"],
            "mass": out["msoftdrop"].copy(),
            "rg": out["rg"],
            "zg": out["zg"],
            "constituents": groomed,
        },
        depth_limit=1,
    )
