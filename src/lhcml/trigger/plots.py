"""Plots of the trigger branch: ROC curves per class, accuracy vs BOPs (PDF + PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from lhcml.plotting import label, save_figure, use_style

COLOURS = {"float": "tab:blue", "qkeras": "tab:orange", "float_pruned": "tab:green",
           "qkeras_pruned": "tab:red"}  # fmt: skip
NAMES = {"float": "Float", "qkeras": "QKeras", "float_pruned": "Float pruned",
         "qkeras_pruned": "QKeras pruned"}  # fmt: skip


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
            ax.plot(tpr, fpr, color=COLOURS.get(name, "black"),
                    linestyle="-" if impl == "keras" else "--",
                    label=f"{NAMES.get(name, name)} {'Keras' if impl == 'keras' else 'hls4ml'}"
                          f" (AUC {auc:.3f})")  # fmt: skip
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
    for name, entry in metrics["models"].items():
        colour = COLOURS.get(name, "black")
        ax.scatter(entry["bops"], entry["keras"]["accuracy"], color=colour, marker="o", s=80,
                   label=f"{NAMES.get(name, name)} Keras")  # fmt: skip
        if "hls4ml" in entry:
            ax.scatter(entry["bops"], entry["hls4ml"]["accuracy"], color=colour, marker="x",
                       s=120, label=f"{NAMES.get(name, name)} hls4ml")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("Bit operations (BOPs)")
    ax.set_ylabel("Test accuracy (5 classes)")
    ax.legend(fontsize=14)
    ax.grid(True, which="both", alpha=0.3)
    label(ax)
    save_figure(fig, path_base)
