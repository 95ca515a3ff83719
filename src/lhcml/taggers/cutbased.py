"""Cut-based single-variable taggers: the physics baselines beside every ML number.

``tau21`` and ``n2`` are smaller for two-prong (W/Z) jets than for one-prong QCD jets, so
the score is minus the variable (higher = more signal-like, like every tagger). N2 is NaN
for jets groomed to a single particle (no two-prong structure): they get the lowest score,
-inf, i.e. they fail every cut. Nothing is trained: the "model" records the variable.
"""

from __future__ import annotations

import json

import numpy as np

from lhcml.io import atomic_path
from lhcml.taggers.inputs import binary_jets, column, require_columns

#: Variables with a cut-based tagger, and the sign making higher scores signal-like.
VARIABLES = {"tau21": -1.0, "n2": -1.0}


class CutBasedTagger:
    kind = "cutbased"

    def __init__(self, variable: str):
        if variable not in VARIABLES:
            raise ValueError(f"no cut-based tagger for {variable!r} (have {', '.join(VARIABLES)})")
        self.variable = variable
        self.sign = VARIABLES[variable]
        self.features = [variable]

    def score(self, table) -> np.ndarray:
        require_columns(table, self.features, needed_by=f"the cut-based {self.variable} tagger")
        score = self.sign * column(table, self.variable, np.float64)
        return np.where(np.isnan(score), -np.inf, score)

    def save(self, path) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"variable": self.variable, "sign": self.sign}) + "\n")

    @classmethod
    def load(cls, path, meta: dict, threads: int = 1) -> CutBasedTagger:
        del meta, threads
        with open(path) as f:
            return cls(json.load(f)["variable"])


def train(train_table, val_table, variable: str):
    """Nothing to fit; returns ``(tagger, info)`` with the training-split class counts."""
    del val_table
    require_columns(train_table, [variable], needed_by=f"the cut-based {variable} tagger")
    y = column(train_table, "y")[binary_jets(train_table)]
    info = {
        "n_train": {"signal": 0, "background": 0},
        "n_train_available": {"signal": int((y == 1).sum()), "background": int((y == 0).sum())},
        "train_seconds": 0.0,
        "params": {"variable": variable},
    }
    return CutBasedTagger(variable), info


def load(path, meta: dict, threads: int = 1) -> CutBasedTagger:
    """A saved tagger (model file and its metadata)."""
    return CutBasedTagger.load(path, meta, threads)
