"""Inference plots (mplhep style, PDF + PNG): the mass fits with pulls, toy pulls, the AMS
scans and the injection scan."""

from __future__ import annotations

import numpy as np

from lhcml.plotting import label, save_figure, use_style

#: Legend names of the taggers (others are shown by their config name).
DISPLAY_NAMES: dict[str, str] = {
    "bdt": "BDT", "dnn": "DNN", "deepsets": "Deep Sets", "tau21": r"$\tau_{21}$",
    "n2": r"$N_{2}$", "adversarial": "Adversarial", "disco": "DisCo",
    "ddt_tau21": r"DDT $\tau_{21}$", "ddt_bdt": "DDT BDT",
}  # fmt: skip


def _name(tagger: str) -> str:
    return DISPLAY_NAMES.get(tagger, tagger)


def _bin_expectation(curves: dict, edges: np.ndarray, key: str) -> np.ndarray:
    """Expected events per bin from a curve given per 1 GeV on a fine grid (trapezoids)."""
    x, y = np.asarray(curves["msd"]), np.asarray(curves[key])
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        grid = np.linspace(lo, hi, 21)
        out.append(np.trapezoid(np.interp(grid, x, y), grid))
    return np.asarray(out)


def plot_fit(tagger: str, fit: dict, curves: dict, paths, bin_width: float = 5.0) -> None:
    """Pseudo-data with the fitted total, signal and background, and a pull panel."""
    import matplotlib.pyplot as plt

    use_style()
    fig, (ax, axp) = plt.subplots(2, 1, figsize=(10, 10), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05})  # fmt: skip
    low, high = fit["fit_range"]
    if curves:
        edges = np.arange(low, high + 0.5 * bin_width, bin_width)
        counts, _ = np.histogram(curves["data"], bins=edges)
        centres = 0.5 * (edges[1:] + edges[:-1])
        # the model integrated over each bin (the W/Z peaks are narrower than the bins)
        bkg = _bin_expectation(curves, edges, "background")
        sig = _bin_expectation(curves, edges, "W") + _bin_expectation(curves, edges, "Z")
        ax.stairs(bkg, edges, fill=True, color="tab:blue", alpha=0.25,
                  label="QCD background (Bernstein)")  # fmt: skip
        ax.stairs(sig, edges, color="tab:red", lw=2, label=r"W + Z signal ($\hat\mu$)")
        ax.stairs(sig + bkg, edges, color="black", lw=2, label="Total fit")
        ax.errorbar(centres, counts, yerr=np.sqrt(counts), fmt="o", color="black",
                    label="Pseudo-data")  # fmt: skip
        expected = _bin_expectation(curves, edges, "total")
        pulls = (counts - expected) / np.sqrt(np.maximum(expected, 1e-9))
        axp.bar(centres, pulls, width=bin_width, color="grey", edgecolor="black")
        text = (
            rf"$\hat\mu = {fit['mu']:.2f} \pm {fit['mu_err']:.2f}$ ($\mu_{{inj}}$ = "
            rf"{fit['mu_inj']:g})"
            + "\n"
            + f"significance {fit['significance'] or 0:.2f}$\\sigma$ (asymptotic)"
        )
        if (fit.get("status") or {}).get("at_boundary"):
            text += "\nbackground yield at its bound 0:\nthe pass region looks like signal"
        ax.text(0.97, 0.55, text, transform=ax.transAxes, ha="right", va="top", fontsize=16)
    else:
        ax.text(0.5, 0.5, "fit invalid: no result", transform=ax.transAxes, ha="center",
                fontsize=20, color="tab:red")  # fmt: skip
    ax.set_ylabel(f"Events / {bin_width:g} GeV")
    ax.set_ylim(bottom=0)
    ax.legend(title=f"{_name(tagger)} pass region", fontsize=15, loc="upper right")
    ax.set_xlim(low, high)
    axp.axhline(0, color="black", lw=1)
    axp.set_ylim(-3.5, 3.5)
    axp.set_ylabel("Pull")
    axp.set_xlabel(r"Soft-drop mass $m_{SD}$ [GeV]")
    label(ax, lumi_fb=fit["lumi_fb"])
    save_figure(fig, *paths)


def plot_toys(tagger: str, toys: dict, paths) -> None:
    """Distribution of the toy pulls with the standard normal for comparison."""
    import matplotlib.pyplot as plt

    use_style()
    fig, ax = plt.subplots(figsize=(10, 8))
    summary = toys.get("summary")
    if summary and summary.get("pull_width"):
        mu = np.array([m for m in toys["mu"] if m is not None])
        err = np.array([e for e in toys["mu_err"] if e is not None])
        pulls = (mu - summary["mu_generated"]) / err
        ax.hist(pulls, bins=np.linspace(-4, 4, 21), histtype="step", color="black", lw=2,
                label=f"{summary['n']} toys")  # fmt: skip
        x = np.linspace(-4, 4, 200)
        ax.plot(x, summary["n"] * 0.4 * np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi), color="tab:red",
                label="N(0, 1)")  # fmt: skip
        ax.text(0.03, 0.95, f"mean {summary['pull_mean']:.2f} $\\pm$ {summary['pull_mean_err']:.2f}"
                f"\nwidth {summary['pull_width']:.2f} $\\pm$ {summary['pull_width_err']:.2f}"
                f"\nfailed fits: {summary['n_failed']}"
                f"\nbackground at bound 0: {summary.get('n_at_boundary', 0)}",
                transform=ax.transAxes, va="top",
                fontsize=16)  # fmt: skip
        ax.legend(title=_name(tagger), fontsize=15)
    else:
        ax.text(0.5, 0.5, "no valid toys", transform=ax.transAxes, ha="center", fontsize=20)
    ax.set_xlabel(r"Pull $(\hat\mu - \mu_{gen}) / \sigma_{\hat\mu}$")
    ax.set_ylabel("Toys / 0.4")
    label(ax)
    save_figure(fig, *paths)


def plot_ams(results: dict[str, dict], paths) -> None:
    """AMS vs the signal efficiency of the cut, every tagger, the chosen cut marked."""
    import matplotlib.pyplot as plt

    use_style()
    fig, ax = plt.subplots(figsize=(10, 8))
    for tagger, res in results.items():
        scan = res["scan"]
        eps, values = np.asarray(scan["eps_s"]), np.asarray(scan["ams"])
        ok = np.asarray(scan["eligible"], bool)
        (line,) = ax.plot(eps[ok], values[ok], label=f"{_name(tagger)} (AMS {res['ams']:.1f})")
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
    import matplotlib.pyplot as plt

    use_style()
    fig, ax = plt.subplots(figsize=(10, 8))
    top = 1.0
    for k, (tagger, fit) in enumerate(fits.items()):
        pts = [p for p in (fit.get("injection") or {}).get("points", []) if p["valid"]]
        if not pts:
            continue
        x = np.array([p["mu_inj"] for p in pts], float)
        span = max(x.max() - x.min(), 1.0)
        ax.errorbar(x + (k - len(fits) / 2) * 0.01 * span, [p["mu"] for p in pts],
                    yerr=[p["mu_err"] for p in pts], fmt="o", capsize=3, label=_name(tagger))  # fmt: skip
        top = max(top, x.max())
    grid = np.linspace(0, top, 2)
    ax.plot(grid, grid, color="black", ls="--", label=r"$\hat\mu = \mu_{inj}$")
    ax.set_xlabel(r"Injected signal strength $\mu_{inj}$")
    ax.set_ylabel(r"Fitted signal strength $\hat\mu$")
    ax.legend(fontsize=15)
    any_fit = next(iter(fits.values()))
    label(ax, lumi_fb=any_fit["lumi_fb"])
    save_figure(fig, *paths)
