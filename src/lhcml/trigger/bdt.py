"""A boosted decision tree for the FPGA: xgboost, converted with conifer, emulated in C++.

As in part 6 of the hls4ml tutorial: a multi-class xgboost model (``multi:softprob``,
one tree per class and boosting round) on the same 16 standardised, clipped inputs as the
networks, converted with conifer (S. Summers et al., JINST 15 (2020) P05026; T. Aarrestad
et al.) to its C++ backend: the trees with ``ap_fixed`` thresholds and scores
(``trigger.bdt.precision``), compiled with ``g++`` into a Python module whose
``decision_function`` is the bit-accurate emulation of the FPGA firmware (the HLS and VHDL
backends share its arithmetic). Its outputs are the per-class sums of the tree scores
(margins); the class probabilities are their softmax, as in xgboost.

Two conifer details handled here:

* the C++ backend includes ``ap_fixed.h`` (taken from hls4ml's bundled ap_types, or from
  ``XILINX_AP_INCLUDE`` when set) and ``nlohmann/json.hpp``, which the conifer 1.11 wheel does not ship: it comes
  from the PyPI package ``nlohmann-json`` (in the lock), whose include directory is put on
  g++'s ``CPATH`` (:func:`json_include_dir`); a system copy (Debian ``nlohmann-json3-dev``)
  also works;
* xgboost >= 3 stores a multi-class model's intercept (``base_score``) already as margins,
  one per class; conifer 1.11 takes their logit, which is wrong (NaN for negative values),
  so the intercept is set from the booster (:func:`base_margin`).

Resources and latency: da4ml estimates dense arithmetic only and has no BDT model, and
conifer gives figures only from its HLS / VHDL synthesis backends (Vivado / Vitis), so the
BDT gets its size (trees, nodes, leaves, depth) and no resource estimate.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import time
from pathlib import Path

import conifer
import numpy as np
import xgboost as xgb

log = logging.getLogger("lhcml.trigger.bdt")

DEFAULT_BDT = {
    "n_estimators": 20,
    "max_depth": 4,
    "learning_rate": 0.3,
    "precision": "ap_fixed<24,8>",
}


def ap_include_dir() -> str:
    """Directory with ``ap_fixed.h``: ``XILINX_AP_INCLUDE`` or hls4ml's bundled copy."""
    env = os.environ.get("XILINX_AP_INCLUDE")
    if env and Path(env, "ap_fixed.h").is_file():
        return env
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        raise RuntimeError("hls4ml is not installed: it provides the ap_fixed.h headers")
    path = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    if not (path / "ap_fixed.h").is_file():
        raise RuntimeError(f"no ap_fixed.h in {path}; set XILINX_AP_INCLUDE")
    return str(path)


def json_include_dir() -> str | None:
    """The include directory of the PyPI package ``nlohmann-json``, or None if absent."""
    spec = importlib.util.find_spec("nlohmann_json")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "include"
    return str(path) if (path / "nlohmann" / "json.hpp").is_file() else None


def check_compiler() -> None:
    """Put ``nlohmann/json.hpp`` on g++'s ``CPATH``; raise ``RuntimeError`` if either is missing."""
    gxx = shutil.which("g++")
    if gxx is None:
        raise RuntimeError("g++ is not on PATH: conifer's C++ emulation needs it")
    cpath = [d for d in os.environ.get("CPATH", "").split(":") if d]
    packaged = json_include_dir()
    if packaged and packaged not in cpath:
        cpath.insert(0, packaged)
        os.environ["CPATH"] = ":".join(cpath)
    # g++'s own search path: CPATH, then the system include directories
    search = [*cpath, "/usr/local/include", "/usr/include"]
    if not any(Path(d, "nlohmann", "json.hpp").is_file() for d in search):
        raise RuntimeError(
            "nlohmann/json.hpp not found (conifer's C++ backend includes it): install the "
            "PyPI package nlohmann-json (it is in requirements.lock) or put a copy on CPATH"
        )


def train(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, params: dict, seed: int, threads: int = 1
):
    """A multi-class ``xgboost.XGBClassifier`` (``multi:softprob``, hist) on ``x``."""

    p = {**DEFAULT_BDT, **params}
    model = xgb.XGBClassifier(
        n_estimators=int(p["n_estimators"]),
        max_depth=int(p["max_depth"]),
        learning_rate=float(p["learning_rate"]),
        objective="multi:softprob",
        tree_method="hist",
        random_state=int(seed),
        n_jobs=int(threads),
    )
    model.fit(x, y, sample_weight=weight)
    return model


def margins(model, x: np.ndarray) -> np.ndarray:
    """xgboost's raw per-class scores ``(n, n_classes)`` (float64)."""

    booster = model.get_booster()
    return np.asarray(booster.predict(xgb.DMatrix(x), output_margin=True), dtype=np.float64)


def base_margin(booster) -> list[float]:
    """The per-class intercept of an xgboost >= 3 multi-class booster, in margin space."""
    learner = json.loads(booster.save_raw("json"))["learner"]
    values = learner["learner_model_param"]["base_score"].strip("[]").split(",")
    return [float(v) for v in values]


def convert(model, output_dir, precision: str):
    """The conifer C++ model of ``model`` in ``output_dir`` (not yet compiled)."""
    cfg = conifer.backends.cpp.auto_config()
    cfg["OutputDir"] = str(output_dir)
    cfg["ProjectName"] = "l1_bdt"
    for key in ("InputPrecision", "ThresholdPrecision", "ScorePrecision"):
        cfg[key] = precision
    booster = model.get_booster()
    cmodel = conifer.converters.convert_from_xgboost(booster, cfg)
    intercept = base_margin(booster)
    if len(intercept) == cmodel.n_classes:
        cmodel.init_predict = intercept
    return cmodel


def compile_and_emulate(cmodel, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Compile the C++ emulation (g++) and run it on ``x``: ``(margins, compile seconds)``."""
    check_compiler()
    os.environ["XILINX_AP_INCLUDE"] = ap_include_dir()
    start = time.perf_counter()
    cmodel.compile()
    seconds = time.perf_counter() - start
    log.info("compiled the conifer model in %.1f s", seconds)
    return np.asarray(cmodel.decision_function(np.asarray(x, dtype=np.float64))), seconds


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax (max-subtracted)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def size(model) -> dict:
    """Trees, nodes, leaves and maximum depth of the xgboost model."""
    frame = model.get_booster().trees_to_dataframe()
    leaves = int((frame["Feature"] == "Leaf").sum())
    return {
        "trees": int(frame["Tree"].nunique()),
        "nodes": int(len(frame)),
        "leaves": leaves,
        "max_depth": int(model.get_params()["max_depth"]),
    }
