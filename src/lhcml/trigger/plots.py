"""Plots of the trigger branch: ROC curves per class, accuracy vs BOPs (PDF + PNG)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from lhcml.plotting import label, save_figure, use_style
from lhcml.trigger import hls

COLOURS = {
    "float": "tab:blue",
    "qkeras": "tab:orange",
    "float_pruned": "tab:green",
    "qkeras_pruned": "tab:red",
}
NAMES = {
    "float": "Float",
    "qkeras": "QKeras",
    "float_pruned": "Float pruned",
    "qkeras_pruned": "QKeras pruned",
}


def roc_per_class(curves: dict, metrics: dict, classes, plot_dir: Path) -> None:
    """One plot per class: background efficiency (log) vs signal efficiency, one-vs-rest.

    Keras models solid, their hls4ml emulations dashed (as in the hls4ml tutorial); the
    legend gives each curve's AUC.
    """
    use_style()
    for cls in classes:
        fig, ax = plt.subplots(figsize=(10, 9))
        for (name, impl), per_class in curves.items():
            if cls not in per_class:
                continue
            fpr, tpr = per_class[cls]
            auc = metrics["models"][name][impl]["auc"][cls]
            ax.plot(
                tpr,
                fpr,
                color=COLOURS.get(name, "black"),
                linestyle="-" if impl == "keras" else "--",
                label=f"{NAMES.get(name, name)} {'Keras' if impl == 'keras' else 'hls4ml'}"
                f" (AUC {auc:.3f})",
            )
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 1.0)
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel(f"{cls} jet efficiency")
        ax.set_ylabel("Efficiency of the other jets")
        ax.legend(loc="lower right", fontsize=14)
        ax.grid(True, which="major", alpha=0.3)
        label(ax)
        save_figure(fig, plot_dir / f"roc_{cls}")


def accuracy_vs_bops(metrics: dict, path_base) -> None:
    """Test accuracy of every model (Keras and hls4ml) against its BOPs (log x)."""
    use_style()
    fig, ax = plt.subplots(figsize=(10, 8))
    markers = {"keras": ("o", 80, "Keras"), "hls4ml": ("x", 120, "hls4ml")}
    for name, entry in metrics["models"].items():
        for kind, (marker, size, what) in markers.items():
            if kind in entry:  # the hls4ml emulation only where the model was synthesised
                ax.scatter(
                    entry["bops"],
                    entry[kind]["accuracy"],
                    color=COLOURS.get(name, "black"),
                    marker=marker,
                    s=size,
                    label=f"{NAMES.get(name, name)} {what}",
                )
    ax.set_xscale("log")
    ax.set_xlabel("Bit operations (BOPs)")
    ax.set_ylabel("Test accuracy (5 classes)")
    ax.legend(fontsize=14)
    ax.grid(True, which="both", alpha=0.3)
    label(ax)
    save_figure(fig, path_base)


def _scatter_by_bits(ax, x, y, bits, marker: str, label: str):
    """Design points coloured by their bit width (4 to 16 bits, viridis)."""
    return ax.scatter(
        x, y, c=bits, cmap="viridis", vmin=4, vmax=16, marker=marker, s=90, label=label
    )


STRATEGY_MARKERS = {"Latency": "o", "Resource": "s", "distributed_arithmetic": "^"}


def pareto(summary: dict, path_base) -> None:
    """Emulated accuracy of every scan point against its cost: BOPs (left) and da4ml's LUT
    estimate (right); colour = bit width, marker = strategy, the Pareto front in BOPs as a
    line, the chosen design circled, the float model and the accuracy floor as lines."""

    use_style()
    points = summary["points"]
    bits = np.array([p["bits"] for p in points])
    acc = np.array([p["emulated"]["accuracy"] for p in points])
    costs = {
        "BOPs": np.array([p["estimates"]["bops"] for p in points]),
        f"LUT estimate ({summary['estimator']}, distributed arithmetic)": np.array(
            [p["estimates"]["da4ml"]["lut"] for p in points]
        ),
    }
    floor = summary["float"]["accuracy"] - summary["choice"]["max_accuracy_loss"]
    fig, axes = plt.subplots(1, 2, figsize=(18, 8), sharey=True)
    for ax, (xlabel, cost) in zip(axes, costs.items(), strict=True):
        for strategy, marker in STRATEGY_MARKERS.items():
            sel = np.array([p["strategy"] == strategy for p in points])
            if sel.any():
                sc = _scatter_by_bits(ax, cost[sel], acc[sel], bits[sel], marker, strategy)
        for j, p in enumerate(points):  # pruned points: their pruning fraction
            if p["pruning"] > 0:
                ax.annotate(
                    f"pruned {p['pruning']:.0%}",
                    (cost[j], acc[j]),
                    fontsize=11,
                    textcoords="offset points",
                    xytext=(8, -4),
                )
        if xlabel == "BOPs":
            front = np.array([p["pareto"] for p in points])
            order = np.argsort(cost[front])
            ax.plot(
                cost[front][order],
                acc[front][order],
                color="0.5",
                lw=1.5,
                zorder=0,
                label="Pareto front",
            )
        i = next(i for i, p in enumerate(points) if p["name"] == summary["chosen"])
        ax.scatter(
            cost[i],
            acc[i],
            s=400,
            facecolors="none",
            edgecolors="red",
            lw=2.5,
            label=f"chosen: {summary['chosen']}",
        )
        if xlabel == "BOPs":
            for name, ref in summary.get("trained_models", {}).items():
                ax.scatter(ref["bops"], ref["accuracy"], marker="*", s=250, color="black", zorder=3)
                ax.annotate(
                    f"{name} (trained, hls4ml)",
                    (ref["bops"], ref["accuracy"]),
                    textcoords="offset points",
                    xytext=(-10, 8),
                    ha="right",
                    fontsize=11,
                )
        ax.axhline(summary["float"]["accuracy"], color="tab:blue", ls="--", label="float (Keras)")
        ax.axhline(floor, color="tab:red", ls=":", label="accuracy floor of the choice")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(xlabel, fontsize=16)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("Emulated test accuracy (5 classes)")
    axes[0].legend(fontsize=12, loc="lower right")
    fig.colorbar(sc, ax=axes, label="bit width")
    label(axes[0])
    save_figure(fig, path_base)


def efficiency_vs_rate(l1: dict, curves: dict, scan: dict, path_base) -> None:
    """Left: W/Z efficiency vs L1 rate of the float network, the chosen design, the BDT and
    the 16-bit / lowest-bit scan points; right: the W/Z efficiency at the target rate of
    every scan point against its BOPs, with the float network and the BDT as lines."""

    use_style()
    designs = l1["designs"]
    target = l1["params"]["target_rate_khz"]
    fig, axes = plt.subplots(1, 2, figsize=(18, 8))
    ax = axes[0]
    shown = ["float (Keras)", "BDT (conifer)", scan["chosen"]]
    by_bits = sorted(scan["points"], key=lambda p: p["bits"])
    shown += [p["name"] for p in (by_bits[0], by_bits[-1]) if p["name"] not in shown]
    for name in shown:
        curve = curves[name]
        eff = curve["signal_efficiency"]
        ax.step(
            curve["rate_khz"],
            eff,
            where="post",
            label=f"{name} ({designs[name]['signal_efficiency']:.3f} at target)",
        )
    ax.axvline(target, color="tab:red", ls=":", label=f"target {target:g} kHz")
    ax.set_xscale("log")
    ax.set_xlabel(f"L1 rate [kHz] (QCD, pT > {l1['params']['pt_threshold']:g} GeV)")
    ax.set_ylabel("W/Z jet efficiency")
    ax.legend(fontsize=11, loc="lower right")
    ax.grid(True, which="both", alpha=0.3)
    label(ax)
    ax = axes[1]
    for strategy, marker in STRATEGY_MARKERS.items():
        pts = [p for p in scan["points"] if p["strategy"] == strategy]
        if pts:
            sc = _scatter_by_bits(
                ax,
                [p["estimates"]["bops"] for p in pts],
                [designs[p["name"]]["signal_efficiency"] for p in pts],
                [p["bits"] for p in pts],
                marker,
                strategy,
            )
    ax.axhline(
        designs["float (Keras)"]["signal_efficiency"],
        color="tab:blue",
        ls="--",
        label="float (Keras)",
    )
    ax.axhline(
        designs["BDT (conifer)"]["signal_efficiency"],
        color="tab:green",
        ls="-.",
        label="BDT (conifer)",
    )
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("BOPs")
    ax.set_ylabel(f"W/Z efficiency at {target:g} kHz", fontsize=18)
    ax.legend(fontsize=12)
    ax.grid(True, which="both", alpha=0.3)
    fig.colorbar(sc, ax=ax, label="bit width")
    save_figure(fig, path_base)


def profiling_plot(stats: dict, precision: dict, path_base) -> None:
    """hls4ml-style profile: box plots of log2 |non-zero values| per tensor, with the range
    of the chosen type (``2^(I-1)`` down to the smallest step ``2^(I-W)``) as a grey band.

    hls4ml's own ``hls4ml.model.profiling.numerical`` draws the same boxes (from the same
    statistics) but needs seaborn, which is not in this environment's lock.
    """
    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(16, 9))
    for ax, kinds, title in (
        (axes[0], ("weight", "bias"), "Weights and biases"),
        (axes[1], ("result",), "Activations"),
    ):
        boxes, labels, bands = [], [], []
        for layer, entry in stats.items():
            for kind in kinds:
                s = entry.get(kind)
                if s is None:
                    continue
                boxes.append({k: math.log2(v) for k, v in s.items()} | {"fliers": []})
                labels.append(f"{layer}/{kind}" if kind != "result" else layer)
                p = precision.get(layer, {}).get(kind)
                bands.append(hls._parse_fixed(p) if p else None)
        positions = np.arange(len(boxes))
        for pos, band in zip(positions, bands, strict=True):
            if band is not None:
                w, i = band
                ax.add_patch(plt.Rectangle((i - w, pos - 0.4), w, 0.8, color="0.85", zorder=0))
        ax.bxp(boxes, positions=positions, vert=False, showfliers=False)
        ax.set_yticks(positions, labels, fontsize=14)
        ax.set_xlabel(r"$\log_2 |x|$ (non-zero values)")
        ax.set_title(title, fontsize=18)
        ax.invert_yaxis()
    fig.tight_layout()
    save_figure(fig, path_base)
