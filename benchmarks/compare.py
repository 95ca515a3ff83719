"""The figures of a benchmark report, and their comparison with a committed baseline.

A report's ``sections`` hold each section's ``results`` (nested dicts and lists of row
dicts). :func:`figures` flattens them into ``{"section/row/name": value}`` for every numeric
leaf: a row of a list is named by its text and boolean fields (``generation/qcd/mpi=on/
ratio``; a list row by its text items), so rows are matched by what they are, not by
position. :func:`compare` puts each
figure beside the baseline's and, for the lhcml-vs-reference ratios whose better direction
is known (:data:`RATIO_BETTER`), says whether it got worse by more than ``tolerance``.
"""

from __future__ import annotations

import math
from numbers import Real

#: Which way each section's ``ratio`` figures are better: generation and skim ratios are
#: lhcml rate / reference rate, the others lhcml time / reference time.
RATIO_BETTER = {
    "generation": "higher",
    "skim": "higher",
    "inference": "lower",
    "taggers": "lower",
    "calo": "lower",
    "trigger": "lower",
}

#: The performance targets (issue "Speed"): per section, the bound every ratio figure of
#: the section must meet (generation and skim: at least; inference: at most).
TARGETS = {"generation": (">=", 0.8), "skim": (">=", 0.6), "inference": ("<=", 3.0)}


def targets(ratios: dict[str, float]) -> list[dict]:
    """Rows ``{key, value, target, met}`` for the ratios of the sections in :data:`TARGETS`."""
    rows = []
    for key, value in ratios.items():
        bound = TARGETS.get(key.split("/", 1)[0])
        if bound is None:
            continue
        op, limit = bound
        met = value >= limit if op == ">=" else value <= limit
        rows.append({"key": key, "value": value, "target": f"{op} {limit:g}", "met": bool(met)})
    return rows


def _label(row) -> str:
    """A row's name: its text fields, then its booleans as ``key=on|off`` (each group in key
    order, since a report read back from JSON has its keys sorted)."""
    items = sorted(row.items()) if isinstance(row, dict) else list(enumerate(row))
    texts = [value for _, value in items if isinstance(value, str)]
    flags = [f"{key}={'on' if value else 'off'}" for key, value in items if isinstance(value, bool)]
    return "/".join(texts + flags)


def _walk(prefix: str, value, out: dict[str, float]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(f"{prefix}/{key}", item, out)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            label = _label(item) if isinstance(item, dict | list) else ""
            _walk(f"{prefix}/{label or position}", item, out)
    elif isinstance(value, Real) and not isinstance(value, bool):
        out[prefix] = float(value)


def figures(sections: dict) -> dict[str, float]:
    """Every numeric result of a report's ``sections``, keyed by its path."""
    out: dict[str, float] = {}
    for name, results in sections.items():
        _walk(name, results, out)
    return out


def is_ratio(key: str) -> bool:
    """Whether a figure is an lhcml-vs-reference ratio (the figures the targets are on)."""
    return key.rsplit("/", 1)[-1].startswith("ratio")


def compare(current: dict[str, float], baseline: dict[str, float], tolerance: float = 0.1):
    """Rows ``{key, value, baseline, change, verdict}`` for every figure of ``current``.

    ``change`` is ``value / baseline - 1`` (None without a baseline figure). ``verdict`` is
    ``"worse"`` or ``"better"`` for a ratio of a section in :data:`RATIO_BETTER` that moved
    by more than ``tolerance`` (relative) in that direction, ``"new"`` without a baseline
    figure, and ``""`` otherwise.
    """
    rows = []
    for key, value in current.items():
        base = baseline.get(key)
        change = value / base - 1.0 if base not in (None, 0.0) and math.isfinite(base) else None
        verdict = "new" if base is None else ""
        better = RATIO_BETTER.get(key.split("/", 1)[0])
        if change is not None and better and is_ratio(key) and abs(change) > tolerance:
            improved = change > 0 if better == "higher" else change < 0
            verdict = "better" if improved else "worse"
        rows.append(
            {"key": key, "value": value, "baseline": base, "change": change, "verdict": verdict}
        )
    return rows
