"""da4ml's cost estimates of a quantised design (:func:`estimates`), apart from
:mod:`lhcml.trigger.scan`, which the Snakefile imports at parse time for the design points
and which therefore does not import da4ml."""

from __future__ import annotations

import math
from collections.abc import Mapping

import da4ml
import numpy as np
from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

from lhcml.trigger import bops as bops_mod
from lhcml.trigger import hls, models
from lhcml.trigger.scan import parse_fixed


def da4ml_version() -> str:
    return f"da4ml {da4ml.__version__}"


def _kif(precision: str, unsigned: bool) -> tuple[int, int, int]:
    width, integer = parse_fixed(precision)
    if unsigned:  # a ReLU output: the sign bit carries no information
        return 0, integer - 1, width - integer
    return 1, integer - 1, width - integer


def da4ml_layer(
    kernel: np.ndarray, bias: np.ndarray, input_precision: str, unsigned_input: bool
) -> dict:
    """da4ml's estimate of one dense layer ``x @ kernel + bias`` in distributed arithmetic.

    ``input_precision`` is the input's ``fixed<W,I>``; returns ``{"cost", "latency"}``
    (cost: estimated LUTs; latency: adder depth of the slowest output).
    """
    n_in = kernel.shape[0]
    k, i, f = _kif(input_precision, unsigned_input)
    inp = FixedVariableArray.from_kif(
        np.full(n_in, k, dtype=np.int16),
        np.full(n_in, i, dtype=np.int16),
        np.full(n_in, f, dtype=np.int16),
        HWConfig(1, -1, -1),
        solver_options={"hard_dc": 2, "search_all_decompose_dc": True},
    )
    out = inp @ np.asarray(kernel, dtype=np.float64) + np.asarray(bias, dtype=np.float64)
    sol = comb_trace(inp, out)
    return {"cost": float(sol.cost), "latency": float(sol.latency[1])}


def estimates(model, precision: Mapping, point: Mapping) -> dict:
    """BOPs, da4ml and analytic cost figures of a quantised design (module docstring)."""

    dense = models.dense_layers(model)
    kernels = {layer.name: layer.get_weights()[0] for layer in dense}
    zeros = {name: float(np.mean(k == 0)) for name, k in kernels.items()}
    shapes = [(layer.name, int(layer.input_shape[-1]), int(layer.units)) for layer in dense]
    described = bops_mod.describe_layers(shapes, zeros, point["bits"], point["bits"])
    bops = bops_mod.network_bops(described)
    layers, previous = {}, None
    for layer in dense:
        w, b = layer.get_weights()
        in_prec = hls.INPUT_PRECISION if previous is None else precision[previous]["result"]
        layers[layer.name] = da4ml_layer(w, b, in_prec, unsigned_input=previous is not None)
        previous = layer.name.replace("fc", "relu") if layer.name.startswith("fc") else None
    mults = int(sum(int(np.count_nonzero(k)) for k in kernels.values()))
    da = point["strategy"] == "distributed_arithmetic"
    return {
        "bops": bops["total"],
        "bops_per_layer": {k: v["bops"] for k, v in bops["layers"].items()},
        "sparsity": zeros,
        "da4ml": {
            "label": "estimate",
            "estimator": da4ml_version(),
            "applies_to": "this design"
            if da
            else "the same arithmetic in distributed arithmetic (this design uses multipliers)",
            "lut": sum(v["cost"] for v in layers.values()),
            "adder_depth": sum(v["latency"] for v in layers.values()),
            "layers": layers,
        },
        "analytic": {
            "label": "estimate (operation count)",
            "multiplications": mults,
            "multipliers": 0 if da else math.ceil(mults / point["reuse_factor"]),
            "ii_cycles": int(point["reuse_factor"]),
        },
    }
