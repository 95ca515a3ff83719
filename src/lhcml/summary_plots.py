"""The benchmark summary's plots (scripts/report_benchmarks.py): rule times and the timeline
of the last run, apart from :mod:`lhcml.summary` so that its other users (the taggers'
and decorrelation's training records) do not import matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt

from lhcml.plotting import save_figure, use_style
from lhcml.summary import last_run_timeline


def plot_rule_times(rows: list[dict], path: str | os.PathLike) -> None:
    """Horizontal bars: wall time per rule summed over its jobs (PNG and PDF at ``path``)."""
    totals: dict[str, float] = {}
    jobs: dict[str, int] = {}
    for row in rows:
        totals[row["rule"]] = totals.get(row["rule"], 0.0) + row["seconds"]
        jobs[row["rule"]] = jobs.get(row["rule"], 0) + 1
    order = sorted(totals, key=totals.get)
    use_style()
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(order) + 2))
    ax.barh(order, [totals[r] for r in order], color="tab:blue")
    for i, rule in enumerate(order):
        ax.text(
            totals[rule], i, f" {totals[rule]:.0f} s ({jobs[rule]} jobs)", va="center", fontsize=14
        )
    ax.set_xlabel("Wall time summed over jobs [s]")
    ax.set_xlim(0, max(totals.values(), default=1) * 1.35)
    path = Path(path)
    save_figure(fig, path.with_suffix(".pdf"), path)


def plot_timeline(rows: list[dict], path: str | os.PathLike) -> None:
    """Gantt chart of the last run (:func:`last_run_timeline`): one bar per job, one row
    per lane, coloured by rule; the rules with the most wall time are named in the legend
    (PNG and PDF at ``path``)."""
    timeline = last_run_timeline(rows)
    totals: dict[str, float] = {}
    for job in timeline:
        totals[job["rule"]] = totals.get(job["rule"], 0.0) + job["seconds"]
    ranked = sorted(totals, key=totals.get, reverse=True)
    colours = plt.get_cmap("tab20").colors
    colour = {rule: colours[i % len(colours)] for i, rule in enumerate(ranked)}
    n_lanes = max((job["lane"] for job in timeline), default=0) + 1
    use_style()
    fig, ax = plt.subplots(figsize=(14, 0.5 * n_lanes + 4))
    for job in timeline:
        ax.barh(
            job["lane"],
            job["end"] - job["start"],
            left=job["start"],
            height=0.8,
            color=colour[job["rule"]],
            edgecolor="black",
            linewidth=0.3,
        )
    for rule in ranked[:12]:
        ax.barh(0, 0, color=colour[rule], label=f"{rule} ({totals[rule]:.0f} s)")
    wall = max((job["end"] for job in timeline), default=0.0)
    ax.set_xlabel(f"Time since the run's first job started [s] (wall time {wall:.0f} s)")
    ax.set_ylabel("Lane (jobs running at once)")
    ax.set_yticks(range(n_lanes))
    ax.set_ylim(-0.6, n_lanes - 0.4 + 0.25 * min(len(ranked), 12))
    ax.legend(ncol=3, fontsize=11, loc="upper left")
    path = Path(path)
    save_figure(fig, path.with_suffix(".pdf"), path)
