"""N-subjettiness tau_1 .. tau_N of jets given as constituent arrays.

References: J. Thaler, K. Van Tilburg, "Identifying Boosted Objects with N-subjettiness",
JHEP 03 (2011) 015, arXiv:1011.2268; "Maximizing Boosted Top Identification by Minimizing
N-subjettiness", JHEP 02 (2012) 093, arXiv:1108.2701; A. J. Larkoski, D. Neill, J. Thaler,
"Jet Shapes with the Broadening Axis", JHEP 04 (2014) 017, arXiv:1401.2158 (WTA axes).
The definitions reproduce FastJet-contrib's ``Nsubjettiness`` (``fastjet::contrib::
Nsubjettiness`` with ``WTA_KT_Axes`` / ``KT_Axes`` and ``NormalizedMeasure`` /
``UnnormalizedMeasure``).
"""

from __future__ import annotations

import warnings

import awkward as ak
import fastjet
import numba
import numpy as np

from .inputs import (
    FlatKinematics,
    flat_kinematics,
    jets_as_events,
    multiplicity_blocks,
    rap_phi,
)

__all__ = ["nsubjettiness"]

_AXES_RECOMBINATION = {
    # contrib WTA_KT_Axes: exclusive kT, WinnerTakeAllRecombiner (pt-weighted, alpha = 1),
    # which is FastJet's WTA_pt_scheme: the merged axis takes the harder branch's (y, phi).
    "wta_kt": "WTA_pt_scheme",
    # contrib KT_Axes: exclusive kT with E-scheme (four-vector sum) recombination.
    "kt": "E_scheme",
}

# Keep the (jets, particles, N, axes) distance array of one block below this many elements.
_BLOCK_ELEMENTS = 2_000_000


def nsubjettiness(
    constituents: ak.Array,
    n_max: int = 4,
    beta: float = 1.0,
    r0: float = 0.8,
    axes: str = "wta_kt",
    normalized: bool = True,
) -> np.ndarray:
    """N-subjettiness ``tau_1 .. tau_{n_max}`` for every jet.

    ``tau_N = sum_i pT_i min_k (DeltaR_ik)^beta``, summed over the jet's constituents ``i``,
    minimised over the N axes ``k``, with ``DeltaR^2 = Delta y^2 + Delta phi^2`` (rapidity
    ``y``, FastJet's ``squared_distance``). With ``normalized=True`` (contrib's
    ``NormalizedMeasure(beta, r0)``) this is divided by ``sum_i pT_i r0^beta`` and is
    dimensionless; with ``normalized=False`` (``UnnormalizedMeasure(beta)``) it is in GeV and
    ``r0`` is unused.

    Axes (exclusive jets, no one-pass minimisation), obtained with one FastJet clustering of
    each jet's constituents and ``exclusive_jets_up_to(N)`` for N = 1 .. n_max:

    * ``"wta_kt"`` -- contrib's ``WTA_KT_Axes``: exclusive kT clustering to N jets at
      ``R = JetDefinition.max_allowable_R`` (1000) with winner-take-all pT recombination;
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
    axes : {"wta_kt", "kt"}
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

    axis_rap, axis_phi, axis_ok = _exclusive_axes(constituents, keep, n_max, axes)
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


def _exclusive_axes(
    constituents: ak.Array, keep: np.ndarray, n_max: int, axes: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exclusive-kT axes of the non-empty jets ``keep`` for N = 1 .. n_max.

    Returns ``rap, phi, ok`` of shape ``(len(keep), n_max, n_max)``: entry ``[j, N-1, k]`` is
    axis ``k`` of the N-axis set of jet ``keep[j]``; ``ok`` is False for missing axes (jets
    with fewer than N constituents).
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
    axis_ok = np.zeros(shape, dtype=bool)
    with warnings.catch_warnings():
        # fastjet warns about exclusive jets for every JetDefinition object (it compares the
        # definition with the algorithm enum); exclusive kT jets are well defined.
        warnings.simplefilter("ignore")
        cs = fastjet.ClusterSequence(events, jetdef)
        for n in range(1, n_max + 1):
            ax = cs.exclusive_jets_up_to(n)
            n_ax = np.asarray(ak.num(ax, axis=1), dtype=np.int64)
            rap, phi = rap_phi(
                *(np.asarray(ak.flatten(ax[name], axis=1)) for name in ("px", "py", "pz", "E"))
            )
            row = np.repeat(np.arange(len(keep)), n_ax)
            slot = np.arange(len(row)) - np.repeat(np.cumsum(n_ax) - n_ax, n_ax)
            axis_rap[row, n - 1, slot] = rap
            axis_phi[row, n - 1, slot] = phi
            axis_ok[row, n - 1, slot] = True
    return axis_rap, axis_phi, axis_ok


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
        kin.offsets, kin.pt, kin.rap, kin.phi, keep, block, axis_rap, axis_phi, axis_ok,
        float(beta), float(r0), bool(normalized), bool(snap_to_constituents), taus,
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _tau_kernel(
    offsets, pt, rap, phi, keep, block, axis_rap, axis_phi, axis_ok,
    beta, r0, normalized, snap, taus,
):  # pragma: no cover (compiled)  # fmt: skip
    """``tau_N`` for N = 1 .. n_max of the jets ``keep[block]``. With ``snap`` (WTA axes) each
    axis is replaced by the (y, phi) of its nearest constituent (the first one on a tie):
    a WTA axis lies exactly along one constituent, whose exact values contrib keeps, while
    the axis four-momentum from FastJet only reproduces them to rounding, which matters for
    beta < 1 (a particle on its axis would get dR ~ 1e-16, not 0)."""
    two_pi = 2.0 * np.pi
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
                        dphi = abs(phi[start + p] - ax_phi[k])
                        if dphi > np.pi:
                            dphi = two_pi - dphi
                        drap = rap[start + p] - ax_rap[k]
                        d = drap * drap + dphi * dphi
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
                    dphi = abs(phi[start + p] - ax_phi[k])
                    if dphi > np.pi:
                        dphi = two_pi - dphi
                    drap = rap[start + p] - ax_rap[k]
                    d = drap * drap + dphi * dphi
                    if d < min_d:
                        min_d = d
                total += pt[start + p] * (min_d if beta == 2.0 else min_d ** (0.5 * beta))
            if normalized:
                total = total / (pt_sum * r0**beta)
            taus[jet, big_n] = total
