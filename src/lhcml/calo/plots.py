"""Plots of the CaloGAN branch: shower shapes with ratio panels, mean shower images per layer,
time per shower against batch size, GAN training curves. PDF and PNG via lhcml.plotting."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from lhcml.calo import DISPLAY_NAMES
from lhcml.calo.showershapes import FEATURES, LABELS
from lhcml.plotting import save_figure, use_style

REF_STYLE = {"color": "black", "label": "Reference"}
GAN_STYLE = {"color": "tab:red", "label": "GAN"}


def _sparse_ticks(*axes, nbins=4):
    """Few major and no minor ticks: drawing ticks dominates the cost of many small panels."""
    for ax in axes:
        ax.minorticks_off()
        ax.locator_params(axis="both", nbins=nbins)


def _bins(reference, n=40):
    """Bins over the central 99% of the reference (+5% margins); generated showers outside
    go into the first and last bins, so a few GAN outliers cannot squash the histogram."""
    lo, hi = np.percentile(reference, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    margin = 0.05 * (hi - lo)
    return np.linspace(lo - margin, hi + margin, n + 1)


def plot_shower_shapes(particle, ref_shapes, gen_shapes, distances, *paths):
    """One panel per feature: normalised histograms (reference vs GAN, values outside the range
    in the edge bins), GAN/reference ratio."""
    use_style()
    ncol = 5
    nrow = -(-len(FEATURES) // ncol)
    fig = plt.figure(figsize=(4 * ncol, 4.4 * nrow))
    outer = fig.add_gridspec(nrow, ncol, hspace=0.45, wspace=0.35)
    for k, f in enumerate(FEATURES):
        inner = outer[k // ncol, k % ncol].subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
        ax, rax = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
        a, b = np.asarray(ref_shapes[f], float), np.asarray(gen_shapes[f], float)
        edges = _bins(a)
        ha, _ = np.histogram(np.clip(a, edges[0], edges[-1]), edges, density=True)
        hb, _ = np.histogram(np.clip(b, edges[0], edges[-1]), edges, density=True)
        ax.stairs(ha, edges, **REF_STYLE)
        ax.stairs(hb, edges, **GAN_STYLE)
        ax.set_title(f"W1/std = {distances[f]['w1_over_std']:.3f}", fontsize=13)
        ax.tick_params(labelbottom=False, labelsize=11)
        ratio = np.divide(hb, ha, out=np.full_like(hb, np.nan), where=ha > 0)
        rax.stairs(ratio, edges, color="tab:red")
        rax.axhline(1, color="black", lw=1)
        rax.set_ylim(0, 2)
        rax.set_xlabel(LABELS[f], fontsize=13)
        rax.tick_params(labelsize=11)
        _sparse_ticks(ax, rax)
        if k % ncol == 0:
            rax.set_ylabel("GAN/Ref", fontsize=12)
            ax.set_ylabel("Density", fontsize=12)
        if k == 0:
            ax.legend(fontsize=12)
    fig.suptitle(f"{DISPLAY_NAMES.get(particle, particle)} shower shapes", fontsize=18, y=0.995)
    save_figure(fig, *paths)


def plot_mean_images(particle, ref, gen, *paths):
    """Mean cell energy per layer (log colour scale), reference (top) and GAN (bottom)."""
    use_style()
    fig, axes = plt.subplots(2, 3, figsize=(18, 9), gridspec_kw={"width_ratios": (4, 1.5, 1.2)})
    for i in range(3):
        images = [np.mean(ref[f"layer_{i}"], axis=0), np.mean(gen[f"layer_{i}"], axis=0)]
        positive = np.concatenate([im[im > 0] for im in images])
        vmin = max(positive.min(), positive.max() * 1e-5) if positive.size else 1e-6
        vmax = positive.max() if positive.size else 1.0
        for row, (image, name) in enumerate(zip(images, ("Reference", "GAN"), strict=True)):
            ax = axes[row, i]
            mesh = ax.imshow(np.clip(image, vmin, None), aspect="auto", origin="lower",
                             norm=LogNorm(vmin, vmax), cmap="viridis")  # fmt: skip
            ax.set_title(f"{name}, layer {i}", fontsize=14)
            ax.set_xlabel("x (eta) cell", fontsize=12)
            ax.set_ylabel("y (phi) cell", fontsize=12)
            ax.tick_params(labelsize=10)
            bar = fig.colorbar(mesh, ax=ax)
            bar.set_label("Mean energy [GeV]", fontsize=11)
            _sparse_ticks(ax)
            bar.ax.minorticks_off()
    fig.suptitle(f"{DISPLAY_NAMES.get(particle, particle)}: mean shower images", fontsize=18)
    fig.tight_layout()
    save_figure(fig, *paths)


def plot_timing(particle, timing, *paths):
    """Seconds per shower against batch size, reference simulator and GAN (log-log)."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 7))
    batches = [int(b) for b in timing["reference_seconds_per_shower"]]
    for key, style in (("reference_seconds_per_shower", REF_STYLE),
                       ("gan_seconds_per_shower", GAN_STYLE)):  # fmt: skip
        ax.plot(batches, [timing[key][str(b)] for b in batches], "o-", **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Batch size [showers]")
    ax.set_ylabel("Wall time per shower [s]")
    ax.set_title(f"{DISPLAY_NAMES.get(particle, particle)}: time per shower", fontsize=16)
    ax.legend()
    save_figure(fig, *paths)


def plot_training(particle, history, *paths):
    """Per-epoch critic loss, generator loss and Wasserstein estimate of the GAN training."""
    use_style()
    fig, ax = plt.subplots(figsize=(10, 7))
    epochs = np.arange(1, len(history["critic_loss"]) + 1)
    for key, color in (("critic_loss", "tab:blue"), ("generator_loss", "tab:orange"),
                       ("wasserstein", "black")):  # fmt: skip
        ax.plot(epochs, history[key], "o-", color=color, label=key.replace("_", " "))
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    ax.set_title(f"{DISPLAY_NAMES.get(particle, particle)} WGAN-GP training", fontsize=16)
    ax.legend()
    save_figure(fig, *paths)
