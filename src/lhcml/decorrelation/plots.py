"""Decorrelation plots: the R50 vs 1/JSD plane, QCD mass spectra at fixed QCD efficiency.

Histograms use the physics weights and unit area (shapes are compared). Every figure goes
through :func:`lhcml.plotting.save_figure` (PDF + PNG, mplhep CMS style).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import mplhep
import numpy as np

from lhcml.decorrelation import display_name
from lhcml.plotting import label, save_figure, use_style

#: Colours of the QCD spectra at decreasing QCD efficiency.
CUT_COLORS = ("#3f90da", "#e76300", "#832db6", "#1845fb")
MARKERS = {True: "o", False: "s"}
#: Legend symbols of the scanned parameters.
SCAN_SYMBOLS = {"lambda": r"$\lambda$", "mass_bandwidth": r"$h_m$"}


def _plt():

    use_style()
    return plt


def plot_plane(summary: dict, *paths) -> None:
    """1/JSD vs R50 (log-log) of every tagger, with the scan curves.

    Filled circles: decorrelated taggers; open squares: the others; lines: the scans of
    the decorrelation strength (labelled), as in Kasieczka & Shih (2020), Fig. 2: lambda
    for the networks, the smooth map's mass bandwidth for the DDTs. The dotted line joins
    the finite-statistics ceilings of 1/JSD at the taggers' R50 (random cuts passing the
    same QCD jets, ``inv_jsd_random_cut``). Taggers with infinite R50 or 1/JSD are left out.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 9))
    cycle = [*plt.get_cmap("tab10").colors, "black"]  # ten taggers, distinct colours
    names = list(summary["taggers"]) + [m for m in summary["scan"] if m not in summary["taggers"]]
    colors = {t: cycle[i % len(cycle)] for i, t in enumerate(names)}  # a scan = its tagger
    parameters = summary.get("scan_parameters", {})
    for method, points in summary["scan"].items():
        pts = [p for p in points if p["r50"] is not None and p["inv_jsd"] is not None]
        if not pts:
            continue
        x = [p["r50"] for p in pts]
        y = [p["inv_jsd"] for p in pts]
        color = colors[method]
        name = parameters.get(method, "lambda")
        symbol = SCAN_SYMBOLS.get(name, name)
        ax.plot(
            x, y, "-", color=color, lw=1.5, alpha=0.7, label=f"{display_name(method)} {symbol} scan"
        )
        ax.errorbar(
            x,
            y,
            xerr=[p["r50_err"] or 0 for p in pts],
            yerr=[p["inv_jsd_err"] or 0 for p in pts],
            fmt=".",
            color=color,
            ms=6,
            lw=1,
            capsize=0,
        )
        for p in pts:
            ax.annotate(
                f"{symbol}={p[name]:g}",
                (p["r50"], p["inv_jsd"]),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=13,
                color=color,
            )
    ceiling = sorted(
        (e["r50"], e["inv_jsd_random_cut"])
        for e in summary["taggers"].values()
        if e["r50"] is not None and e.get("inv_jsd_random_cut") is not None
    )
    if ceiling:
        ax.plot(
            *zip(*ceiling, strict=True),
            ":",
            color="grey",
            lw=2,
            label="random cut, same QCD efficiency",
        )
    for tagger, e in summary["taggers"].items():
        if e["r50"] is None or e["inv_jsd"] is None:
            continue
        md = e["decorrelated"]
        ax.errorbar(
            e["r50"],
            e["inv_jsd"],
            xerr=e["r50_err"] or 0,
            yerr=e["inv_jsd_err"] or 0,
            fmt=MARKERS[md],
            ms=12,
            mfc=None if md else "none",
            mew=2,
            lw=1.5,
            color=colors[tagger],
            label=display_name(tagger),
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(
        r"Background rejection $R_{50}$ = $1/\varepsilon_\mathrm{B}$ at "
        r"$\varepsilon_\mathrm{S}$ = 50%"
    )
    ax.set_ylabel(r"1/JSD (QCD $m_\mathrm{SD}$, pass vs fail)")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * 4)
    _shade_target(ax, summary)
    ax.legend(
        loc="upper right",
        fontsize=14,
        ncol=2,
        frameon=True,
        facecolor="white",
        edgecolor="none",
        framealpha=0.9,
    )
    label(ax)
    save_figure(fig, *paths)


def _shade_target(ax, summary: dict) -> None:
    """Shade the former target of the stage (half the reference's R50 at ten times its
    1/JSD): a diagnostic only, the tagger is chosen by the fit (inference stage)."""
    ref = (summary.get("comparison") or {}).get("reference")
    entry = summary["taggers"].get(ref) if ref else None
    if not entry or not entry["r50"] or not entry["inv_jsd"]:
        return
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    ax.fill_between(
        [0.5 * entry["r50"], xlim[1]],
        10 * entry["inv_jsd"],
        ylim[1],
        color="green",
        alpha=0.08,
        lw=0,
        label=f"1/2 R50, 10x 1/JSD of {display_name(ref)} (diagnostic)",
    )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def plot_spectra(tagger, y, score, msd, weight, cuts: dict, jsds: dict, msd_range, *paths) -> None:
    """QCD m_SD (unit area) before and after cuts at fixed QCD efficiencies.

    ``cuts`` = {QCD efficiency: threshold}, ``jsds`` = {efficiency as '%g' string: JSD}.
    An unsculpted tagger keeps the spectrum's shape at every efficiency.
    """

    plt = _plt()
    y, score = np.asarray(y), np.asarray(score, np.float64)
    msd, weight = np.asarray(msd, np.float64), np.asarray(weight, np.float64)
    qcd = y == 0
    bins = np.linspace(msd_range[0], msd_range[1], 45)
    fig, ax = plt.subplots(figsize=(10, 8))

    def hist(sel):
        h, edges = np.histogram(msd[sel], bins=bins, weights=weight[sel])
        return (h / h.sum() / np.diff(edges) if h.sum() > 0 else h), edges

    h, edges = hist(qcd)
    mplhep.histplot(h, edges, ax=ax, histtype="fill", color="grey", alpha=0.3, label="QCD, all")
    for (eff, cut), color in zip(sorted(cuts.items(), reverse=True), CUT_COLORS, strict=False):
        h, edges = hist(qcd & (score >= cut))
        jsd = jsds.get(f"{eff:g}")
        text = f"pass $\\varepsilon_\\mathrm{{B}}$ = {100 * eff:g}%"
        if jsd is not None:
            text += f" (JSD {jsd:.3f})"
        mplhep.histplot(h, edges, ax=ax, histtype="step", color=color, lw=2.5, label=text)
    ax.set_xlim(bins[0], bins[-1])
    ax.set_ylim(0, ax.get_ylim()[1] * 1.4)
    ax.set_xlabel(r"Soft-drop mass $m_\mathrm{SD}$ [GeV]")
    ax.set_ylabel("Normalised to unit area [1/GeV]")
    ax.legend(
        loc="upper right", fontsize=17, title=f"QCD jets, {display_name(tagger)}", title_fontsize=17
    )
    label(ax)
    save_figure(fig, *paths)
