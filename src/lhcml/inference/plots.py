"""Inference plots (mplhep style, PDF + PNG): the mass fits with pulls, toy pulls, impacts,
profile scans, the AMS scans, the injection scan and the tagger choice."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from lhcml.decorrelation import display_name
from lhcml.plotting import label, save_figure, use_style


def _finish(fig, ax, fits: dict, paths, legend_size: int) -> None:
    """Legend, experiment label with the luminosity of ``fits`` (all share it), save."""
    ax.legend(fontsize=legend_size)
    label(ax, lumi_fb=next(iter(fits.values()))["lumi_fb"])
    save_figure(fig, *paths)


def plot_fit(tagger: str, fit: dict, curves: dict, paths) -> None:
    """Pseudo-data with the post-fit total and background, and a pull panel."""

    use_style()
    fig, (ax, axp) = plt.subplots(
        2, 1, figsize=(10, 10), sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05}
    )
    low, high = fit["fit_range"]
    if fit.get("valid") and "postfit_total" in curves:
        edges = np.asarray(curves["edges"])
        data = np.asarray(curves["data"])
        total = np.asarray(curves["postfit_total"])
        bkg = np.asarray(curves["postfit_background"])
        centres = 0.5 * (edges[1:] + edges[:-1])
        ax.stairs(
            bkg,
            edges,
            fill=True,
            color="tab:blue",
            alpha=0.25,
            label="Background (Bernstein, post-fit)",
        )
        ax.stairs(total - bkg, edges, color="tab:red", lw=2, label=r"W + Z signal (post-fit)")
        ax.stairs(total, edges, color="black", lw=2, label="Total (post-fit)")
        ax.errorbar(
            centres, data, yerr=np.sqrt(data), fmt="o", color="black", ms=4, label="Pseudo-data"
        )
        axp.bar(
            centres,
            (data - total) / np.sqrt(np.maximum(total, 1e-9)),
            width=np.diff(edges),
            color="grey",
            edgecolor="black",
        )
        text = (
            rf"$\hat\mu = {fit['mu']:.3f} \pm {fit['mu_stat']:.3f}$ (stat) "
            rf"$\pm {fit['mu_syst']:.3f}$ (syst)"
            + "\n"
            + f"Z obs {fit.get('significance') or 0:.1f}$\\sigma$, "
            f"exp {fit.get('expected_significance') or 0:.1f}$\\sigma$"
        )
        ax.text(0.97, 0.55, text, transform=ax.transAxes, ha="right", va="top", fontsize=15)
        ax.set_yscale("log")
    else:
        ax.text(
            0.5,
            0.5,
            f"fit invalid: {fit.get('reason')}",
            transform=ax.transAxes,
            ha="center",
            fontsize=12,
            color="tab:red",
            wrap=True,
        )
    ax.set_ylabel("Events / bin")
    ax.legend(title=f"{display_name(tagger)} pass region", fontsize=14, loc="upper right")
    ax.set_xlim(low, high)
    axp.axhline(0, color="black", lw=1)
    axp.set_ylim(-3.5, 3.5)
    axp.set_ylabel("Pull")
    axp.set_xlabel(r"Soft-drop mass $m_{SD}$ [GeV]")
    label(ax, lumi_fb=fit["lumi_fb"])
    save_figure(fig, *paths)


def plot_toys(tagger: str, toys: dict, paths) -> None:
    """Toy pulls of mu and of each nuisance parameter (mean and width per parameter)."""

    use_style()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(16, 8))
    summary = toys.get("summary")
    pulls = toys.get("pulls") or {}
    if summary and summary.get("pull_width"):
        p = np.asarray(pulls["mu"])
        ax.hist(
            p,
            bins=np.linspace(-4, 4, 21),
            histtype="step",
            color="black",
            lw=2,
            label=f"{summary['n']} toys",
        )
        x = np.linspace(-4, 4, 200)
        ax.plot(
            x,
            len(p) * 0.4 * np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi),
            color="tab:red",
            label="N(0, 1)",
        )
        ax.text(
            0.03,
            0.95,
            f"mean {summary['pull_mean']:.2f} $\\pm$ {summary['pull_mean_err']:.2f}"
            f"\nwidth {summary['pull_width']:.2f} $\\pm$ {summary['pull_width_err']:.2f}"
            f"\nfailed fits: {summary['n_failed']}",
            transform=ax.transAxes,
            va="top",
            fontsize=15,
        )
        ax.legend(title=display_name(tagger), fontsize=14)
        names = [n for n, v in summary["pulls"].items() if v]
        y = np.arange(len(names))
        ax2.errorbar(
            [summary["pulls"][n]["mean"] for n in names],
            y,
            xerr=[summary["pulls"][n]["width"] for n in names],
            fmt="o",
            color="black",
            capsize=4,
        )
        ax2.set_yticks(y, names)
        ax2.axvspan(-1, 1, color="tab:green", alpha=0.15)
        ax2.axvline(0, color="black", lw=1)
        ax2.set_xlim(-2, 2)
        ax2.set_xlabel("toy pull mean (bar: width)")
    else:
        ax.text(0.5, 0.5, "no valid toys", transform=ax.transAxes, ha="center", fontsize=20)
    ax.set_xlabel(r"Pull $(\hat\mu - \mu_{gen}) / \sigma_{\hat\mu}$")
    ax.set_ylabel("Toys / 0.4")
    label(ax)
    save_figure(fig, *paths)


def plot_impacts(tagger: str, fit: dict, impacts: dict, paths) -> None:
    """Nuisance pulls and constraints, and the ranked pre-/post-fit impacts on mu."""

    use_style()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(16, 8), sharey=True)
    ranking = impacts.get("ranking") or []
    if ranking:
        names = ranking[::-1]
        y = np.arange(len(names))
        nps = fit.get("nuisance_parameters") or {}
        for k, n in enumerate(names):
            if n in nps:
                ax.errorbar(
                    nps[n]["pull"], k, xerr=nps[n]["constraint"], fmt="o", color="black", capsize=4
                )
        ax.axvspan(-1, 1, color="tab:green", alpha=0.15)
        ax.axvline(0, color="black", lw=1)
        ax.set_xlim(-2.5, 2.5)
        ax.set_xlabel(r"Pull $(\hat\theta - \theta_0)/\Delta\theta$")
        ax.set_yticks(y, names)
        imp = impacts["impacts"]
        for kind, style in (
            ("prefit", {"fill": False, "edgecolor": "tab:blue"}),
            ("postfit", {"color": "tab:blue", "alpha": 0.6}),
        ):
            up = [imp[n][kind]["up"] or 0.0 for n in names]
            down = [imp[n][kind]["down"] or 0.0 for n in names]
            ax2.barh(y, up, height=0.6, label=f"{kind} +1$\\sigma$", **style)
            ax2.barh(y, down, height=0.6, **style, hatch="//")
        ax2.axvline(0, color="black", lw=1)
        ax2.set_xlabel(r"$\Delta\hat\mu$")
        ax2.legend(fontsize=13, title=display_name(tagger))
    else:
        ax.text(0.5, 0.5, "no impacts (fit invalid)", transform=ax.transAxes, ha="center")
    label(ax, lumi_fb=fit["lumi_fb"])
    save_figure(fig, *paths)


def plot_scans(fits: dict, curves: dict, paths) -> None:
    """Profile-likelihood scans of mu for every tagger: with every nuisance profiled
    (left) and stat-only, every nuisance fixed at its fitted value (right, around the
    best fit: at the measurement luminosity the stat error is far below the total)."""

    use_style()
    fig, (ax, ax_stat) = plt.subplots(1, 2, figsize=(16, 8), sharey=True)
    for tagger, c in curves.items():
        scan = c.get("scan")
        if not scan:
            continue
        full = np.array([np.nan if v is None else v for v in scan["full"]])
        stat = np.array([np.nan if v is None else v for v in scan["stat"]])
        (line,) = ax.plot(scan["mu"], full, label=display_name(tagger))
        ax_stat.plot(np.asarray(scan["stat_mu"]) - scan["mu_hat"], stat, color=line.get_color())
    for a in (ax, ax_stat):
        a.axhline(1.0, color="grey", lw=1)
    ax.set_ylim(0, 9)
    ax.set_xlabel(r"Signal strength $\mu$ (all nuisances profiled)")
    ax_stat.set_xlabel(r"$\mu - \hat{\mu}$ (stat. only)")
    ax.set_ylabel(r"$-2\Delta\ln L$")
    _finish(fig, ax, fits, paths, legend_size=14)


def plot_choice(summary: dict, paths) -> None:
    """Total uncertainty on mu (filled markers) and |spurious signal| (crosses) against R50
    and 1/JSD: the taggers' full fits (circles; the chosen tagger a star) and the
    decorrelation scan points (squares joined along the scan, labelled by the scan value;
    the best scan point ringed). One colour per tagger, its scan included."""

    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(20, 8), sharey=True)
    chosen = summary.get("chosen_tagger")
    best = summary.get("best_scan_point") or {}
    scans = summary.get("scan") or {}
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = list(dict.fromkeys([*summary["taggers"], *scans]))
    color = {t: cycle[k % len(cycle)] for k, t in enumerate(names)}
    for ax, key, xlabel in ((axes[0], "r50", r"$R_{50}$"), (axes[1], "inv_jsd", "1/JSD")):
        for tagger, e in summary["taggers"].items():
            if e.get(key) is None or e.get("mu_err") is None:
                continue
            star = tagger == chosen
            ax.plot(
                e[key],
                e["mu_err"],
                "*" if star else "o",
                ms=22 if star else 11,
                color=color[tagger],
                label=display_name(tagger) + (" (chosen)" if star else ""),
            )
            if e.get("spurious_mu") is not None:
                ax.plot(e[key], abs(e["spurious_mu"]), "x", ms=11, mew=2, color=color[tagger])
        for tagger, scan in scans.items():
            par = scan["parameter"]
            pts = [p for p in scan["points"] if p.get(key) is not None and p.get("mu_err")]
            pts.sort(key=lambda p: p[key])
            if not pts:
                continue
            x = [p[key] for p in pts]
            ax.plot(
                x,
                [p["mu_err"] for p in pts],
                "s--",
                ms=8,
                lw=1,
                color=color[tagger],
                label=f"{display_name(tagger)} scan ({par.replace('_', ' ')})",
            )
            ax.plot(
                x, [abs(p["spurious_mu"]) for p in pts], "x", ms=8, color=color[tagger], alpha=0.6
            )
            for p in pts:
                ax.annotate(
                    f"{p[par]:g}",
                    (p[key], p["mu_err"]),
                    fontsize=11,
                    color=color[tagger],
                    xytext=(5, 5),
                    textcoords="offset points",
                )
                if best.get("tagger") == tagger and best.get("value") == p[par]:
                    ax.plot(
                        p[key],
                        p["mu_err"],
                        "o",
                        ms=26,
                        mfc="none",
                        mec="black",
                        mew=2,
                        label="best scan point (no JES)" if ax is axes[0] else None,
                    )
        ax.set_xscale("log")
        ax.set_yscale("log")
        # plain numbers at 1, 2 and 5 times a power of ten
        plain = FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "125" else "")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.set_xlabel(xlabel)
    axes[0].set_ylabel(r"total $\sigma_\mu$ (x: |spurious signal|)")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[1].legend(
        handles,
        labels,
        fontsize=13,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        title="x: |spurious signal|",
        title_fontsize=13,
    )
    label(axes[0], lumi_fb=summary.get("lumi_fb"))
    save_figure(fig, *paths)


def plot_ams(results: dict[str, dict], paths) -> None:
    """AMS vs the signal efficiency of the cut, every tagger, the chosen cut marked."""

    use_style()
    fig, ax = plt.subplots(figsize=(10, 8))
    for tagger, res in results.items():
        scan = res["scan"]
        eps, values = np.asarray(scan["eps_s"]), np.asarray(scan["ams"])
        ok = np.asarray(scan["eligible"], bool)
        (line,) = ax.plot(
            eps[ok], values[ok], label=f"{display_name(tagger)} (AMS {res['ams']:.1f})"
        )
        ax.plot(eps[~ok], values[~ok], ls=":", color=line.get_color())
        ax.plot([res["eps_s"]], [res["ams"]], marker="*", ms=18, color=line.get_color())
    ax.set_xlabel(r"Signal efficiency in the mass window $\varepsilon_S$")
    ax.set_ylabel(r"AMS ($b_r$ = 10)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=15, title="dotted: too few simulated background jets")
    any_res = next(iter(results.values()))
    label(ax, lumi_fb=any_res["lumi_fb"])
    save_figure(fig, *paths)


def plot_injection(fits: dict[str, dict], paths) -> None:
    """Fitted vs injected signal strength for every tagger (offset horizontally)."""

    use_style()
    fig, ax = plt.subplots(figsize=(10, 8))
    top = 1.0
    for k, (tagger, fit) in enumerate(fits.items()):
        pts = [p for p in (fit.get("injection") or {}).get("points", []) if p["valid"]]
        if not pts:
            continue
        x = np.array([p["mu_inj"] for p in pts], float)
        span = max(x.max() - x.min(), 1.0)
        ax.errorbar(
            x + (k - len(fits) / 2) * 0.01 * span,
            [p["mu"] for p in pts],
            yerr=[p["mu_err"] for p in pts],
            fmt="o",
            capsize=3,
            label=display_name(tagger),
        )
        top = max(top, x.max())
    grid = np.linspace(0, top, 2)
    ax.plot(grid, grid, color="black", ls="--", label=r"$\hat\mu = \mu_{inj}$")
    ax.set_xlabel(r"Injected signal strength $\mu_{inj}$")
    ax.set_ylabel(r"Fitted signal strength $\hat\mu$")
    _finish(fig, ax, fits, paths, legend_size=15)
