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

Vectorisation: jets are grouped in blocks of similar multiplicity (bounded memory) and padded;
pairwise sums use ``(jets, n, n)`` broadcasting, ``e_3`` uses a batched matrix product
(``sum_k R_ik z_k R_kj``), and ``1 e_3`` / ``2 e_3`` -- which need the sorted angles of every
triplet -- loop over the first particle index ``i`` with ``(jets, n, n)`` arrays for the pairs
``j, k > i``. ``N_3`` (needs four-point ``2 e_4``, O(n^4)) is not provided.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from .inputs import FlatKinematics, delta_r2, flat_kinematics, multiplicity_blocks, padded_block

__all__ = ["c1", "c2", "d2", "ecf", "ecfg", "energy_correlators", "m2", "n2"]

# Keep each (jets, n, n) array of one block below this many elements (8 bytes each): small
# blocks keep the triplet loop's working set in cache (measured optimum ~2 MB).
_BLOCK_ELEMENTS = 250_000

# public names of the correlators and their (v, n)
_NAMES = {"e2": (1, 2), "1e3": (1, 3), "2e3": (2, 3), "e3": (3, 3)}
_KNOWN = set(_NAMES.values())


def ecf(constituents: ak.Array, n: int, beta: float = 1.0) -> np.ndarray:
    """Normalised energy correlation function ``e_n^(beta)`` for n = 1, 2, 3.

    ``e_1 = 1``; ``e_2 = sum_{i<j} z_i z_j R_ij^beta``;
    ``e_3 = sum_{i<j<k} z_i z_j z_k (R_ij R_ik R_jk)^beta`` (contrib's
    ``EnergyCorrelator(n, beta, pt_R)`` divided by ``ECF(1)^n``, equivalently
    ``EnergyCorrelatorGeneralized(-1, n, beta, pt_R)``).

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles, records with fields ``px, py, pz, E`` (GeV).
    n : {1, 2, 3}
        Number of points.
    beta : float
        Angular exponent (>= 0).

    Returns
    -------
    np.ndarray
        ``(n_jets,)`` float64, dimensionless. 0 for jets with fewer than ``n`` constituents.
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
    n_jets = len(kin.counts)
    out = {key: np.zeros(n_jets, dtype=np.float64) for key in which}
    keep = np.flatnonzero(kin.counts >= 2)  # every requested correlator vanishes otherwise
    for block in multiplicity_blocks(kin.counts[keep], _BLOCK_ELEMENTS, power=2):
        jets = keep[block]
        for key, value in _block_correlators(kin, jets, beta, which).items():
            out[key][jets] = value
    return out


def _block_correlators(
    kin: FlatKinematics, jets: np.ndarray, beta: float, which: set[tuple[int, int]]
) -> dict[tuple[int, int], np.ndarray]:
    """Correlators of one block of jets (all with >= 2 constituents)."""
    pt, rap, phi, _ = padded_block(kin, jets)
    width = pt.shape[1]
    z = pt / pt.sum(axis=1, keepdims=True)  # padding has z = 0 and drops out of every sum
    dr2 = delta_r2(rap[:, :, None], phi[:, :, None], rap[:, None, :], phi[:, None, :])
    if beta == 2.0:
        ang = dr2
    elif beta == 1.0:
        ang = np.sqrt(dr2)
    else:
        ang = np.power(dr2, 0.5 * beta)
    diag = np.arange(width)
    ang[:, diag, diag] = 0.0  # no self-pairs (matters for beta = 0, where 0**0 = 1)

    res: dict[tuple[int, int], np.ndarray] = {}
    w = z[:, :, None] * ang * z[:, None, :]  # z_i z_j R_ij^beta
    if (1, 2) in which:
        res[(1, 2)] = 0.5 * w.sum(axis=(1, 2))
    if (3, 3) in which:
        # sum_{i,j,k} z_i z_j z_k R_ij R_ik R_jk = sum_ij w_ij (R Z R)_ij, each triplet 6 times
        rzr = np.matmul(ang * z[:, None, :], ang)
        res[(3, 3)] = np.einsum("bij,bij->b", w, rzr) / 6.0
    if (1, 3) in which or (2, 3) in which:
        res.update(_sorted_angle_triplets(z, ang, which))
    return res


def _sorted_angle_triplets(
    z: np.ndarray, ang: np.ndarray, which: set[tuple[int, int]]
) -> dict[tuple[int, int], np.ndarray]:
    """``1 e_3`` and/or ``2 e_3``: triplet sums over the smallest / two smallest angles.

    For each first index ``i`` the pairs ``j, k > i`` are handled as ``(jets, m, m)`` arrays
    (in reused buffers, small enough to stay in cache); each unordered ``{j, k}`` appears twice
    (hence the final 1/2) and ``j = k`` contributes 0 because ``R_jj = 0``. With ``a_j = R_ij``
    and ``c_jk = R_jk``:

    * smallest angle: ``min(min(a_j, a_k), c_jk)``;
    * product of the two smallest: ``min(a_j a_k, min(a_j, a_k) c_jk)`` (for ``x <= y <= w``
      the smallest pairwise product is ``x y``).
    """
    n_b, width = z.shape
    want1, want2 = (1, 3) in which, (2, 3) in which
    sum1 = np.zeros(n_b)
    sum2 = np.zeros(n_b)
    size = n_b * (width - 1) ** 2
    buf_lo, buf_min, buf_prod = np.empty(size), np.empty(size), np.empty(size)
    for i in range(width - 2):
        m = width - i - 1
        a = ang[:, i, i + 1 :]  # R_ij for j > i
        c = ang[:, i + 1 :, i + 1 :]  # R_jk
        zs = z[:, i + 1 :, None]
        lo = buf_lo[: n_b * m * m].reshape(n_b, m, m)
        np.minimum(a[:, :, None], a[:, None, :], out=lo)
        if want1:
            smallest = buf_min[: n_b * m * m].reshape(n_b, m, m)
            np.minimum(lo, c, out=smallest)
            sum1 += z[:, i] * np.einsum("bj,bj->b", np.matmul(smallest, zs)[:, :, 0], zs[:, :, 0])
        if want2:
            prod = buf_prod[: n_b * m * m].reshape(n_b, m, m)
            np.multiply(a[:, :, None], a[:, None, :], out=prod)
            np.multiply(lo, c, out=lo)
            np.minimum(prod, lo, out=prod)
            sum2 += z[:, i] * np.einsum("bj,bj->b", np.matmul(prod, zs)[:, :, 0], zs[:, :, 0])
    res = {}
    if want1:
        res[(1, 3)] = 0.5 * sum1
    if want2:
        res[(2, 3)] = 0.5 * sum2
    return res
