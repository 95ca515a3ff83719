"""hls4ml: configuration, conversion, bit-accurate C++ emulation, optional synthesis.

Flow per model (FastML Science, hls4ml tutorial; Duarte et al., JINST 13 (2018) P07027):

1. ``hls4ml.utils.config_from_keras_model(model, granularity="name")`` gives one entry per
   layer. For a QKeras model the weight, bias and ReLU types follow from the quantisers
   (accumulators and Dense outputs ``auto``: wide enough to be exact). For the float model
   the types come from a numerical profile (:func:`profile_precisions`): each weight, bias
   and activation tensor gets ``ap_fixed<width, I>`` with the integer bits ``I`` the
   smallest that hold its largest magnitude on the profiling data (plus ``guard_bits`` for
   activations, which may exceed the profile on new data), the rest fractional.
2. ``convert_from_keras_model`` with the configured backend (Vivado or Vitis), ``io_parallel``,
   the FPGA part, clock period, strategy and reuse factor; the project is written to
   ``results/trigger/hls4ml_prj/<model>/`` (firmware sources, weights, build scripts).
3. ``compile()`` builds the project's C++ (``g++``, needs no Xilinx tool) into a shared
   library; ``predict()`` then runs the bit-accurate fixed-point emulation of the firmware.
4. Synthesis (latency, II, DSP/LUT/FF/BRAM from the C-synthesis report) runs only when the
   backend's tool (``vivado_hls`` for Vivado, ``vitis-run`` for Vitis) is on PATH and the
   config allows it; otherwise the result says ``"synthesized": false`` and why.

The network inputs are the standardised, clipped features (:class:`~lhcml.trigger.models.
Preprocessor`); the input type ``ap_fixed<16,6>`` (range [-32, 32)) holds them.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np

from lhcml.tf_setup import alias_keras_to_tf_keras

log = logging.getLogger("lhcml.trigger.hls")

#: Backend -> the command that hls4ml's ``build()`` needs for synthesis.
HLS_TOOLS = {"Vivado": "vivado_hls", "Vitis": "vitis-run"}
INPUT_PRECISION = "fixed<16,6>"  # = lhcml.trigger.models.INPUT_WIDTH, INPUT_INTEGER
#: Lookup-table softmax (the "stable" implementation, max-subtracted). hls4ml's default
#: tables (1024 entries, ap_fixed<18,8> sum and inverse) index the inverse of the sum of
#: exponentials in steps of 1/4 and move outputs by up to ~0.1; these types index it in
#: steps of 2^-9 and the exponentials in steps of 2^-6 or finer (QKeras: ap_fixed<18,7>
#: logits), and give outputs in [0, 1) with 16 fractional bits.
DEFAULT_SOFTMAX = {
    "table_size": 4096,
    "exp_table": "fixed<18,8,RND,SAT>",
    "inv_table": "fixed<18,4,RND,SAT>",
    "inv_inp": "ufixed<18,3,RND,SAT>",
    "result": "ufixed<16,0,RND,SAT>",
}

DEFAULT_HLS = {
    "backend": "Vitis",
    "part": "xcvu13p-flga2577-2-e",
    "clock_period": 5.0,
    "io_type": "io_parallel",
    "strategy": "Latency",
    "reuse_factor": 1,
    "float_width": 16,
    "guard_bits": 1,
    "emulation_jets": 0,
    "synthesize": False,
    "softmax": DEFAULT_SOFTMAX,
}


def import_hls4ml():
    """Import hls4ml with ``import keras`` resolving to tf_keras (docs/trigger.md)."""

    alias_keras_to_tf_keras()
    import hls4ml

    return hls4ml


# --- Profiling (float model) --------------------------------------------------------------


def summary_stats(values: np.ndarray) -> dict | None:
    """Box-plot statistics of ``|values|`` over the non-zero entries (hls4ml's definition:
    median, quartiles, minimum and maximum); None when every entry is zero."""
    a = np.abs(np.asarray(values, dtype=np.float64).ravel())
    a = a[a != 0]
    if a.size == 0:
        return None
    return {
        "med": float(np.median(a)),
        "q1": float(np.percentile(a, 25)),
        "q3": float(np.percentile(a, 75)),
        "whislo": float(a.min()),
        "whishi": float(a.max()),
    }


def integer_bits(max_abs: float) -> int:
    """Integer bits ``I`` (sign included) of the smallest ``ap_fixed<W, I>`` holding
    ``+-max_abs``: ``2^(I-1) > max_abs``."""
    if max_abs <= 0:
        return 1
    return max(1, math.floor(math.log2(max_abs)) + 2)


def layer_tensors(model, x: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per layer: its weights (``weight``, ``bias``) and its output on ``x`` (``result``)."""
    import tf_keras as keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    outputs = probe.predict(x, batch_size=4096, verbose=0)
    out = {"features": {"result": np.asarray(x)}}
    for layer, y in zip(layers, outputs, strict=True):
        entry = {"result": np.asarray(y)}
        weights = layer.get_weights()
        if weights:
            entry["weight"], entry["bias"] = weights[0], weights[1]
        out[layer.name] = entry
    return out


def profile_precisions(model, x: np.ndarray, width: int = 16, guard_bits: int = 1) -> dict:
    """The float model's fixed-point types from a numerical profile on ``x``.

    Returns ``{"precision": {layer: {weight|bias|result: "fixed<W,I>"}}, "stats": ...}``
    with the box-plot statistics of every tensor (:func:`summary_stats`). The input layer
    keeps :data:`INPUT_PRECISION`; the softmax output is left to hls4ml.
    """
    precision, stats = {}, {}
    for name, tensors in layer_tensors(model, x).items():
        precision[name], stats[name] = {}, {}
        for kind, values in tensors.items():
            s = summary_stats(values)
            stats[name][kind] = s
            if name in ("features", "softmax") and kind == "result":
                continue
            bits = integer_bits(s["whishi"] if s else 0.0) + (guard_bits if kind == "result" else 0)
            precision[name][kind] = f"fixed<{width},{min(bits, width)}>"
    precision["features"] = {"result": INPUT_PRECISION}
    return {"precision": precision, "stats": stats, "width": width, "guard_bits": guard_bits}


def _parse_fixed(text: str) -> tuple[int, int]:
    inner = text[text.index("<") + 1 : text.index(">")].split(",")
    return int(inner[0]), int(inner[1])


# --- Configuration and conversion ---------------------------------------------------------


def hls_config(hls4ml, model, params: dict, precisions: dict | None = None) -> dict:
    """The per-layer hls4ml configuration of ``model``.

    ``precisions`` (from :func:`profile_precisions`, float model only) overrides the
    weight, bias and result types layer by layer.
    """
    p = {**DEFAULT_HLS, **params}
    config = hls4ml.utils.config_from_keras_model(
        model, granularity="name", backend=p["backend"], default_precision=INPUT_PRECISION
    )
    config["Model"]["ReuseFactor"] = int(p["reuse_factor"])
    config["Model"]["Strategy"] = p["strategy"]
    layers = config["LayerName"]
    for entry in layers.values():
        if "ReuseFactor" in entry:
            entry["ReuseFactor"] = int(p["reuse_factor"])
    layers["features"]["Precision"] = {"result": INPUT_PRECISION}
    softmax = {**DEFAULT_SOFTMAX, **p.get("softmax", {})}
    for name, entry in layers.items():
        if name == "softmax":
            entry["TableSize"] = int(softmax["table_size"])
            # hls4ml takes the table types from the layer attributes <name>_t (a Precision
            # entry alone is ignored for them); the Precision entries record what is used
            prec = entry.setdefault("Precision", {})
            for kind in ("exp_table", "inv_table", "inv_inp"):
                entry[f"{kind}_t"] = prec[kind] = softmax[kind]
            prec["result"] = softmax["result"]
    for name, types in (precisions or {}).items():
        if name not in layers:
            continue
        prec = layers[name].setdefault("Precision", {})
        prec.update(types)
    return config


def convert(hls4ml, model, config: dict, output_dir, params: dict):
    """``convert_from_keras_model`` into ``output_dir`` (io_parallel etc. from ``params``)."""
    p = {**DEFAULT_HLS, **params}
    return hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=config,
        output_dir=str(output_dir),
        backend=p["backend"],
        io_type=p["io_type"],
        part=p["part"],
        clock_period=p["clock_period"],
    )


def compile_model(hls_model) -> float:
    """Write the project and compile the C++ emulation; returns the wall time in seconds."""
    start = time.perf_counter()
    hls_model.compile()
    seconds = time.perf_counter() - start
    log.info("compiled the hls4ml project in %.1f s", seconds)
    return seconds


def emulate(hls_model, x: np.ndarray) -> np.ndarray:
    """Bit-accurate emulation outputs ``(n_jets, n_classes)`` (float64) on ``x``."""
    y = hls_model.predict(np.ascontiguousarray(x, dtype=np.float32))
    return np.asarray(y, dtype=np.float64).reshape(len(x), -1)


# --- Synthesis ----------------------------------------------------------------------------


def hls_tool(backend: str) -> str | None:
    """Path of the synthesis command of ``backend`` on PATH, or None."""
    try:
        return shutil.which(HLS_TOOLS[backend])
    except KeyError:
        raise ValueError(
            f"unknown hls4ml backend {backend!r} (known: {sorted(HLS_TOOLS)})"
        ) from None


def synthesize(hls_model, backend: str, allowed: bool) -> dict:
    """Run C synthesis if possible; always returns ``{"synthesized": bool, ...}``.

    Without the tool or with ``allowed`` False the result is ``{"synthesized": False,
    "reason": ...}``; otherwise the parsed report (:func:`synthesis_summary`).
    """
    if not allowed:
        return {
            "synthesized": False,
            "reason": "synthesis disabled in config (trigger.hls.synthesize)",
        }
    tool = hls_tool(backend)
    if tool is None:
        return {
            "synthesized": False,
            "reason": f"{HLS_TOOLS[backend]} (the {backend} HLS tool) is not on PATH",
        }
    log.info("running C synthesis with %s", tool)
    start = time.perf_counter()
    report = hls_model.build(csim=False, synth=True, vsynth=False)
    result = synthesis_summary(report)
    result["synthesis_seconds"] = time.perf_counter() - start
    return result


def _number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else value


def synthesis_summary(report: dict | None) -> dict:
    """Latency, initiation interval and resources from hls4ml's parsed synthesis report.

    ``report`` is what ``ModelGraph.build()`` / ``hls4ml.report.parse_vivado_report``
    return; a report without ``CSynthesisReport`` counts as a failed synthesis.
    """
    csynth = (report or {}).get("CSynthesisReport")
    if not csynth:
        return {"synthesized": False, "reason": "no C-synthesis report was produced"}
    keys = {
        "latency_best_cycles": "BestLatency",
        "latency_worst_cycles": "WorstLatency",
        "ii_min_cycles": "IntervalMin",
        "ii_max_cycles": "IntervalMax",
        "clock_target_ns": "TargetClockPeriod",
        "clock_estimated_ns": "EstimatedClockPeriod",
        "dsp": "DSP",
        "lut": "LUT",
        "ff": "FF",
        "bram_18k": "BRAM_18K",
        "uram": "URAM",
        "available_dsp": "AvailableDSP",
        "available_lut": "AvailableLUT",
        "available_ff": "AvailableFF",
        "available_bram_18k": "AvailableBRAM_18K",
    }
    out = {"synthesized": True}
    out.update({k: _number(csynth.get(v)) for k, v in keys.items() if v in csynth})
    return out


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished project ``src`` to ``dst`` (replacing an old one)."""
    dst = Path(dst)
    if dst.exists():
        shutil.rmtree(dst)
    os.replace(src, dst)
