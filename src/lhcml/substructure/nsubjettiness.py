"""N-subjettiness tau_1 .. tau_N of jets given as constituent arrays.

References: J. Thaler, K. Van Tilburg, "Identifying Boosted Objects with N-subjettiness",
JHEP 03 (2011) 015, arXiv:1011.2268; "Maximizing Boosted Top Identification by Minimizing
N-subjettiness", JHEP 02 (2012) 093, arXiv:1108.2701; A. J. Larkoski, D. Neill, J. Thaler,
"Jet Shapes with the Broadening Axis", JHEP 04 (2014) 017, arXiv:1401.2158 (WTA axes).
The definitions reproduce FastJet-contrib's ``Nsubjettiness`` (``fastjet::contrib::
Nsubjettiness`` with ``OnePass_KT_Axes`` / ``WTA_KT_Axes`` / ``KT_Axes`` and
``NormalizedMeasure`` / ``UnnormalizedMeasure``). CMS NanoAOD's ``FatJet_tau1..4`` are
``OnePass_KT_Axes`` with ``NormalizedMeasure(beta=1, R0=0.8)``.
"""

from __future__ import annotations

import math
import warnings

import awkward as ak
import fastjet
import numba
import numpy as np

from .inputs import (
    FlatKinematics,
    _as_records,
    flat_kinematics,
    jets_as_events,
    multiplicity_blocks,
    rap_phi,
    rap_phi_one,
)

__all__ = ["nsubjettiness"]

_AXES_RECOMBINATION = {
    # contrib WTA_KT_Axes: exclusive kT, WinnerTakeAllRecombiner (pt-weighted, alpha = 1),
    # which is FastJet's WTA_pt_scheme: the merged axis takes the harder branch's (y, phi).
    "wta_kt": "WTA_pt_scheme",
    # contrib KT_Axes: exclusive kT with E-scheme (four-vector sum) recombination.
    "kt": "E_scheme",
    # contrib OnePass_KT_Axes: KT_Axes as seeds, then the one-pass minimisation below.
    "onepass_kt": "E_scheme",
}

# contrib's AxesDefinition::setNPass defaults for ONE_PASS axes: at most 1000 updates, stop
# when the axes move by less than 1e-4 on average; the same 1e-4 regularises the weights.
_ONEPASS_ATTEMPTS = 1000
_ONEPASS_ACCURACY = 1.0e-4

# Keep the (jets, particles, N, axes) distance array of one block below this many elements.
_BLOCK_ELEMENTS = 2_000_000


def nsubjettiness(
    constituents: ak.Array,
    n_max: int = 4,
    beta: float = 1.0,
    r0: float = 0.8,
    axes: str = "onepass_kt",
    normalized: bool = True,
) -> np.ndarray:
    """N-subjettiness ``tau_1 .. tau_{n_max}`` for every jet.

    ``tau_N = sum_i pT_i min_k (DeltaR_ik)^beta``, summed over the jet's constituents ``i``,
    minimised over the N axes ``k``, with ``DeltaR^2 = Delta y^2 + Delta phi^2`` (rapidity
    ``y``, FastJet's ``squared_distance``). With ``normalized=True`` (contrib's
    ``NormalizedMeasure(beta, r0)``) this is divided by ``sum_i pT_i r0^beta`` and is
    dimensionless; with ``normalized=False`` (``UnnormalizedMeasure(beta)``) it is in GeV and
    ``r0`` is unused.

    Axes, seeded with one FastJet clustering of each jet's constituents and
    ``exclusive_jets_up_to(N)`` for N = 1 .. n_max:

    * ``"onepass_kt"`` (default; CMS NanoAOD's choice) -- contrib's ``OnePass_KT_Axes``: the
      ``"kt"`` axes refined by contrib's one-pass minimisation of tau_N
      (``DefaultMeasure::get_one_pass_axes``): each constituent is assigned to its nearest
      axis in (y, phi), each axis moves to the weighted mean (y, phi) of its constituents
      with weights ``pT_i (DeltaR_ik^2 + eps^2)^(beta/2 - 1)`` (``DeltaR`` to the current
      axis, ``eps = 1e-4``; phi taken on the branch nearest the axis), repeated until the
      axes move by less than ``1e-4`` on average (at most 1000 times). This is a
      Weiszfeld-type (beta = 1: geometric median) local minimisation, so tau_N is at most
      its ``"kt"`` value up to that tolerance;
    * ``"wta_kt"`` -- contrib's ``WTA_KT_Axes``: exclusive kT clustering to N jets at
      ``R = JetDefinition.max_allowable_R`` (1000) with winner-take-all pT recombination,
      no minimisation;
    * ``"kt"`` -- contrib's ``KT_Axes``: the same with E-scheme recombination.

    A WTA axis lies exactly along one constituent; its (y, phi) are taken from that
    constituent (as contrib's cached values are), not recomputed from the axis four-momentum,
    so a particle on its axis contributes exactly 0 also for beta < 1.

    Parameters
    ----------
    constituents : ak.Array
        Jets x particles, records with fields ``px, py, pz, E`` (GeV).
    n_max : int
        Largest N; taus for N = 1 .. n_max are returned.
    beta : float
        Angular exponent (> 0).
    r0 : float
        Characteristic jet radius of the normalisation (anti-kT R).
    axes : {"onepass_kt", "wta_kt", "kt"}
        Axis definition.
    normalized : bool
        Normalized (dimensionless) or unnormalized (GeV) measure.

    Returns
    -------
    np.ndarray
        ``(n_jets, n_max)`` float64; column ``N - 1`` holds ``tau_N``. As in contrib,
        ``tau_N = 0`` for a jet with at most N constituents (so a one-particle jet has
        ``tau_1 = 0``); an empty jet gives 0 throughout.
    """
    if axes not in _AXES_RECOMBINATION:
        raise ValueError(f"axes must be one of {sorted(_AXES_RECOMBINATION)}, got {axes!r}")
    if n_max < 1:
        raise ValueError("n_max must be >= 1")

    kin = flat_kinematics(constituents)
    n_jets = len(kin.counts)
    taus = np.zeros((n_jets, n_max), dtype=np.float64)
    keep = np.flatnonzero(kin.counts > 0)
    if len(keep) == 0:
        return taus

    axis_rap, axis_phi, axis_mom, axis_ok = _exclusive_axes(constituents, keep, n_max, axes)
    if axes == "onepass_kt":
        px, py, pz = _flat_momenta(constituents)
        _onepass_kernel(
            kin.offsets,
            kin.pt,
            kin.rap,
            kin.phi,
            px,
            py,
            pz,
            keep,
            axis_rap,
            axis_phi,
            axis_mom,
            float(beta),
            _ONEPASS_ACCURACY,
            _ONEPASS_ATTEMPTS,
        )
    for block in multiplicity_blocks(kin.counts[keep], _BLOCK_ELEMENTS, factor=n_max * n_max):
        _tau_block(
            kin,
            keep,
            block,
            axis_rap,
            axis_phi,
            axis_ok,
            beta,
            r0,
            normalized,
            snap_to_constituents=(axes == "wta_kt"),
            taus=taus,
        )
    return taus


def _flat_momenta(constituents: ak.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat float64 ``px, py, pz`` (GeV) of all constituents, in ``flat_kinematics`` order."""
    c = _as_records(constituents)
    return tuple(
        np.asarray(ak.flatten(c[name], axis=1), dtype=np.float64) for name in ("px", "py", "pz")
    )


def _exclusive_axes(
    constituents: ak.Array, keep: np.ndarray, n_max: int, axes: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exclusive-kT axes of the non-empty jets ``keep`` for N = 1 .. n_max.

    Returns ``rap, phi, mom, ok`` of shape ``(len(keep), n_max, n_max)``: entry
    ``[j, N-1, k]`` is axis ``k`` of the N-axis set of jet ``keep[j]`` (``mom`` its
    three-momentum magnitude in GeV); ``ok`` is False for missing axes (jets with fewer than
    N constituents).
    """
    events = ak.to_packed(jets_as_events(constituents)[keep])
    jetdef = fastjet.JetDefinition(
        fastjet.kt_algorithm,
        fastjet.JetDefinition.max_allowable_R,
        getattr(fastjet, _AXES_RECOMBINATION[axes]),
    )
    shape = (len(keep), n_max, n_max)
    axis_rap = np.zeros(shape)
    axis_phi = np.zeros(shape)
    axis_mom = np.zeros(shape)
    axis_ok = np.zeros(shape, dtype=bool)
    with warnings.catch_warnings():
        # fastjet warns about exclusive jets for every JetDefinition object (it compares the
        # definition with the algorithm enum); exclusive kT jets are well defined.
        warnings.simplefilter("ignore")
        cs = fastjet.ClusterSequence(events, jetdef)
        for n in range(1, n_max + 1):
            ax = cs.exclusive_jets_up_to(n)
            n_ax = np.asarray(ak.num(ax, axis=1), dtype=np.int64)
            p4 = [np.asarray(ak.flatten(ax[name], axis=1)) for name in ("px", "py", "pz", "E")]
            rap, phi = rap_phi(*p4)
            row = np.repeat(np.arange(len(keep)), n_ax)
            slot = np.arange(len(row)) - np.repeat(np.cumsum(n_ax) - n_ax, n_ax)
            axis_rap[row, n - 1, slot] = rap
            axis_phi[row, n - 1, slot] = phi
            axis_mom[row, n - 1, slot] = np.sqrt(p4[0] ** 2 + p4[1] ** 2 + p4[2] ** 2)
            axis_ok[row, n - 1, slot] = True
    return axis_rap, axis_phi, axis_mom, axis_ok


def _tau_block(
    kin: FlatKinematics,
    keep: np.ndarray,
    block: np.ndarray,
    axis_rap: np.ndarray,
    axis_phi: np.ndarray,
    axis_ok: np.ndarray,
    beta: float,
    r0: float,
    normalized: bool,
    snap_to_constituents: bool,
    taus: np.ndarray,
) -> None:
    """Fill ``taus[keep[block]]`` for one block of non-empty jets (a compiled loop over the
    block's jets, particles, N and axes: no (jets, particles, N, axes) temporaries)."""
    _tau_kernel(
        kin.offsets,
        kin.pt,
        kin.rap,
        kin.phi,
        keep,
        block,
        axis_rap,
        axis_phi,
        axis_ok,
        float(beta),
        float(r0),
        bool(normalized),
        bool(snap_to_constituents),
        taus,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _delta_r2(rap1, phi1, rap2, phi2):  # pragma: no cover (compiled)
    """Squared distance in (rapidity, azimuth), the azimuth difference wrapped to [0, pi]."""
    dphi = abs(phi1 - phi2)
    if dphi > np.pi:
        dphi = 2.0 * np.pi - dphi
    drap = rap1 - rap2
    return drap * drap + dphi * dphi


@numba.njit(cache=True, nogil=True)
def _tau_kernel(
    offsets,
    pt,
    rap,
    phi,
    keep,
    block,
    axis_rap,
    axis_phi,
    axis_ok,
    beta,
    r0,
    normalized,
    snap,
    taus,
):  # pragma: no cover (compiled)
    """``tau_N`` for N = 1 .. n_max of the jets ``keep[block]``. With ``snap`` (WTA axes) each
    axis is replaced by the (y, phi) of its nearest constituent (the first one on a tie):
    a WTA axis lies exactly along one constituent, whose exact values contrib keeps, while
    the axis four-momentum from FastJet only reproduces them to rounding, which matters for
    beta < 1 (a particle on its axis would get dR ~ 1e-16, not 0)."""
    n_max = axis_rap.shape[1]
    for b in block:
        jet = keep[b]
        start = offsets[jet]
        n = offsets[jet + 1] - start
        pt_sum = 0.0
        for p in range(n):
            pt_sum += pt[start + p]
        ax_rap = np.empty(n_max)
        ax_phi = np.empty(n_max)
        for big_n in range(n_max):
            if n <= big_n + 1:  # contrib: a jet with at most N constituents has tau_N = 0
                taus[jet, big_n] = 0.0
                continue
            for k in range(n_max):
                ax_rap[k] = axis_rap[b, big_n, k]
                ax_phi[k] = axis_phi[b, big_n, k]
                if snap:
                    best, best_d = 0, np.inf
                    for p in range(n):
                        d = _delta_r2(rap[start + p], phi[start + p], ax_rap[k], ax_phi[k])
                        if d < best_d:
                            best, best_d = p, d
                    ax_rap[k] = rap[start + best]
                    ax_phi[k] = phi[start + best]
            total = 0.0
            for p in range(n):
                min_d = np.inf
                for k in range(n_max):
                    if not axis_ok[b, big_n, k]:
                        continue
                    d = _delta_r2(rap[start + p], phi[start + p], ax_rap[k], ax_phi[k])
                    if d < min_d:
                        min_d = d
                total += pt[start + p] * (min_d if beta == 2.0 else min_d ** (0.5 * beta))
            if normalized:
                total = total / (pt_sum * r0**beta)
            taus[jet, big_n] = total


@numba.njit(cache=True, nogil=True)
def _onepass_kernel(
    offsets,
    pt,
    rap,
    phi,
    px,
    py,
    pz,
    keep,
    axis_rap,
    axis_phi,
    axis_mom,
    beta,
    accuracy,
    n_attempts,
):  # pragma: no cover (compiled)
    """Refine the exclusive-kT seed axes ``axis_rap/axis_phi/axis_mom[j, N-1, :N]`` of the
    jets ``keep`` in place by contrib's one-pass minimisation (``DefaultMeasure::
    UpdateAxesFast`` iterated by ``get_one_pass_axes``), for every N < number of constituents.

    One update: each constituent goes to its nearest axis (squared (y, phi) distance, the
    first axis on a tie; no cutoff, as for the Normalized/Unnormalized measures); the axis
    becomes ``(sum w_i y_i / sum w_i, sum w_i phi_i / sum w_i)`` with
    ``w_i = pT_i (DeltaR_ik^2 + accuracy^2)^(beta/2 - 1)`` (``DeltaR`` to the old axis) and
    ``phi_i`` shifted by 2 pi onto the branch within pi of the old axis; the new phi is
    mapped to ``[0, 2 pi)`` and the axis' momentum magnitude is that of the summed
    three-momenta of its constituents; an axis with no constituents stays put. Updates
    repeat while the mean distance the axes moved exceeds ``accuracy`` and at most
    ``n_attempts`` times. Finally each axis becomes contrib's massless four-vector
    (``LightLikeAxis::ConvertToPseudoJet``: ``E = |p|``, ``pz = tanh(y) E``) whose (y, phi)
    are recomputed with FastJet's formulas, as contrib measures tau_N from that four-vector.
    The arithmetic follows contrib's order, so the number of updates (hence the axes) agree;
    that matters for beta < 1, where an axis converges onto a constituent and tau_N
    depends on its last digits.
    """
    two_pi = 2.0 * np.pi
    n_max = axis_rap.shape[1]
    old_rap = np.empty(n_max)
    old_phi = np.empty(n_max)
    old_mom = np.empty(n_max)
    sum_rap = np.empty(n_max)
    sum_phi = np.empty(n_max)
    sum_w = np.empty(n_max)
    sum_px = np.empty(n_max)
    sum_py = np.empty(n_max)
    sum_pz = np.empty(n_max)
    eps2 = accuracy * accuracy
    for b in range(len(keep)):
        jet = keep[b]
        start = offsets[jet]
        n = offsets[jet + 1] - start
        for big_n in range(n_max):
            n_axes = big_n + 1
            if n <= n_axes:  # tau_N = 0: nothing to refine
                continue
            for k in range(n_axes):
                old_rap[k] = axis_rap[b, big_n, k]
                old_phi[k] = axis_phi[b, big_n, k]
                old_mom[k] = axis_mom[b, big_n, k]
            moved = np.inf
            attempts = 0
            while moved > accuracy and attempts < n_attempts:
                attempts += 1
                for k in range(n_axes):
                    sum_rap[k] = 0.0
                    sum_phi[k] = 0.0
                    sum_w[k] = 0.0
                    sum_px[k] = 0.0
                    sum_py[k] = 0.0
                    sum_pz[k] = 0.0
                for p in range(n):
                    q = start + p
                    best, best_d = -1, np.inf
                    for k in range(n_axes):
                        d = _delta_r2(old_rap[k], old_phi[k], rap[q], phi[q])
                        if d < best_d:
                            best, best_d = k, d
                    if best < 0:
                        continue
                    if beta == 1.0:
                        w = 1.0 / math.sqrt(eps2 + best_d)
                    elif beta == 2.0:
                        w = 1.0
                    elif beta == 0.0:
                        w = 1.0 / (eps2 + best_d)
                    else:
                        w = (eps2 + best_d) ** (0.5 * beta - 1.0)
                    sum_rap[best] += pt[q] * rap[q] * w
                    dphi = phi[q] - old_phi[best]
                    if abs(dphi) <= np.pi:
                        sum_phi[best] += pt[q] * phi[q] * w
                    elif dphi > np.pi:
                        sum_phi[best] += pt[q] * (-two_pi + phi[q]) * w
                    else:
                        sum_phi[best] += pt[q] * (two_pi + phi[q]) * w
                    sum_w[best] += pt[q] * w
                    sum_px[best] += px[q]
                    sum_py[best] += py[q]
                    sum_pz[best] += pz[q]
                moved = 0.0
                for k in range(n_axes):
                    if sum_w[k] == 0.0:
                        continue  # no constituent nearest to this axis: it stays (moved 0)
                    new_rap = sum_rap[k] / sum_w[k]
                    new_phi = np.fmod(sum_phi[k] / sum_w[k] + two_pi, two_pi)
                    moved += math.sqrt(_delta_r2(old_rap[k], old_phi[k], new_rap, new_phi))
                    old_rap[k] = new_rap
                    old_phi[k] = new_phi
                    old_mom[k] = math.sqrt(
                        sum_px[k] * sum_px[k] + sum_py[k] * sum_py[k] + sum_pz[k] * sum_pz[k]
                    )
                moved = moved / n_axes
            for k in range(n_axes):
                # massless four-vector of the axis, then FastJet's rap() and phi() of it
                e = old_mom[k]
                x = math.exp(2.0 * old_rap[k])
                a_pz = (x - 1.0) / (x + 1.0) * e
                a_pt = math.sqrt(e * e - a_pz * a_pz)
                a_px = math.cos(old_phi[k]) * a_pt
                a_py = math.sin(old_phi[k]) * a_pt
                a_rap, a_phi = rap_phi_one(a_px, a_py, a_pz, e)
                kt2 = a_px * a_px + a_py * a_py
                # |y| beyond double precision (pt^2 + m^2 == 0): keep the minimiser's rapidity
                if kt2 + max((e + a_pz) * (e - a_pz) - kt2, 0.0) <= 0.0:
                    a_rap = old_rap[k]
                axis_rap[b, big_n, k] = a_rap
                axis_phi[b, big_n, k] = a_phi
                axis_mom[b, big_n, k] = e
