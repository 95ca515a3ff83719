"""Boosted W/Z vs QCD jet taggers (docs/physics.md, "Taggers").

=================  =========================================================  ==============
tagger             model                                                      inputs
=================  =========================================================  ==============
``bdt``            xgboost (hist), early stopping        (:mod:`.bdt`)         high-level
``dnn``            dense Keras network                   (:mod:`.dnn`)         high-level
``deepsets``       Deep Sets / Particle Flow Network     (:mod:`.deepsets`)    constituents
``tau21``, ``n2``  cut on one variable, the baselines    (:mod:`.cutbased`)    one feature
=================  =========================================================  ==============

Every tagger gives a score where higher means more signal-like. A trained tagger is two
files: the model (``model.json`` or ``model.keras``) and ``meta.json`` (kind, inputs,
scaler, training jets per class, training time, hyperparameters, seed, training history).
:mod:`.inputs` selects and checks the inputs, :mod:`.metrics` computes ROC, AUC and R50,
:mod:`.workflow` holds what the Snakemake scripts call, :mod:`.plots` the plots. Other
stages load a saved tagger with :func:`load_tagger`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

from lhcml.io import read_json

#: Machine-learning taggers and the module of each.
ML_TAGGERS: dict[str, str] = {
    "bdt": "lhcml.taggers.bdt",
    "dnn": "lhcml.taggers.dnn",
    "deepsets": "lhcml.taggers.deepsets",
}
#: Cut-based baseline taggers (score = minus the variable).
CUT_BASED_TAGGERS: tuple[str, ...] = ("tau21", "n2")
ALL_TAGGERS: tuple[str, ...] = (*ML_TAGGERS, *CUT_BASED_TAGGERS)

#: Names for plot legends.
DISPLAY_NAMES: dict[str, str] = {
    "bdt": "BDT",
    "dnn": "DNN",
    "deepsets": "Deep Sets",
    "tau21": r"$\tau_{21}$",
    "n2": r"$N_{2}$",
}


def kind_of(tagger: str) -> str:
    """``bdt``, ``dnn``, ``deepsets`` or ``cutbased``."""
    if tagger in ML_TAGGERS:
        return tagger
    if tagger in CUT_BASED_TAGGERS:
        return "cutbased"
    raise ValueError(f"unknown tagger {tagger!r} (known: {', '.join(ALL_TAGGERS)})")


def module_of(tagger: str) -> ModuleType:
    """The module implementing a tagger (imported on demand: TensorFlow only if needed)."""
    kind = kind_of(tagger)
    return importlib.import_module(ML_TAGGERS.get(kind, "lhcml.taggers.cutbased"))


#: File name of each kind's model inside a tagger's folder results/models/{tagger}/model/:
#: XGBoost's JSON, native Keras, or the cut-based taggers' JSON record.
MODEL_FILES: dict[str, str] = {
    "bdt": "model.json",
    "dnn": "model.keras",
    "deepsets": "model.keras",
    "cutbased": "model.json",
}


def model_file(tagger: str) -> str:
    """File name of a tagger's model inside its folder results/models/{tagger}/model/."""
    return MODEL_FILES[kind_of(tagger)]


def model_path_in(path: str | os.PathLike, tagger: str) -> Path:
    """The model file of ``tagger``: ``path`` itself, or, where ``path`` is a model folder
    (the workflow's ``results/models/{tagger}/model/``), the file in it named by the
    tagger's kind (``model.json`` for xgboost and the cut-based taggers, ``model.keras``)."""
    path = Path(path)
    return path / model_file(tagger) if path.is_dir() or not path.suffix else path


def load_tagger(model_path, meta_path, threads: int = 1):
    """A saved tagger (model file or folder, see :func:`model_path_in`, and its meta.json),
    ready to ``score`` feature tables: what every stage that rescores jets calls."""

    meta = read_json(meta_path)
    return module_of(meta["tagger"]).load(
        model_path_in(model_path, meta["tagger"]), meta, threads=threads
    )


__all__ = [
    "ALL_TAGGERS",
    "CUT_BASED_TAGGERS",
    "DISPLAY_NAMES",
    "ML_TAGGERS",
    "MODEL_FILES",
    "kind_of",
    "load_tagger",
    "model_file",
    "model_path_in",
    "module_of",
]
