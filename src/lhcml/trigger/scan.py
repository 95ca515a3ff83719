"""Design-space scan of the FPGA trigger network: bit width, reuse factor, pruning, strategy.

A design point is ``{bits, reuse_factor, pruning, strategy}``. Every point starts from the
trained float network 16-64-32-32-5 (post-training quantisation, as in part 2 of the hls4ml
tutorial; the quantisation-aware QKeras models stay in ``metrics.json``):

1. *pruning*: the smallest-magnitude fraction ``pruning`` of every kernel is set to zero
   (:func:`magnitude_prune`, no retraining);
2. *bits*: every weight, bias and layer output gets ``ap_fixed<bits, I>``, with the integer
   bits ``I`` (sign included) from a numerical profile of the pruned network on training
   jets (:func:`lhcml.trigger.hls.profile_precisions`, ``guard_bits`` more on activations;
   layer outputs round to nearest and saturate, ``AP_RND, AP_SAT``, instead of hls4ml's
   default truncation and wrap-around, which bias and overflow at low widths);
   the weights and biases are rounded to that grid in the Keras model itself
   (:func:`quantise`: nearest, saturated), so the C++ types hold them exactly and the
   distributed-arithmetic optimiser sees constants on the grid. The network input stays
   ``ap_fixed<16,6>``; the softmax tables are those of ``trigger.hls.softmax``;
3. *strategy* and *reuse_factor* go to hls4ml (``Latency``, ``Resource`` or
   ``distributed_arithmetic``; the last, hls4ml >= 1.2 with da4ml, needs reuse factor 1).

Each point is converted, compiled (``g++``) and emulated bit-accurately on the test jets.

Points: ``trigger.scan.base`` and, one axis at a time, every value of ``trigger.scan.bits``,
``reuse_factor``, ``pruning`` and ``strategy`` with the other axes at their base value
(:func:`design_points`, duplicates removed). Point names read ``b8_rf1_p0.50_Latency``.

Cost figures of every point (:func:`estimates`), all **estimates**, none from a vendor tool:

* BOPs (:mod:`lhcml.trigger.bops`) of the quantised, pruned dense layers;
* da4ml's cost model (C. Sun et al., da4ml, arXiv:2507.04535): each dense layer's
  constant-matrix-vector product ``x @ W + b`` with the input's fixed-point range is
  solved as a distributed-arithmetic adder graph (:func:`da4ml.trace.comb_trace`); its
  ``cost`` is an estimate of LUTs and its latency the adder depth. For a
  ``distributed_arithmetic`` point this is the design as hls4ml generates it; for a
  ``Latency`` or ``Resource`` point (multipliers, usually DSPs) it is the LUT cost the same
  arithmetic would have in distributed arithmetic (labelled so);
* analytic counts: non-zero multiplications, multipliers ``ceil(mults / reuse_factor)``
  and initiation interval ``reuse_factor`` cycles (io_parallel: each multiplier is used
  ``reuse_factor`` times per inference; 0 multipliers for distributed arithmetic).

Real latency, II and DSP/LUT/FF/BRAM come only from C synthesis (vivado_hls / vitis-run on
PATH and ``trigger.hls.synthesize``), as for the single models.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from lhcml.trigger import hls

log = logging.getLogger("lhcml.trigger.scan")

AXES = ("bits", "reuse_factor", "pruning", "strategy")
STRATEGIES = ("Latency", "Resource", "distributed_arithmetic")
#: Preference among strategies at equal cost in the choice (no DSPs first).
STRATEGY_PREFERENCE = {"distributed_arithmetic": 0, "Latency": 1, "Resource": 2}
DEFAULT_SCAN = {
    "base": {"bits": 8, "reuse_factor": 1, "pruning": 0.0, "strategy": "Latency"},
    "bits": [4, 6, 8, 10, 12, 16],
    "reuse_factor": [1, 2, 4],
    "pruning": [0.0, 0.5, 0.75],
    "strategy": ["Latency", "Resource", "distributed_arithmetic"],
    "groups": 2,
    "profile_jets": 5000,
    "choice": {"max_accuracy_loss": 0.01, "max_ii": 1},
}


def _check_point(point: Mapping, key: str) -> dict:
    p = dict(point)
    bits, rf, prune, strategy = (p.get(a) for a in AXES)
    if not isinstance(bits, int) or not 4 <= bits <= 16:
        raise ValueError(
            f"config key '{key}.bits': bit width must be an integer in [4, 16], got {bits!r}"
        )
    if not isinstance(rf, int) or rf < 1:
        raise ValueError(f"config key '{key}.reuse_factor': must be an integer >= 1, got {rf!r}")
    if not isinstance(prune, int | float) or not 0.0 <= prune < 1.0:
        raise ValueError(f"config key '{key}.pruning': must be in [0, 1), got {prune!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"config key '{key}.strategy': {strategy!r} is not one of {STRATEGIES}")
    if strategy == "distributed_arithmetic" and rf != 1:
        raise ValueError(
            f"config key '{key}': strategy distributed_arithmetic needs reuse_factor 1, got {rf}"
        )
    return {"bits": bits, "reuse_factor": rf, "pruning": float(prune), "strategy": strategy}


def point_name(point: Mapping) -> str:
    """``b{bits}_rf{reuse}_p{pruning:.2f}_{strategy}``."""
    return f"b{point['bits']}_rf{point['reuse_factor']}_p{point['pruning']:.2f}_{point['strategy']}"


def design_points(scan: Mapping) -> list[dict]:
    """The base point, then each axis' values with the others at base (no duplicates).

    Each point is ``{name, bits, reuse_factor, pruning, strategy}``. A value that is not
    valid with the base (distributed arithmetic with a base reuse factor > 1, a reuse
    factor > 1 with a distributed-arithmetic base) raises ``ValueError`` naming the key.
    """
    s = {**DEFAULT_SCAN, **scan}
    base = _check_point({**DEFAULT_SCAN["base"], **s["base"]}, "trigger.scan.base")
    points = [base]
    for axis in AXES:
        for value in s[axis]:
            points.append(_check_point({**base, axis: value}, f"trigger.scan.{axis}"))
    out, seen = [], set()
    for p in points:
        name = point_name(p)
        if name not in seen:
            seen.add(name)
            out.append({"name": name, **p})
    return out


def group_points(points: Sequence[dict], groups: int) -> list[list[dict]]:
    """Round-robin split of the points into at most ``groups`` non-empty jobs."""
    n = max(1, min(int(groups), len(points)))
    return [list(points[i::n]) for i in range(n)]


# --- Quantisation and pruning ---------------------------------------------------------------


def magnitude_prune(kernel: np.ndarray, fraction: float) -> np.ndarray:
    """``kernel`` with its ``round(fraction * size)`` smallest-|w| entries set to zero."""
    kernel = np.array(kernel, dtype=np.float64, copy=True)
    n = int(round(float(fraction) * kernel.size))
    if n > 0:
        order = np.argsort(np.abs(kernel), axis=None, kind="stable")[:n]
        kernel.flat[order] = 0.0
    return kernel


def parse_fixed(text: str) -> tuple[int, int]:
    """``(W, I)`` of ``fixed<W,I>`` / ``ap_fixed<W,I,...>``."""
    return hls._parse_fixed(text)


def quantise(values: np.ndarray, width: int, integer: int) -> np.ndarray:
    """Round to the grid of ``ap_fixed<width, integer>`` (nearest), saturated to its range
    ``[-2^(I-1), 2^(I-1) - 2^(I-W)]``."""
    step = 2.0 ** (integer - width)
    lo, hi = -(2.0 ** (integer - 1)), 2.0 ** (integer - 1) - step
    return np.clip(np.round(np.asarray(values, dtype=np.float64) / step) * step, lo, hi)


# --- Estimates ----------------------------------------------------------------------------


# --- Choice -------------------------------------------------------------------------------


def pareto_front(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Boolean mask of the points no other point beats (lower-or-equal cost and higher-or-
    equal accuracy, one of them strictly)."""
    cost, accuracy = np.asarray(cost, float), np.asarray(accuracy, float)
    front = np.ones(len(cost), dtype=bool)
    for i in range(len(cost)):
        better = (
            (cost <= cost[i])
            & (accuracy >= accuracy[i])
            & ((cost < cost[i]) | (accuracy > accuracy[i]))
        )
        front[i] = not better.any()
    return front


def choose(
    points: Sequence[Mapping], reference_accuracy: float, max_accuracy_loss: float, max_ii: int
) -> str:
    """The chosen design: among the points whose emulated accuracy is at least
    ``reference_accuracy - max_accuracy_loss`` and whose initiation interval is at most
    ``max_ii`` cycles, the one with the fewest BOPs; ties go to the lower da4ml LUT
    estimate, then to the strategy without DSPs (:data:`STRATEGY_PREFERENCE`).

    ``points`` are scan records (``name``, ``strategy``, ``emulated.accuracy``,
    ``estimates``). Raises ``ValueError`` when no point qualifies.
    """
    floor = reference_accuracy - max_accuracy_loss
    ok = [
        p
        for p in points
        if p["emulated"]["accuracy"] >= floor and p["estimates"]["analytic"]["ii_cycles"] <= max_ii
    ]
    if not ok:
        raise ValueError(
            f"no scan point reaches accuracy {floor:.4f} (float {reference_accuracy:.4f} minus "
            f"trigger.scan.choice.max_accuracy_loss) with II <= {max_ii} "
            "(trigger.scan.choice.max_ii)"
        )
    best = min(
        ok,
        key=lambda p: (
            p["estimates"]["bops"],
            p["estimates"]["da4ml"]["lut"],
            STRATEGY_PREFERENCE[p["strategy"]],
        ),
    )
    return best["name"]
