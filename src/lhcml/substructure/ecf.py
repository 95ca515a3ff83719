"""Energy correlation functions and their ratios for jets given as constituent arrays.

References:

* A. J. Larkoski, G. P. Salam, J. Thaler, "Energy Correlation Functions for Jet
  Substructure", JHEP 06 (2013) 108, arXiv:1305.0007 (e_n, C_1, C_2);
* A. J. Larkoski, I. Moult, D. Neill, "Power Counting to Better Jet Observables",
  JHEP 12 (2014) 009, arXiv:1409.6298 (D_2, generalised D_2^(alpha, beta));
* I. Moult, L. Necib, J. Thaler, "New Angles on Energy Correlation Functions",
  JHEP 12 (2016) 153, arXiv:1609.07483 (generalised v e_n, N_2, M_2).

Implementation: FastJet-contrib ``EnergyCorrelator`` package (``EnergyCorrelator``,
``EnergyCorrelatorGeneralized``, ``EnergyCorrelatorC1``/``C2``/``D2``/``GeneralizedD2``/
``N2``/``M2``), always with the ``pt_R`` measure:

* weights ``z_i = pT_i / sum_j pT_j`` (transverse momentum normalised by the scalar pT sum of
  the constituents, contrib's ``ECF(1)``, so ``e_1 = 1``);
* angles ``R_ij^2 = (y_i - y_j)^2 + DeltaPhi_ij^2`` in rapidity and azimuth (FastJet's
  ``squared_distance``); the angular exponent is ``beta`` (``R_ij^beta``).

Definitions (sums over distinct constituents):

* ``e_2^(beta) = sum_{i<j} z_i z_j R_ij^beta``;
* ``e_3^(beta) = sum_{i<j<k} z_i z_j z_k (R_ij R_ik R_jk)^beta``;
* ``v e_n^(beta)``: like ``e_n`` but the angular factor is the product of the ``v`` smallest
  of the ``n(n-1)/2`` pairwise ``R^beta`` (so ``1 e_2 = e_2`` and ``3 e_3 = e_3``).

A jet with fewer than ``n`` constituents has ``e_n = 0`` (as in contrib); ``e_1 = 1`` for any
non-empty jet and 0 for an empty one. Ratios follow IEEE arithmetic like contrib: a vanishing
denominator (e.g. a one-particle jet) gives NaN (0/0), without numpy warnings.

Implementation: one compiled loop over jets (numba, cached on disk after the first call):
per jet the pairwise ``R_ij^beta`` matrix, then one pass over pairs (``e_2``) and, when a
three-point correlator is asked for, over triplets ``i < j < k`` for all of ``1 e_3``,
``2 e_3`` and ``e_3`` at once -- O(n^3) per jet like contrib, without padding or temporary
arrays. ``N_3`` (needs four-point ``2 e_4``, O(n^4)) is not provided.
"""

from __future__ import annotations

import awkward as ak
import numba
import numpy as np

from .inputs import FlatKinematics, flat_kinematics

__all__ = ["c1", "c2", "d2", "ecf", "ecfg", "energy_correlators", "m2", "n2"]

# public names of the correlators and their (v, n)
_NAMES = {"e2": (1, 2), "1e3": (1, 3), "2e3": (2, 3), "e3": (3, 3)}
_KNOWN = set(_NAMES.values())


def ecf(constituents: ak.Array, n: int, beta: float = 1.0) -> np.ndarray:
    """Normalised energy correlation function ``e_n^(beta)`` for n = 1, 2, 3.

    ``e_1 = 1``; ``e_2 = sum_{i<j} z_i z_j R_ij^beta``;
    ``e_3 = sum_{i<j<k} z_i z_j z_k (R_ij R_ik R_jk)^beta`` (contrib's
    ``EnergyCorrelator(n, beta, pt_R)`` divided by ``ECF(1)^n``, equivalently
    ``EnergyCorrelatorGeneralized(-1, n, beta, pt_R)``).

    ``constituents`` and ``beta`` as for :func:`ecfg`; ``n`` in {1, 2, 3}. Returns
    ``(n_jets,)`` float64, dimensionless; 0 for jets with fewer than ``n`` constituents.
    """
    if n == 1:
        counts = np.asarray(ak.num(constituents, axis=1))
        return (counts > 0).astype(np.float64)
    if n == 2:
        return ecfg(constituents, 1, 2, beta)
    if n == 3:
        return ecfg(constituents, 3, 3, beta)
    raise ValueError(f"ecf is implemented for n = 1, 2, 3, got n = {n}")


def ecfg(constituents: ak.Array, v: int, n: int, beta: float = 1.0) -> np.ndarray:
    """Generalised energy correlation function ``v e_n^(beta)`` for n = 2, 3.

    The angular factor of each n-tuple is the product of its ``v`` smallest pairwise
    ``R^beta`` (contrib's ``EnergyCorrelatorGeneralized(v, n, beta, pt_R)``, normalised):

    * ``1 e_2 = e_2 = sum_{i<j} z_i z_j R_ij^beta`` (v = 1 only);
    * ``1 e_3 = sum_{i<j<k} z_i z_j z_k min(R_ij, R_ik, R_jk)^beta``;
    * ``2 e_3``: product of the two smallest of ``R_ij^beta, R_ik^beta, R_jk^beta``;
    * ``3 e_3 = e_3``.

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles, records with fields ``px, py, pz, E`` (GeV).
    v : int
        Number of angles, 1 <= v <= n (n - 1) / 2.
    n : {2, 3}
        Number of points.
    beta : float
        Angular exponent (>= 0).

    Returns
    -------
    np.ndarray
        ``(n_jets,)`` float64. 0 for jets with fewer than ``n`` constituents.
    """
    if (v, n) not in _KNOWN:
        raise ValueError(f"ecfg is implemented for (v, n) in {sorted(_KNOWN)}, got ({v}, {n})")
    return _correlators(constituents, beta, {(v, n)})[(v, n)]


def energy_correlators(
    constituents: ak.Array,
    beta: float = 1.0,
    which: tuple[str, ...] = ("e2", "1e3", "2e3", "e3"),
) -> dict[str, np.ndarray]:
    """Several normalised correlators at one ``beta`` in a single pass over the jets.

    Use this to build many ratios at once (e.g. the hls4ml tagging features
    ``c1_b*, c2_b*, d2_b*, d2_a1_b*, m2_b*, n2_b*``): ``C_1 = e2``, ``C_2 = e3 / e2^2``,
    ``D_2 = e3 / e2^3``, ``M_2 = 1e3 / e2``, ``N_2 = 2e3 / e2^2``, and
    ``D_2^(alpha, beta) = e3(alpha) / e2(beta)^(3 alpha / beta)`` from two calls.

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles, records with fields ``px, py, pz, E`` (GeV).
    beta : float
        Angular exponent (>= 0).
    which : tuple of str
        Any of ``"e2"`` (``= 1e2``), ``"1e3"``, ``"2e3"``, ``"e3"`` (``= 3e3``). ``"1e3"`` and
        ``"2e3"`` are the expensive ones (sorted angles of every triplet).

    Returns
    -------
    dict of str to np.ndarray
        ``(n_jets,)`` float64 per requested name; 0 for jets with too few constituents.
    """
    unknown = set(which) - set(_NAMES)
    if unknown:
        raise ValueError(f"unknown correlators {sorted(unknown)}; choose from {list(_NAMES)}")
    res = _correlators(constituents, beta, {_NAMES[name] for name in which})
    return {name: res[_NAMES[name]] for name in which}


def c1(constituents: ak.Array, beta: float = 1.0) -> np.ndarray:
    """``C_1^(beta) = e_2^(beta) / e_1^2 = e_2^(beta)`` (contrib ``EnergyCorrelatorC1``,
    equivalently ``EnergyCorrelatorDoubleRatio(1, beta)``). ``beta = 0`` is allowed."""
    return ecfg(constituents, 1, 2, beta)


def c2(constituents: ak.Array, beta: float = 1.0) -> np.ndarray:
    """``C_2^(beta) = e_3 e_1 / e_2^2`` (contrib ``EnergyCorrelatorC2`` /
    ``EnergyCorrelatorDoubleRatio(2, beta)``). NaN where ``e_2 = 0``."""
    e = _correlators(constituents, beta, {(1, 2), (3, 3)})
    return _ratio(e[(3, 3)], e[(1, 2)] ** 2)


def d2(constituents: ak.Array, beta: float = 1.0, alpha: float | None = None) -> np.ndarray:
    """``D_2`` from the normalised three- and two-point correlators.

    ``D_2^(alpha, beta) = e_3^(alpha) / (e_2^(beta))^(3 alpha / beta)``. With ``alpha=None``
    (default) ``alpha = beta`` and this is the original ``D_2^(beta) = e_3^(beta) /
    (e_2^(beta))^3 = ECF(3) ECF(1)^3 / ECF(2)^3`` (contrib ``EnergyCorrelatorD2(beta)``);
    otherwise contrib's ``EnergyCorrelatorGeneralizedD2(alpha, beta)`` (e.g. the hls4ml
    feature ``d2_a1_b2`` is ``alpha=1, beta=2``). NaN where ``e_2 = 0``.
    """
    if alpha is None or alpha == beta:
        e = _correlators(constituents, beta, {(1, 2), (3, 3)})
        return _ratio(e[(3, 3)], e[(1, 2)] ** 3)
    kin = flat_kinematics(constituents)
    num = _correlators(kin, alpha, {(3, 3)})[(3, 3)]
    den = _correlators(kin, beta, {(1, 2)})[(1, 2)]
    return _ratio(num, den ** (3.0 * alpha / beta))


def m2(constituents: ak.Array, beta: float = 1.0) -> np.ndarray:
    """``M_2^(beta) = 1e_3^(beta) / 1e_2^(beta)`` (contrib ``EnergyCorrelatorM2`` /
    ``EnergyCorrelatorMseries(2, beta)``). NaN where ``e_2 = 0``."""
    e = _correlators(constituents, beta, {(1, 2), (1, 3)})
    return _ratio(e[(1, 3)], e[(1, 2)])


def n2(constituents: ak.Array, beta: float = 1.0) -> np.ndarray:
    """``N_2^(beta) = 2e_3^(beta) / (1e_2^(beta))^2`` (contrib ``EnergyCorrelatorN2`` /
    ``EnergyCorrelatorNseries(2, beta)``). NaN where ``e_2 = 0``."""
    e = _correlators(constituents, beta, {(1, 2), (2, 3)})
    return _ratio(e[(2, 3)], e[(1, 2)] ** 2)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _correlators(
    constituents: ak.Array | FlatKinematics, beta: float, which: set[tuple[int, int]]
) -> dict[tuple[int, int], np.ndarray]:
    """Compute the normalised correlators ``v e_n^(beta)`` for every ``(v, n)`` in ``which``.

    Returns a dict ``{(v, n): (n_jets,) float64}``; all requested correlators share one pass
    over the jets.
    """
    if beta < 0:
        raise ValueError("beta must be >= 0")
    kin = (
        constituents if isinstance(constituents, FlatKinematics) else flat_kinematics(constituents)
    )
    wanted = np.array([key in which for key in _ORDER])
    out = np.zeros((len(_ORDER), len(kin.counts)), dtype=np.float64)
    _jet_correlators(kin.offsets, kin.pt, kin.rap, kin.phi, float(beta), wanted, out)
    return {key: out[k] for k, key in enumerate(_ORDER) if key in which}


#: Row order of the kernel's output.
_ORDER = ((1, 2), (1, 3), (2, 3), (3, 3))


@numba.njit(cache=True, nogil=True)
def _jet_correlators(offsets, pt, rap, phi, beta, wanted, out):  # pragma: no cover (compiled)
    """Per jet: ``R_ij^beta`` of every pair (FastJet's squared distance, azimuth folded into
    ``[0, pi]``), then the sums over pairs and triplets, each triplet once (``i < j < k``).
    ``out[k, jet]`` gets the correlator ``_ORDER[k]`` where ``wanted[k]``."""
    two_pi = 2.0 * np.pi
    triplets = wanted[1] or wanted[2] or wanted[3]
    for jet in range(len(offsets) - 1):
        start = offsets[jet]
        n = offsets[jet + 1] - start
        if n < 2:  # every correlator vanishes
            continue
        pt_sum = 0.0
        for a in range(n):
            pt_sum += pt[start + a]
        z = np.empty(n)
        for a in range(n):
            z[a] = pt[start + a] / pt_sum
        ang = np.zeros((n, n))
        for a in range(n):
            for b in range(a + 1, n):
                dphi = abs(phi[start + a] - phi[start + b])
                if dphi > np.pi:
                    dphi = two_pi - dphi
                drap = rap[start + a] - rap[start + b]
                dr2 = drap * drap + dphi * dphi
                if beta == 2.0:
                    value = dr2
                elif beta == 1.0:
                    value = np.sqrt(dr2)
                else:
                    value = dr2 ** (0.5 * beta)
                ang[a, b] = value
                ang[b, a] = value
        e2 = 0.0
        e3_min = 0.0
        e3_two = 0.0
        e3 = 0.0
        for a in range(n):
            for b in range(a + 1, n):
                zab = z[a] * z[b]
                r_ab = ang[a, b]
                e2 += zab * r_ab
                if not triplets:
                    continue
                for c in range(b + 1, n):
                    r_ac = ang[a, c]
                    r_bc = ang[b, c]
                    w = zab * z[c]
                    if wanted[3]:
                        e3 += w * r_ab * r_ac * r_bc
                    if wanted[1]:
                        e3_min += w * min(r_ab, r_ac, r_bc)
                    if wanted[2]:
                        e3_two += w * min(r_ab * r_ac, r_ab * r_bc, r_ac * r_bc)
        out[0, jet] = e2
        out[1, jet] = e3_min
        out[2, jet] = e3_two
        out[3, jet] = e3
