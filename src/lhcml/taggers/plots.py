"""Tagger plots: ROC curves, score distributions, QCD mass sculpting, BDT importance.

All histograms are weighted with the physics weights and normalised to unit area (shapes
are compared, not yields). Every figure goes through :func:`lhcml.plotting.save_figure`
(PDF + PNG, mplhep CMS style).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import mplhep
import numpy as np

from lhcml.plotting import label, save_figure, use_style
from lhcml.taggers import CUT_BASED_TAGGERS, DISPLAY_NAMES

#: Colours of the two classes in the distribution plots (CMS palette blue and red).
SIGNAL_COLOR, BACKGROUND_COLOR = "#3f90da", "#bd1f01"


def _plt():

    use_style()
    return plt


def _name(tagger: str) -> str:
    return DISPLAY_NAMES.get(tagger, tagger)


def _fmt_err(value, err, digits: int) -> str:
    if value is None:
        return r"$\infty$"
    if err is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} $\\pm$ {err:.{digits}f}"


def plot_roc(curves: dict, *paths) -> None:
    """Background rejection 1/eps_B (log) vs signal efficiency eps_S for all taggers.

    ``curves[tagger]`` has ``eps_s``, ``eps_b`` (arrays) and the metrics ``auc``,
    ``auc_err``, ``r50``, ``r50_err``. Cut-based taggers are drawn dashed.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 9))
    top = 10.0
    for tagger, c in curves.items():
        eps_s, eps_b = np.asarray(c["eps_s"]), np.asarray(c["eps_b"])
        ok = (eps_b > 0) & (eps_s > 0)
        rej = 1.0 / eps_b[ok]
        top = max(top, float(np.max(rej[eps_s[ok] >= 0.1])) if (eps_s[ok] >= 0.1).any() else top)
        legend = (
            f"{_name(tagger)}: AUC {_fmt_err(c['auc'], c.get('auc_err'), 3)}, "
            f"$R_{{50}}$ {_fmt_err(c['r50'], c.get('r50_err'), 1)}"
        )
        style = "--" if tagger in CUT_BASED_TAGGERS else "-"
        ax.plot(eps_s[ok], rej, style, lw=2.5, label=legend)
    x = np.linspace(0.01, 1, 200)
    ax.plot(x, 1 / x, ":", color="grey", lw=1.5, label="Random")
    ax.axvline(0.5, color="black", lw=1, ls=":", alpha=0.6)
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_ylim(1, top * 8)
    ax.set_xlabel(r"Signal efficiency $\varepsilon_\mathrm{S}$ (W/Z)")
    ax.set_ylabel(r"Background rejection $1/\varepsilon_\mathrm{B}$ (QCD)")
    legend = ax.legend(
        loc="upper right",
        fontsize=17,
        title="Test split, physics weights",
        title_fontsize=17,
        frameon=True,
        facecolor="white",
        edgecolor="none",
        framealpha=0.9,
    )
    legend.set_zorder(5)
    label(ax)
    save_figure(fig, *paths)


def _hist(values, weights, bins):
    counts, edges = np.histogram(values, bins=bins, weights=weights)
    total = counts.sum()
    widths = np.diff(edges)
    return (counts / total / widths if total > 0 else counts), edges


def _score_bins(score: np.ndarray, n: int = 50) -> np.ndarray:
    finite = score[np.isfinite(score)]
    lo, hi = float(finite.min()), float(finite.max())
    if lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + 1.0
    return np.linspace(lo, hi, n + 1)


def plot_scores(tagger: str, score, y, weight, threshold: float, *paths) -> None:
    """Score distributions of W/Z and QCD jets (unit area), with the 50%-signal cut."""

    plt = _plt()
    score, y, weight = np.asarray(score, np.float64), np.asarray(y), np.asarray(weight)
    bins = _score_bins(score)
    clipped = np.clip(score, bins[0], bins[-1])  # -inf (failed N2) lands in the first bin
    fig, ax = plt.subplots(figsize=(10, 8))
    for cls, text, color in (
        (0, "QCD (background)", BACKGROUND_COLOR),
        (1, "W/Z (signal)", SIGNAL_COLOR),
    ):
        sel = y == cls
        h, edges = _hist(clipped[sel], weight[sel], bins)
        mplhep.histplot(
            h,
            edges,
            ax=ax,
            label=text,
            color=color,
            lw=2,
            histtype="fill" if cls == 0 else "step",
            alpha=0.35 if cls == 0 else 1,
        )
    ax.axvline(
        threshold, color="black", ls="--", lw=1.5, label=r"cut at $\varepsilon_\mathrm{S}$ = 50%"
    )
    ax.set_yscale("log")
    ax.set_xlim(bins[0], bins[-1])
    ymax = ax.get_ylim()[1]
    ax.set_ylim(None, ymax * 20)
    xlabel = f"{_name(tagger)} score" if tagger not in CUT_BASED_TAGGERS else f"$-${_name(tagger)}"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Normalised to unit area")
    ax.legend(loc="upper left")
    label(ax)
    save_figure(fig, *paths)


def plot_msd_sculpting(
    tagger: str, msd, y, weight, score, threshold: float, msd_range, *paths, eps_b=None
) -> None:
    """QCD soft-drop mass before and after the cut keeping 50% of the W/Z jets.

    A tagger that learns the mass turns the smooth, falling QCD spectrum into a peak at
    the W/Z mass: the motivation for mass-decorrelated taggers.
    """

    plt = _plt()
    msd, y, weight = np.asarray(msd, np.float64), np.asarray(y), np.asarray(weight)
    passing = np.asarray(score, np.float64) >= threshold
    bins = np.linspace(msd_range[0], msd_range[1], 45)
    fig, ax = plt.subplots(figsize=(10, 8))
    qcd, sig = y == 0, y == 1
    h, edges = _hist(msd[qcd], weight[qcd], bins)
    mplhep.histplot(
        h, edges, ax=ax, histtype="fill", color=BACKGROUND_COLOR, alpha=0.25, label="QCD, all"
    )
    h, edges = _hist(msd[qcd & passing], weight[qcd & passing], bins)
    cut = (
        f"{_name(tagger)} cut"
        if eps_b is None
        else (f"{_name(tagger)} cut ($\\varepsilon_\\mathrm{{B}}$ = {100 * eps_b:.1f}%)")
    )
    mplhep.histplot(
        h, edges, ax=ax, histtype="step", color=BACKGROUND_COLOR, lw=2.5, label=f"QCD, pass {cut}"
    )
    h, edges = _hist(msd[sig & passing], weight[sig & passing], bins)
    mplhep.histplot(
        h,
        edges,
        ax=ax,
        histtype="step",
        color=SIGNAL_COLOR,
        lw=2,
        ls="--",
        label=r"W/Z, pass ($\varepsilon_\mathrm{S}$ = 50%)",
    )
    ax.set_xlim(bins[0], bins[-1])
    ax.set_ylim(0, ax.get_ylim()[1] * 1.35)
    ax.set_xlabel(r"Soft-drop mass $m_\mathrm{SD}$ [GeV]")
    ax.set_ylabel("Normalised to unit area [1/GeV]")
    ax.legend(loc="upper right", fontsize=18)
    label(ax)
    save_figure(fig, *paths)


def plot_importance(importance: dict[str, float], *paths) -> None:
    """BDT feature importance: share of the total split gain per input feature."""
    plt = _plt()
    names = sorted(importance, key=importance.get)
    values = [importance[n] for n in names]
    fig, ax = plt.subplots(figsize=(10, 8))
    ax.barh(range(len(names)), values, color=SIGNAL_COLOR)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.minorticks_off()
    ax.set_xlabel("Share of total gain")
    ax.set_xlim(0, max(values) * 1.15 if values and max(values) > 0 else 1)
    label(ax)
    save_figure(fig, *paths)
