"""Tagger inputs: high-level jet features, padded constituents and the data split.

* :mod:`lhcml.features.highlevel`  tau21, tau32, N2, D2, rho, pT, eta, multiplicity
* :mod:`lhcml.features.constituents` leading constituents (relative pT, deta, dphi), padded
* :mod:`lhcml.features.split`      deterministic train/val/test assignment by event hash
* :mod:`lhcml.features.build`      the whole feature table from skimmed jet tables
"""

from lhcml.features.build import CLASS_BACKGROUND, CLASS_OTHER, CLASS_SIGNAL, build_feature_table
from lhcml.features.constituents import padded_constituents
from lhcml.features.highlevel import HIGH_LEVEL_FEATURES, high_level_features
from lhcml.features.split import assign_split, event_hash

__all__ = [
    "CLASS_BACKGROUND",
    "CLASS_OTHER",
    "CLASS_SIGNAL",
    "HIGH_LEVEL_FEATURES",
    "assign_split",
    "build_feature_table",
    "event_hash",
    "high_level_features",
    "padded_constituents",
]
