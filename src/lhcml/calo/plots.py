"""Plots of the CaloGAN branch: shower shapes with ratio panels, mean shower images per layer,
time per shower against batch size, training curves, CaloChallenge metrics. PDF and PNG via lhcml.plotting."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from lhcml.calo import DISPLAY_NAMES
from lhcml.calo.showershapes import FEATURES, LABELS
from lhcml.plotting import save_figure, use_style

REF_STYLE = {"color": "black", "label": "Reference"}
GENERATOR_COLORS = {"gan": "tab:red", "flow": "tab:blue"}
GENERATOR_LABELS = {"gan": "GAN", "flow": "Flow"}


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


def _style(name):
    return {
        "color": GENERATOR_COLORS.get(name, "tab:green"),
        "label": GENERATOR_LABELS.get(name, name),
    }


def plot_shower_shapes(particle, ref_shapes, gen_shapes: dict, metrics: dict, *paths):
    """One panel per feature: normalised histograms (reference vs each generator of
    ``gen_shapes``, values outside the range in the edge bins), generator/reference ratios;
    the separation power of each generator in the title."""
    use_style()
    ncol = 5
    nrow = -(-len(FEATURES) // ncol)
    fig = plt.figure(figsize=(4 * ncol, 4.4 * nrow))
    outer = fig.add_gridspec(nrow, ncol, hspace=0.45, wspace=0.35)
    for k, f in enumerate(FEATURES):
        inner = outer[k // ncol, k % ncol].subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
        ax, rax = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
        a = np.asarray(ref_shapes[f], float)
        edges = _bins(a)
        ha, _ = np.histogram(np.clip(a, edges[0], edges[-1]), edges, density=True)
        ax.stairs(ha, edges, **REF_STYLE)
        titles = []
        for name, shapes in gen_shapes.items():
            b = np.asarray(shapes[f], float)
            hb, _ = np.histogram(np.clip(b, edges[0], edges[-1]), edges, density=True)
            ax.stairs(hb, edges, **_style(name))
            ratio = np.divide(hb, ha, out=np.full_like(hb, np.nan), where=ha > 0)
            rax.stairs(ratio, edges, color=_style(name)["color"])
            titles.append(f"{name} {metrics[name]['shower_shapes'][f]['separation_power']:.3f}")
        ax.set_title("sep. " + ", ".join(titles), fontsize=11)
        ax.tick_params(labelbottom=False, labelsize=11)
        rax.axhline(1, color="black", lw=1)
        rax.set_ylim(0, 2)
        rax.set_xlabel(LABELS[f], fontsize=13)
        rax.tick_params(labelsize=11)
        _sparse_ticks(ax, rax)
        if k % ncol == 0:
            rax.set_ylabel("Gen./Ref", fontsize=12)
            ax.set_ylabel("Density", fontsize=12)
        if k == 0:
            ax.legend(fontsize=12)
    fig.suptitle(f"{DISPLAY_NAMES.get(particle, particle)} shower shapes", fontsize=18, y=0.995)
    save_figure(fig, *paths)


def plot_mean_images(particle, ref, gens: dict, *paths):
    """Mean cell energy per layer (log colour scale): the reference (top row), then one row
    per generator of ``gens``."""
    use_style()
    rows = {"Reference": ref, **{GENERATOR_LABELS.get(n, n): g for n, g in gens.items()}}
    fig, axes = plt.subplots(
        len(rows),
        3,
        figsize=(18, 4.5 * len(rows)),
        squeeze=False,
        gridspec_kw={"width_ratios": (4, 1.5, 1.2)},
    )
    for i in range(3):
        images = [np.mean(s[f"layer_{i}"], axis=0) for s in rows.values()]
        positive = np.concatenate([im[im > 0] for im in images])
        vmin = max(positive.min(), positive.max() * 1e-5) if positive.size else 1e-6
        vmax = positive.max() if positive.size else 1.0
        for row, (image, name) in enumerate(zip(images, rows, strict=True)):
            ax = axes[row, i]
            mesh = ax.imshow(
                np.clip(image, vmin, None),
                aspect="auto",
                origin="lower",
                norm=LogNorm(vmin, vmax),
                cmap="viridis",
            )
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


def plot_timing(particle, timings: dict, *paths):
    """Seconds per shower against batch size: the reference simulator and each generator
    ({name: timing section}), log-log."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 7))
    first = next(iter(timings.values()))
    batches = [int(b) for b in first["reference_seconds_per_shower"]]
    ax.plot(
        batches, [first["reference_seconds_per_shower"][str(b)] for b in batches], "o-", **REF_STYLE
    )
    for name, timing in timings.items():
        ax.plot(
            batches,
            [timing["generator_seconds_per_shower"][str(b)] for b in batches],
            "o-",
            **_style(name),
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Batch size [showers]")
    ax.set_ylabel("Wall time per shower [s]")
    ax.set_title(f"{DISPLAY_NAMES.get(particle, particle)}: time per shower", fontsize=16)
    ax.legend()
    save_figure(fig, *paths)


def plot_training(particle, gan_history, flow_history, *paths):
    """Per epoch: critic loss, generator loss and Wasserstein estimate of the GAN (left);
    negative log-likelihood per cell of the shape flow (right)."""
    use_style()
    fig, (ax, fax) = plt.subplots(1, 2, figsize=(16, 7))
    epochs = np.arange(1, len(gan_history["critic_loss"]) + 1)
    for key, color in (
        ("critic_loss", "tab:blue"),
        ("generator_loss", "tab:orange"),
        ("wasserstein", "black"),
    ):
        ax.plot(epochs, gan_history[key], "o-", color=color, label=key.replace("_", " "))
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    ax.set_title("WGAN-GP", fontsize=16)
    ax.legend()
    nll = flow_history["nll"]
    fax.plot(np.arange(1, len(nll) + 1), nll, "o-", color=GENERATOR_COLORS["flow"])
    fax.set_xlabel("Epoch")
    fax.set_ylabel("NLL per cell (standardised codes) [nats]")
    fax.set_title("Shape flow", fontsize=16)
    fig.suptitle(f"{DISPLAY_NAMES.get(particle, particle)} training", fontsize=18)
    save_figure(fig, *paths)


def plot_metrics(particle, metrics: dict, *paths):
    """The CaloChallenge evaluation of each generator ({name: metrics entry}): separation
    power per feature (left, log scale) and a table of the classifier AUCs and JSDs, the
    training time and the time per shower (right)."""
    use_style()
    fig, (ax, tax) = plt.subplots(1, 2, figsize=(20, 8), gridspec_kw={"width_ratios": (3, 2)})
    x = np.arange(len(FEATURES))
    width = 0.8 / max(len(metrics), 1)
    for k, (name, entry) in enumerate(metrics.items()):
        values = [max(entry["shower_shapes"][f]["separation_power"], 1e-5) for f in FEATURES]
        ax.bar(x + (k - (len(metrics) - 1) / 2) * width, values, width, **_style(name))
    ax.set_yscale("log")
    ax.set_xticks(x, FEATURES, rotation=90, fontsize=10)
    ax.set_ylabel("Separation power")
    ax.legend()
    rows = []
    for name, entry in metrics.items():
        clf, timing = entry["classifier"], entry["timing"]
        per_shower = timing["generator_seconds_per_shower"]
        rows.append(
            [
                GENERATOR_LABELS.get(name, name),
                f"{clf['high_level']['auc']:.3f}",
                f"{clf['high_level']['jsd']:.3f}",
                f"{clf['cells']['auc']:.3f}",
                f"{clf['cells']['jsd']:.3f}",
                f"{entry['training']['train_seconds']:.0f}",
                " / ".join(f"{1e3 * per_shower[b]:.2g}" for b in per_shower),
            ]
        )
    tax.axis("off")
    batches = "/".join(metrics[next(iter(metrics))]["timing"]["generator_seconds_per_shower"])
    table = tax.table(
        cellText=rows,
        loc="center",
        colLabels=["", "AUC HL", "JSD HL", "AUC cells", "JSD cells", "train [s]", "ms/shower"],
    )
    table.auto_set_column_width(list(range(7)))
    tax.set_title(
        f"JSD in nats (ln 2 = separable); time per shower at batch {batches}", fontsize=12
    )
    table.auto_set_font_size(False)
    table.set_fontsize(11)
    table.scale(1, 2.2)
    fig.suptitle(f"{DISPLAY_NAMES.get(particle, particle)}: reference vs generated", fontsize=18)
    fig.tight_layout()
    save_figure(fig, *paths)
