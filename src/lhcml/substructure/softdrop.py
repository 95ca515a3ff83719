"""Soft-drop grooming of jets given as constituent arrays, as FastJet-contrib's groomer does.

Reference: A. J. Larkoski, S. Marzani, G. Soyez, J. Thaler, "Soft Drop", JHEP 05 (2014) 146,
arXiv:1402.2657; the definition is that of ``fastjet::contrib::SoftDrop`` (RecursiveTools) on
a FastJet C/A reclustering. The clustering and declustering run in one compiled (numba) loop
over jets: scikit-hep fastjet's ``ClusterSequence.exclusive_jets_softdrop_grooming`` gives the
same numbers (tests compare them) but costs about ten times more per jet in its wrapper.
"""

from __future__ import annotations

import awkward as ak
import numba
import numpy as np

from .inputs import FASTJET_MAX_RAP, _as_records, rap_phi_one

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
    mu = inf, larger_pt)``. The clustering merges the closest pair in FastJet's distance
    (``PseudoJet::squared_distance`` of rapidity and azimuth, E-scheme sums, rapidity and
    azimuth recomputed as ``PseudoJet::_set_rap_phi`` does), so the tree, and every output,
    equals FastJet's except for exact distance ties. The groomed constituents keep the input
    order.

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
    c = _as_records(constituents)
    n_jets = len(c)
    counts = np.asarray(ak.num(c, axis=1), dtype=np.int64)
    offsets = np.zeros(n_jets + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    flat = {
        name: np.asarray(ak.flatten(c[name], axis=1), dtype=np.float64)
        for name in ("px", "py", "pz", "E")
    }
    out = np.zeros((6, n_jets), dtype=np.float64)  # msoftdrop, pt, eta, phi, rg, zg
    kept = np.zeros(len(flat["px"]), dtype=np.bool_)
    _groom(
        offsets,
        flat["px"],
        flat["py"],
        flat["pz"],
        flat["E"],
        float(beta),
        float(zcut),
        float(r0),
        out,
        kept,
    )
    msoftdrop, pt, eta, phi, rg, zg = out
    # FastJet's phi() is in [0, 2 pi); report (-pi, pi] like NanoAOD and vector.
    phi = np.where(phi > np.pi, phi - 2.0 * np.pi, phi)
    event_of = np.repeat(np.arange(n_jets), counts)
    groomed = ak.unflatten(
        ak.zip({name: flat[name][kept] for name in flat}),
        np.bincount(event_of[kept], minlength=n_jets),
    )
    return ak.zip(
        {
            "msoftdrop": msoftdrop,
            "pt": pt,
            "eta": eta,
            "phi": phi,
            "mass": msoftdrop.copy(),
            "rg": rg,
            "zg": zg,
            "constituents": groomed,
        },
        depth_limit=1,
    )


@numba.njit(cache=True, nogil=True)
def _distance(rap, phi, i, j):  # pragma: no cover (compiled)
    """FastJet's ``squared_distance`` in (rapidity, azimuth)."""
    dphi = abs(phi[i] - phi[j])
    if dphi > np.pi:
        dphi = 2.0 * np.pi - dphi
    drap = rap[i] - rap[j]
    return drap * drap + dphi * dphi


@numba.njit(cache=True, nogil=True)
def _nearest(rap, phi, active, n_active, i):  # pragma: no cover (compiled)
    best, best_d = -1, np.inf
    for a in range(n_active):
        j = active[a]
        if j != i:
            d = _distance(rap, phi, i, j)
            if d < best_d:
                best, best_d = j, d
    return best, best_d


@numba.njit(cache=True, nogil=True)
def _groom(offsets, px, py, pz, e, beta, zcut, r0, out, kept):  # pragma: no cover (compiled)
    """C/A clustering of each jet into one, then soft-drop declustering (see
    :func:`softdrop`). Pseudojet ``k < n`` is constituent ``k``; merged pseudojets follow,
    with their two parents; all merge since ``DeltaR << max_allowable_R``."""
    for jet in range(len(offsets) - 1):
        start = offsets[jet]
        n = offsets[jet + 1] - start
        out[4, jet] = -1.0
        out[5, jet] = -1.0
        if n == 0:
            continue
        size = 2 * n - 1
        qx, qy, qz, qe = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
        rap, phi = np.empty(size), np.empty(size)
        parent1 = np.full(size, -1, np.int64)
        parent2 = np.full(size, -1, np.int64)
        for k in range(n):
            qx[k], qy[k], qz[k], qe[k] = px[start + k], py[start + k], pz[start + k], e[start + k]
            rap[k], phi[k] = rap_phi_one(qx[k], qy[k], qz[k], qe[k])
        # --- C/A: merge the closest pair until one pseudojet is left (nearest-neighbour lists)
        active = np.arange(n)
        n_active = n
        nn = np.full(size, -1, np.int64)
        nn_d = np.full(size, np.inf)
        for a in range(n):
            nn[a], nn_d[a] = _nearest(rap, phi, active, n_active, a)
        for k in range(n, size):
            best = 0
            for a in range(1, n_active):
                if nn_d[active[a]] < nn_d[active[best]]:
                    best = a
            i = active[best]
            j = nn[i]
            qx[k], qy[k], qz[k], qe[k] = qx[i] + qx[j], qy[i] + qy[j], qz[i] + qz[j], qe[i] + qe[j]
            rap[k], phi[k] = rap_phi_one(qx[k], qy[k], qz[k], qe[k])
            parent1[k], parent2[k] = i, j
            m = 0
            for a in range(n_active):  # drop i and j, append k
                if active[a] != i and active[a] != j:
                    active[m] = active[a]
                    m += 1
            active[m] = k
            n_active = m + 1
            for a in range(n_active - 1):
                b = active[a]
                if nn[b] == i or nn[b] == j:
                    nn[b], nn_d[b] = _nearest(rap, phi, active, n_active, b)
                else:
                    d = _distance(rap, phi, b, k)
                    if d < nn_d[b]:
                        nn[b], nn_d[b] = k, d
            nn[k], nn_d[k] = _nearest(rap, phi, active, n_active, k)
        # --- soft drop: follow the larger-pT branch until z > zcut (DeltaR / r0)^beta
        piece = size - 1
        while parent1[piece] >= 0:
            j1, j2 = parent1[piece], parent2[piece]
            pt2_1 = qx[j1] * qx[j1] + qy[j1] * qy[j1]
            pt2_2 = qx[j2] * qx[j2] + qy[j2] * qy[j2]
            if pt2_1 < pt2_2:
                j1, j2 = j2, j1
                pt2_1, pt2_2 = pt2_2, pt2_1
            pt1, pt2 = np.sqrt(pt2_1), np.sqrt(pt2_2)
            z = min(pt1, pt2) / (pt1 + pt2)
            dr2 = _distance(rap, phi, j1, j2)
            if z >= zcut * (dr2 / (r0 * r0)) ** (0.5 * beta):
                out[4, jet] = np.sqrt(dr2)
                out[5, jet] = z
                break
            piece = j1
        # --- the groomed jet: its four-momentum from the tree, its constituents
        gx, gy, gz, ge = qx[piece], qy[piece], qz[piece], qe[piece]
        kt2 = gx * gx + gy * gy
        m2 = (ge + gz) * (ge - gz) - kt2
        out[0, jet] = -np.sqrt(-m2) if m2 < 0.0 else np.sqrt(m2)
        out[1, jet] = np.sqrt(kt2)
        if kt2 == 0.0:
            out[2, jet] = FASTJET_MAX_RAP
        elif gz == 0.0:
            out[2, jet] = 0.0
        else:  # PseudoJet::pseudorapidity()
            theta = np.arctan(np.sqrt(kt2) / gz)
            if theta < 0.0:
                theta += np.pi
            out[2, jet] = -np.log(np.tan(theta / 2.0))
        out[3, jet] = phi[piece]
        stack = [piece]
        while stack:
            q = stack.pop()
            if q < n:
                kept[start + q] = True
            else:
                stack.append(parent1[q])
                stack.append(parent2[q])
