"""High-level jet features from the skimmed jet table (docs/physics.md, "Features").

=============  ==================================================================
``pt``         jet transverse momentum, GeV
``eta``        jet pseudorapidity
``msd``        soft-drop mass, GeV (the fit variable; not a tagger input by default)
``tau21``      tau2 / tau1 (N-subjettiness ratio; 0 when tau1 = 0)
``tau32``      tau3 / tau2 (0 when tau2 = 0)
``n2``         N2 (beta = 1) of the soft-drop groomed jet
``d2``         D2 (beta = 1) of the soft-drop groomed jet
``rho``        ln(msd^2 / pT^2), the scaling variable of the mass-to-pT ratio
               (NaN-free: msd is floored at 0.01 GeV)
``nconst``     number of jet constituents
=============  ==================================================================
"""

from __future__ import annotations

import numpy as np

#: Feature names in the order the taggers use them.
HIGH_LEVEL_FEATURES: tuple[str, ...] = (
    "pt",
    "eta",
    "msd",
    "tau21",
    "tau32",
    "n2",
    "d2",
    "rho",
    "nconst",
)

MSD_FLOOR = 0.01  # GeV: keeps rho finite for jets groomed to a single massless particle


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def high_level_features(columns) -> dict[str, np.ndarray]:
    """The high-level features from skim columns (``fj_pt``, ``fj_tau1``, ...).

    ``columns`` is any mapping (or awkward record array) with the skim's ``fj_*`` fields.
    Returns float32 arrays (``nconst`` as int32).
    """
    pt = np.asarray(columns["fj_pt"], dtype=np.float64)
    msd = np.asarray(columns["fj_msoftdrop"], dtype=np.float64)
    return {
        "pt": pt.astype(np.float32),
        "eta": np.asarray(columns["fj_eta"], dtype=np.float32),
        "msd": msd.astype(np.float32),
        "tau21": _ratio(columns["fj_tau2"], columns["fj_tau1"]).astype(np.float32),
        "tau32": _ratio(columns["fj_tau3"], columns["fj_tau2"]).astype(np.float32),
        "n2": np.asarray(columns["fj_n2b1"], dtype=np.float32),
        "d2": np.asarray(columns["fj_d2b1"], dtype=np.float32),
        "rho": (2.0 * np.log(np.maximum(msd, MSD_FLOOR) / pt)).astype(np.float32),
        "nconst": np.asarray(columns["fj_nconst"], dtype=np.int32),
    }
