"""Bit operations (BOPs) of dense networks, the FPGA-cost proxy of Hawks et al.

Reference: B. Hawks et al., "Ps and Qs: Quantization-aware pruning for efficient low latency
neural network inference", Front. AI 4 (2021) 676564, arXiv:2102.11289, after Baskin et al.
(UNIQ). A fully connected layer with ``n`` inputs and ``m`` outputs, ``b_w``-bit weights,
``b_a``-bit input activations and a fraction ``f_p`` of zero (pruned) weights costs

    BOPs = m * n * ((1 - f_p) * b_a * b_w + b_a + b_w + log2(n))

(multiplications of the non-zero weights plus the accumulation, whose width grows by
``log2 n`` bits). Conventions here: the float model is counted as ``ap_fixed<16,6>``
weights and activations (b_w = b_a = 16); a QKeras layer has ``b_w`` = its kernel
quantiser's bits and ``b_a`` = the bits of what feeds it (the first layer: the 16-bit
network input; later layers: the ``quantized_relu`` output bits). ``f_p`` is the measured
fraction of zero weights after quantisation, whether pruning or rounding made them zero,
since hls4ml drops multiplications by zero either way. Biases are not counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

FLOAT_BITS = 16  # ap_fixed<16,6>: the width the float model is counted at
INPUT_BITS = 16  # the network input (ap_fixed<16,6>)


def dense_bops(n_in: int, n_out: int, b_a: int, b_w: int, f_p: float = 0.0) -> float:
    """BOPs of one dense layer (see the module docstring); ``n_in`` = n, ``n_out`` = m."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"a dense layer needs n_in, n_out >= 1 (got {n_in}, {n_out})")
    if not 0.0 <= f_p <= 1.0:
        raise ValueError(f"pruned fraction f_p must be in [0, 1], got {f_p}")
    return n_out * n_in * ((1.0 - f_p) * b_a * b_w + b_a + b_w + math.log2(n_in))


def network_bops(layers: Sequence[dict]) -> dict:
    """Per-layer and total BOPs of a list of layers ``{name, n_in, n_out, b_a, b_w, f_p}``."""
    per_layer = {
        layer["name"]: {
            **{k: layer[k] for k in ("n_in", "n_out", "b_a", "b_w")},
            "f_p": round(float(layer["f_p"]), 6),
            "bops": dense_bops(
                layer["n_in"], layer["n_out"], layer["b_a"], layer["b_w"], layer["f_p"]
            ),
        }
        for layer in layers
    }
    return {"layers": per_layer, "total": sum(v["bops"] for v in per_layer.values())}


def describe_layers(
    shapes: Sequence[tuple[str, int, int]],
    zero_fraction: dict[str, float],
    weight_bits: int | None,
    activation_bits: int | None,
) -> list[dict]:
    """Layer descriptions for :func:`network_bops`.

    ``shapes`` is ``(name, n_in, n_out)`` per dense layer in order; ``weight_bits`` /
    ``activation_bits`` None means a float model (counted as 16-bit fixed point).
    """
    b_w = FLOAT_BITS if weight_bits is None else int(weight_bits)
    out = []
    for i, (name, n_in, n_out) in enumerate(shapes):
        if i == 0:
            b_a = INPUT_BITS
        else:
            b_a = FLOAT_BITS if activation_bits is None else int(activation_bits)
        out.append(
            {
                "name": name,
                "n_in": n_in,
                "n_out": n_out,
                "b_a": b_a,
                "b_w": b_w,
                "f_p": zero_fraction.get(name, 0.0),
            }
        )
    return out
