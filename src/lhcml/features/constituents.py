"""Leading jet constituents as fixed-size, zero-padded arrays.

For each jet the ``n`` highest-pT constituents are described by

* ``rel_pt``: pT / jet pT,
* ``deta``:   eta - jet eta,
* ``dphi``:   phi - jet phi wrapped into [-pi, pi),

ordered by decreasing pT and zero-padded (with ``mask`` = False) when a jet has fewer
than ``n`` constituents. Zero padding with an explicit mask is what permutation-invariant
(Deep Sets / Particle Flow) networks expect.
"""

from __future__ import annotations

import awkward as ak
import numpy as np


def padded_constituents(
    pfc_pt: ak.Array,
    pfc_eta: ak.Array,
    pfc_phi: ak.Array,
    jet_pt: np.ndarray,
    jet_eta: np.ndarray,
    jet_phi: np.ndarray,
    n: int,
) -> dict[str, np.ndarray]:
    """Padded (n_jets, n) float32 arrays ``rel_pt``, ``deta``, ``dphi`` and bool ``mask``.

    Constituents are re-sorted by pT here, so the input order does not matter.
    """
    order = ak.argsort(pfc_pt, axis=1, ascending=False)
    pt, eta, phi = pfc_pt[order], pfc_eta[order], pfc_phi[order]
    jet_pt = np.asarray(jet_pt, dtype=np.float64)[:, None]
    jet_eta = np.asarray(jet_eta, dtype=np.float64)[:, None]
    jet_phi = np.asarray(jet_phi, dtype=np.float64)[:, None]

    def pad(values: ak.Array) -> np.ndarray:
        padded = ak.fill_none(ak.pad_none(values, n, axis=1, clip=True), 0.0)
        return np.asarray(ak.to_numpy(padded), dtype=np.float64).reshape(len(jet_pt), n)

    mask = pad(ak.ones_like(pt)) > 0
    rel_pt = pad(pt) / jet_pt
    deta = pad(eta) - jet_eta
    dphi = np.mod(pad(phi) - jet_phi + np.pi, 2 * np.pi) - np.pi
    return {
        "rel_pt": np.where(mask, rel_pt, 0.0).astype(np.float32),
        "deta": np.where(mask, deta, 0.0).astype(np.float32),
        "dphi": np.where(mask, dphi, 0.0).astype(np.float32),
        "mask": mask,
    }
