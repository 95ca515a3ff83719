"""The data vs simulation plots (scripts/datamc_plots.py), apart from :mod:`lhcml.datamc`,
which the Snakefile imports at parse time (:func:`lhcml.datamc.plot_names`) and the
sampling jobs import: neither needs matplotlib."""

from __future__ import annotations

import logging
import os

import awkward as ak
import matplotlib.pyplot as plt
import mplhep
import numpy as np

from lhcml.datamc import VARIABLES, _np, working_point
from lhcml.plotting import label, save_figure, use_style
from lhcml.tables import read_parquet

log = logging.getLogger("lhcml.datamc")


def _hist(values, weights, bins):
    values = np.clip(values, bins[0], np.nextafter(bins[-1], bins[0]))  # over/underflow
    w, _ = np.histogram(values, bins, weights=weights)
    w2, _ = np.histogram(values, bins, weights=weights**2)
    return w, w2


def plot_stack(data_values, sim, bins, xlabel, out_base, data_lumi_fb, title=""):
    """One stack plot with ratio panel; ``sim`` is [(name, values, weights)]."""
    use_style()
    fig, (ax, rax) = plt.subplots(
        2, 1, figsize=(9, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05}
    )
    hists = [_hist(v, w, bins) for _, v, w in sim]
    if hists:
        mplhep.histplot(
            [h[0] for h in hists],
            bins,
            stack=True,
            histtype="fill",
            label=[name for name, _, _ in sim],
            ax=ax,
        )
    total = np.sum([h[0] for h in hists], axis=0) if hists else np.zeros(len(bins) - 1)
    var = np.sum([h[1] for h in hists], axis=0) if hists else np.zeros(len(bins) - 1)
    err = np.sqrt(var)
    ax.stairs(
        total + err,
        bins,
        baseline=total - err,
        fill=True,
        hatch="///",
        alpha=0.3,
        color="grey",
        label="Sim. stat. unc.",
    )
    n_data, _ = np.histogram(np.clip(data_values, bins[0], np.nextafter(bins[-1], bins[0])), bins)
    centres = 0.5 * (bins[1:] + bins[:-1])
    shown = n_data > 0  # empty data bins are not drawn (nor their ratio)
    ax.errorbar(centres[shown], n_data[shown], yerr=np.sqrt(n_data[shown]), fmt="ko", label="Data")
    ax.set_ylabel("Jets")
    ax.set_ylim(
        0, max(1.0, 1.8 * max(float(np.max(total + err)), float(np.max(n_data + np.sqrt(n_data)))))
    )
    ax.legend(fontsize="x-small", title=title or None, title_fontsize="x-small", loc="upper right")
    label(ax, lumi_fb=data_lumi_fb, data=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total > 0, n_data / total, np.nan)
        ratio_err = np.where(total > 0, np.sqrt(n_data) / total, np.nan)
        band = np.where(total > 0, err / total, np.nan)
    rax.stairs(1 + band, bins, baseline=1 - band, fill=True, hatch="///", alpha=0.3, color="grey")
    rax.errorbar(centres[shown], ratio[shown], yerr=ratio_err[shown], fmt="ko")
    rax.axhline(1.0, color="k", lw=0.8)
    rax.set_ylim(0, 2)
    rax.set_ylabel("Data / Sim.")
    rax.set_xlabel(xlabel)
    save_figure(fig, out_base)


def plot_data_vs_simulation(
    features: dict[str, str],
    scores: dict[str, dict[str, str]],
    data_samples: list[str],
    data_lumi_fb: float,
    lumi_fb: float,
    test_fraction: float,
    working_points: dict,
    out_dir: str | os.PathLike,
    test_split_only: bool = True,
) -> list[str]:
    """Every data vs simulation plot (see :func:`plot_names`); returns their base paths.

    ``features``: sample -> per-sample feature table; ``scores``: tagger -> sample ->
    score table (same rows); ``data_samples``: the samples with ``role: data``;
    ``test_split_only``: draw only the simulated test-split jets (needed when a compared
    tagger was trained on these samples in this run; see the module docstring).
    """
    tables = {}
    for sample, path in features.items():
        table = read_parquet(path)
        cols = {v: _np(table, v) for v in VARIABLES}
        cols["weight"] = _np(table, "weight")
        cols["y"] = _np(table, "y", np.int64)
        cols["split"] = np.asarray(ak.to_list(table["split"]), dtype=object)
        for tagger, per_sample in scores.items():
            s = read_parquet(per_sample[sample])
            if len(s) != len(table) or not np.array_equal(
                _np(s, "event", np.int64), _np(table, "event", np.int64)
            ):
                raise ValueError(f"{per_sample[sample]}: score rows do not match {path}")
            cols[f"score_{tagger}"] = _np(s, "score")
        tables[sample] = cols
    sim = {}
    for sample, cols in tables.items():
        if sample in data_samples:
            continue
        if test_split_only:
            keep = cols["split"] == "test"
            sim[sample] = {k: v[keep] for k, v in cols.items()}
            sim[sample]["weight"] = sim[sample]["weight"] / test_fraction
        else:
            sim[sample] = dict(cols)
    log.info(
        "simulation: %s",
        f"test-split jets only, weighted 1 / {test_fraction:g}" if test_split_only else "all jets",
    )
    data = {
        k: np.concatenate([tables[s][k] for s in data_samples]) for k in tables[data_samples[0]]
    }
    if data_lumi_fb is not None:
        scale, norm_text = data_lumi_fb / lumi_fb, "Sim. normalised to the data luminosity"
    else:
        total = sum(float(c["weight"].sum()) for c in sim.values())
        scale = len(data["weight"]) / total if total > 0 else 1.0
        norm_text = "Sim. normalised to the number of data jets"
    log.info("%s (factor %.6g)", norm_text, scale)
    for cols in sim.values():
        cols["weight"] = cols["weight"] * scale

    thresholds = {t: working_point(list(sim.values()), t, working_points) for t in scores}
    regions = {"inclusive": (None, None)}
    regions.update({f"pass_{t}": (t, thr) for t, thr in thresholds.items()})
    variables = dict(VARIABLES)
    for t in scores:
        finite = np.concatenate(
            [c[f"score_{t}"][np.isfinite(c[f"score_{t}"])] for c in tables.values()]
        )
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        variables[f"score_{t}"] = (f"{t} score", 20, lo, hi)
    written = []
    for region, (tagger, thr) in regions.items():

        def select(cols, tagger=tagger, thr=thr):
            n = len(cols["weight"])
            return np.ones(n, bool) if tagger is None else cols[f"score_{tagger}"] >= thr

        title = (
            ("inclusive" if tagger is None else f"{tagger} score >= {thr:.3g}") + "\n" + norm_text
        )
        for var, (xlabel, nbins, lo, hi) in variables.items():
            bins = np.linspace(lo, hi, nbins + 1)
            m = select(data)
            stack = [(name, c[var][select(c)], c["weight"][select(c)]) for name, c in sim.items()]
            base = os.path.join(out_dir, f"{var}_{region}")
            plot_stack(data[var][m], stack, bins, xlabel, base, data_lumi_fb, title)
            log.info(
                "%s: %d data jets, %.4g simulated",
                base,
                int(m.sum()),
                sum(float(w.sum()) for _, _, w in stack),
            )
            written.append(base)
    return written
