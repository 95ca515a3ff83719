"""Distributions of the tagger inputs for W/Z (signal) and QCD (background) jets."""

from __future__ import annotations

import os

import awkward as ak
import hist
import matplotlib.pyplot as plt
import mplhep
import numpy as np

from lhcml.plotting import label, save_figure, use_style

#: Variable -> (axis label, bins, low, high) of the feature plots.
FEATURE_BINNING: dict[str, tuple[str, int, float, float]] = {
    "msd": (r"Soft-drop mass $m_{SD}$ [GeV]", 44, 30.0, 250.0),
    "pt": (r"Jet $p_T$ [GeV]", 40, 300.0, 1100.0),
    "tau21": (r"$\tau_{21}$", 40, 0.0, 1.0),
    "tau32": (r"$\tau_{32}$", 40, 0.0, 1.0),
    "n2": (r"$N_2^{(\beta=1)}$", 40, 0.0, 0.6),
    "d2": (r"$D_2^{(\beta=1)}$", 40, 0.0, 6.0),
    "rho": (r"$\rho = \ln(m_{SD}^2/p_T^2)$", 40, -7.0, -1.0),
    "nconst": ("Constituents", 40, 0.0, 160.0),
}


def plot_feature(
    tables: list[ak.Array], variable: str, path: str | os.PathLike, lumi_fb: float
) -> None:
    """Unit-normalised, physics-weighted distribution of ``variable`` for W/Z-matched
    (``y = 1``) and QCD (``y = 0``) jets, pooled over ``tables``; saves PDF and PNG."""
    xlabel, bins, low, high = FEATURE_BINNING[variable]
    use_style()
    fig, ax = plt.subplots()
    for cls, name, color in ((1, "W/Z jets", "tab:red"), (0, "QCD jets", "tab:blue")):
        values = np.concatenate([ak.to_numpy(t[variable][t.y == cls]) for t in tables])
        weights = np.concatenate([ak.to_numpy(t.weight[t.y == cls]) for t in tables])
        finite = np.isfinite(values)
        h = hist.Hist.new.Reg(bins, low, high, name=variable).Weight()
        h.fill(np.clip(values[finite], low, np.nextafter(high, low)), weight=weights[finite])
        total = h.values().sum()
        if total > 0:
            h = h / total
        mplhep.histplot(h, ax=ax, label=f"{name} ({finite.sum()})", color=color, lw=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Fraction of jets")
    ax.legend()
    label(ax, lumi_fb=lumi_fb)
    save_figure(fig, path)
