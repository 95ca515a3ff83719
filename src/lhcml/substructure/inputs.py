"""Input conventions shared by the substructure observables.

Every public function of :mod:`lhcml.substructure` takes ``constituents``: an awkward Array of
jets x particles (variable length) whose records have the fields ``px, py, pz, E`` (GeV,
float32 or float64). This module converts that input into the two forms the observables need:

* :func:`jets_as_events` -- the same particles as a ``Momentum4D`` (vector-registered)
  awkward Array in float64, one "event" per jet, ready for ``fastjet.ClusterSequence``'s
  multi-event interface (which loops over events in C++).
* :func:`flat_kinematics` / :func:`padded_block` -- transverse momentum, rapidity and azimuth
  computed exactly as FastJet's ``PseudoJet`` does (``perp()``, ``rap()``, ``phi()``), flat or
  padded to a rectangular (jets, particles) block for numpy broadcasting.

Angular distances are FastJet's ``PseudoJet::squared_distance``:
``DeltaR^2 = (y_i - y_j)^2 + DeltaPhi_ij^2`` with rapidity ``y`` (not pseudorapidity) and
``DeltaPhi`` folded into ``[0, pi]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numba
import numpy as np
import vector

vector.register_awkward()

__all__ = [
    "FASTJET_MAX_RAP",
    "FlatKinematics",
    "delta_r2",
    "flat_kinematics",
    "jets_as_events",
    "multiplicity_blocks",
    "padded_block",
    "rap_phi",
]

#: FastJet's ``MaxRap``: rapidity assigned (plus ``|pz|``) to a particle with ``E == |pz|``
#: and zero transverse momentum.
FASTJET_MAX_RAP = 1.0e5

_TWOPI = 2.0 * np.pi


def _as_records(constituents: ak.Array) -> ak.Array:
    """``constituents`` as an awkward Array; an all-empty array of unknown type (e.g.
    ``ak.Array([[], []])``) becomes empty ``px, py, pz, E`` float64 lists."""
    c = ak.Array(constituents)
    if not c.fields:
        counts = ak.num(c, axis=1)
        if ak.sum(counts) != 0:
            raise ValueError("constituents must be records with fields px, py, pz, E")
        empty = np.zeros(0, dtype=np.float64)
        c = ak.unflatten(ak.zip({name: empty for name in ("px", "py", "pz", "E")}), counts)
    return c


def jets_as_events(constituents: ak.Array) -> ak.Array:
    """Build the "jets as events" array for FastJet's awkward multi-event interface.

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles, records with fields ``px, py, pz, E`` in GeV (any float dtype).

    Returns
    -------
    ak.Array
        Packed ``var * Momentum4D[px, py, pz, E]`` array in float64 with the vector behaviour
        registered, one list ("event") per jet, suitable for
        ``fastjet.ClusterSequence(events, jetdef)``. Extra input fields are dropped.

    Notes
    -----
    The multi-event interface reads the flat content buffers and the list offsets directly, so
    the result is packed (``ak.to_packed``): masks, index arrays and slices are resolved.
    FastJet cannot cluster an event without particles in every query (``exclusive_jets``
    raises), so callers that use exclusive jets must drop empty jets first.
    """
    c = _as_records(constituents)
    fields = {name: ak.values_astype(c[name], np.float64) for name in ("px", "py", "pz", "E")}
    events = ak.zip(fields, with_name="Momentum4D")
    return ak.to_packed(events)


@dataclass(frozen=True)
class FlatKinematics:
    """Per-particle kinematics of a batch of jets, flattened over jets.

    Attributes
    ----------
    counts : np.ndarray
        ``(n_jets,)`` int64, number of constituents per jet.
    offsets : np.ndarray
        ``(n_jets + 1,)`` int64, start of each jet in the flat arrays.
    pt, rap, phi : np.ndarray
        ``(n_particles,)`` float64: transverse momentum (GeV), rapidity and azimuth in
        ``[0, 2 pi)``, exactly as FastJet's ``PseudoJet::perp()``, ``rap()``, ``phi()``.
    """

    counts: np.ndarray
    offsets: np.ndarray
    pt: np.ndarray
    rap: np.ndarray
    phi: np.ndarray


def rap_phi(
    px: np.ndarray, py: np.ndarray, pz: np.ndarray, E: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rapidity and azimuth with FastJet's conventions (``PseudoJet::_set_rap_phi``).

    ``y = 0.5 ln((pt^2 + max(m^2, 0)) / (E + |pz|)^2)``, sign-flipped for ``pz > 0`` (the
    numerically safe form of ``0.5 ln((E + pz) / (E - pz))``); a particle with ``E == |pz|``
    and ``pt == 0`` gets ``y = +-(FASTJET_MAX_RAP + |pz|)``. ``phi = atan2(py, px)`` mapped to
    ``[0, 2 pi)``, and 0 when ``pt == 0``.
    """
    px, py, pz, E = (np.asarray(a, dtype=np.float64) for a in (px, py, pz, E))
    kt2 = px * px + py * py
    phi = np.where(kt2 == 0.0, 0.0, np.arctan2(py, px))
    phi = np.where(phi < 0.0, phi + _TWOPI, phi)
    phi = np.where(phi >= _TWOPI, phi - _TWOPI, phi)
    abs_pz = np.abs(pz)
    m2 = np.maximum((E + pz) * (E - pz) - kt2, 0.0)
    e_plus = E + abs_pz
    longitudinal = (abs_pz == E) & (kt2 == 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rap = 0.5 * np.log((kt2 + m2) / (e_plus * e_plus))
    rap = np.where(pz > 0.0, -rap, rap)
    rap = np.where(longitudinal, np.copysign(FASTJET_MAX_RAP + abs_pz, pz), rap)
    return rap, phi


@numba.njit(cache=True, nogil=True)
def rap_phi_one(px, py, pz, e):  # pragma: no cover (compiled)
    """FastJet's ``PseudoJet::_set_rap_phi`` (as :func:`rap_phi`) for one momentum, compiled."""
    two_pi = 2.0 * np.pi
    kt2 = px * px + py * py
    phi = 0.0 if kt2 == 0.0 else np.arctan2(py, px)
    if phi < 0.0:
        phi += two_pi
    if phi >= two_pi:
        phi -= two_pi
    if e == abs(pz) and kt2 == 0.0:
        rap = FASTJET_MAX_RAP + abs(pz)
        return (-rap if pz < 0.0 else rap), phi
    m2 = max((e + pz) * (e - pz) - kt2, 0.0)
    e_plus = e + abs(pz)
    rap = 0.5 * np.log((kt2 + m2) / (e_plus * e_plus))
    return (-rap if pz > 0.0 else rap), phi


def delta_r2(rap1: np.ndarray, phi1: np.ndarray, rap2: np.ndarray, phi2: np.ndarray) -> np.ndarray:
    """FastJet's ``PseudoJet::squared_distance``: ``(y1 - y2)^2 + DeltaPhi^2``.

    Azimuths must lie in ``[0, 2 pi)`` (as returned by :func:`rap_phi`); ``DeltaPhi`` is folded
    into ``[0, pi]`` exactly as FastJet does. Broadcasts like numpy.
    """
    dphi = np.abs(phi1 - phi2)
    dphi = np.where(dphi > np.pi, _TWOPI - dphi, dphi)
    drap = rap1 - rap2
    return drap * drap + dphi * dphi


def flat_kinematics(constituents: ak.Array) -> FlatKinematics:
    """Flatten ``constituents`` into per-particle ``pt, rap, phi`` (float64) plus offsets.

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles with fields ``px, py, pz, E`` (GeV).

    Returns
    -------
    FlatKinematics
    """
    c = _as_records(constituents)
    counts = np.asarray(ak.num(c, axis=1), dtype=np.int64)
    flat = {
        name: np.asarray(ak.flatten(c[name], axis=1), dtype=np.float64)
        for name in ["px", "py", "pz", "E"]
    }
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    pt = np.hypot(flat["px"], flat["py"])
    rap, phi = rap_phi(flat["px"], flat["py"], flat["pz"], flat["E"])
    return FlatKinematics(counts=counts, offsets=offsets, pt=pt, rap=rap, phi=phi)


def padded_block(
    kin: FlatKinematics, jets: np.ndarray, width: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gather the jets ``jets`` of ``kin`` into rectangular ``(len(jets), width)`` arrays.

    Parameters
    ----------
    kin : FlatKinematics
        Output of :func:`flat_kinematics`.
    jets : np.ndarray
        Integer indices of the jets to gather.
    width : int, optional
        Padded multiplicity; defaults to the largest multiplicity among ``jets``.

    Returns
    -------
    pt, rap, phi : np.ndarray
        ``(len(jets), width)`` float64; padding slots have ``pt = rap = phi = 0``.
    valid : np.ndarray
        ``(len(jets), width)`` bool, True for real constituents.
    """
    jets = np.asarray(jets, dtype=np.int64)
    counts = kin.counts[jets]
    if width is None:
        width = int(counts.max()) if len(counts) else 0
    slot = np.arange(width, dtype=np.int64)
    valid = slot[None, :] < counts[:, None]
    index = np.where(valid, kin.offsets[jets][:, None] + slot[None, :], 0)
    if kin.pt.size == 0:
        zeros = np.zeros(valid.shape)
        return zeros, zeros.copy(), zeros.copy(), valid
    pt = np.where(valid, kin.pt[index], 0.0)
    rap = np.where(valid, kin.rap[index], 0.0)
    phi = np.where(valid, kin.phi[index], 0.0)
    return pt, rap, phi, valid


def multiplicity_blocks(
    counts: np.ndarray, budget: int, power: int = 1, factor: int = 1
) -> list[np.ndarray]:
    """Split jets into blocks of similar multiplicity with bounded padded-array size.

    Jets are ordered by decreasing multiplicity and cut into consecutive blocks such that
    ``len(block) * factor * width**power <= budget`` (at least one jet per block), where
    ``width`` is the block's largest multiplicity (that of its first jet). Padding waste stays
    small and the memory of the broadcast arrays bounded. The blocks are processed by a short
    Python loop over blocks, never over jets.

    Parameters
    ----------
    counts : np.ndarray
        ``(n_jets,)`` multiplicities.
    budget : int
        Maximum number of elements of the largest per-block array.
    power, factor : int
        That array has ``factor * width**power`` elements per jet.

    Returns
    -------
    list of np.ndarray
        Index arrays into ``counts`` (together a permutation of ``range(len(counts))``).
    """
    counts = np.asarray(counts)
    order = np.argsort(-counts, kind="stable")
    blocks = []
    start = 0
    while start < len(order):
        width = max(1, int(counts[order[start]]))
        rows = max(1, budget // (factor * width**power))
        blocks.append(order[start : start + rows])
        start += rows
    return blocks
