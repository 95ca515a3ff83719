"""``results/summary.json``: the headline numbers of every stage in one place.

The summary records what produced the numbers (a hash of the full, validated config and
the versions of the key packages) and, per stage, the content of that stage's small
metrics files (cutflows, split counts, tagger metrics, ...). Stages register their metrics
files in the workflow (``SUMMARY_INPUTS`` in rules/common.smk), so the summary grows with
the workflow without changes here.

The summary is a pure function of the config: two runs of the same config give the same
file. Wall-clock measurements that stages keep beside their metrics (keys with the word
``seconds``, such as ``train_seconds`` or ``seconds_per_toy``, and ``timing`` sections)
are therefore left out; timings are published in
``results/benchmarks/summary.csv`` instead.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import math
import os
import platform
from importlib import metadata
from pathlib import Path

from lhcml.config import WORKFLOW_ROOT
from lhcml.io import atomic_path, read_json

#: Packages whose versions are recorded (those that shape the numbers).
KEY_PACKAGES = (
    "lhcml",
    "snakemake",
    "pythia8mc",
    "fastjet",
    "uproot",
    "awkward",
    "coffea",
    "numpy",
    "xgboost-cpu",
    "tensorflow",
    "tf-keras",
    "qkeras",
    "hls4ml",
    "zfit",
    "hepstats",
    "scikit-learn",
)


def config_hash(config: dict, root: str | os.PathLike = WORKFLOW_ROOT) -> str:
    """sha256 of the config as canonical JSON (sorted keys): equal configs, equal hashes.

    Validation makes local paths absolute (the samples file, and the ``files`` and
    ``golden_json`` it names). Those inside ``root``, the workflow's checkout, enter the hash
    relative to it, so that the same config gives the same hash in any clone; paths
    outside it name external inputs and enter as they are.
    """
    prefix = os.path.join(os.path.abspath(root), "")

    def portable(value):
        if isinstance(value, dict):
            return {k: portable(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [portable(v) for v in value]
        if isinstance(value, str) and value.startswith(prefix):
            return value.removeprefix(prefix)
        return value

    text = json.dumps(portable(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions(packages=KEY_PACKAGES) -> dict[str, str | None]:
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


#: The libraries that train each kind of model; their versions go into the model's meta.json.
TRAINING_LIBRARIES = {
    "bdt": ("xgboost",),
    "dnn": ("tensorflow", "tf_keras"),
    "deepsets": ("tensorflow", "tf_keras"),
    "adversarial": ("tensorflow", "tf_keras"),
    "disco": ("tensorflow", "tf_keras"),
}


def training_versions(kind: str) -> dict[str, str | None]:
    """Python's version and those of the libraries that trained a model of ``kind``
    (:data:`TRAINING_LIBRARIES`; kinds that need none, such as cut-based and DDT, get
    Python's only). The modules are imported already by the training."""
    out = {"python": platform.python_version()}
    for name in TRAINING_LIBRARIES.get(kind, ()):
        out[name] = getattr(importlib.import_module(name), "__version__", None)
    return out


def is_timing_key(key: str) -> bool:
    """Whether a metrics key holds a wall-clock measurement (not reproducible by design)."""
    return "seconds" in key.split("_") or key in ("timing", "timings")


def without_timings(obj):
    """``obj`` (parsed JSON) with every timing entry (see :func:`is_timing_key`) removed."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not is_timing_key(k)}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


def _stage_entry(paths: list[str]) -> dict:
    """Content of a stage's metrics files, keyed by file stem (``qcd.cutflow`` -> ``qcd``),
    or by folder where the stems repeat (``calo/eplus/metrics.json`` -> ``eplus``)."""
    keys = [Path(p).name.split(".")[0] for p in paths]
    if len(set(keys)) < len(keys):
        keys = [Path(p).parent.name for p in paths]
    if len(paths) == 1:
        keys = ["metrics"]
    return {key: without_timings(read_json(path)) for key, path in zip(keys, paths, strict=True)}


def build_summary(stage_files: dict[str, list[str]], config: dict) -> dict:
    """The summary dict: provenance and, per stage, its metrics."""
    return {
        "config_sha256": config_hash(config),
        "versions": package_versions(),
        "python": platform.python_version(),
        "stages": {stage: _stage_entry(list(paths)) for stage, paths in stage_files.items()},
    }


def read_benchmark(path: str | os.PathLike) -> dict | None:
    """The last record of a Snakemake ``benchmark:`` file (``s`` = wall seconds,
    ``max_rss`` MB, ...; strings as written), or None if it has none."""
    with open(path) as f:
        records = list(csv.DictReader(f, delimiter="\t"))
    return records[-1] if records else None


def benchmark_table(benchmark_dir: str | os.PathLike) -> list[dict]:
    """One row per Snakemake ``benchmark:`` file (rule, job, wall seconds, max RSS MB, end).

    The rule is the first directory under ``benchmark_dir``; the job is the rest of the
    path (its wildcards). ``end`` is the file's modification time (Unix seconds): Snakemake
    writes it when the job finishes, so the job ran from ``end - seconds`` to ``end``.
    """
    rows = []
    root = Path(benchmark_dir)
    for path in sorted(root.rglob("*.tsv")):
        rel = path.relative_to(root).with_suffix("")
        last = read_benchmark(path)
        if last is None:
            continue
        rows.append(
            {
                "rule": rel.parts[0],
                "job": "/".join(rel.parts[1:]) or rel.parts[0],
                "seconds": float(last["s"]),
                "max_rss_mb": _number(last.get("max_rss")),
                "end": path.stat().st_mtime,
            }
        )
    return rows


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def write_benchmark_csv(rows: list[dict], path: str | os.PathLike) -> None:
    """The benchmark rows as CSV (rule, job, seconds, max_rss_mb), atomically."""

    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(
            f, fieldnames=["rule", "job", "seconds", "max_rss_mb"], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)


def _format_value(value) -> str:
    """A summary value for the results page: 4 significant digits, lists inline."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(_format_value(v) for v in value)
    return str(value)


def _flatten(entry, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted key, value) rows of a nested metrics entry, in key order."""
    if isinstance(entry, dict):
        rows = []
        for key in sorted(entry):
            rows += _flatten(entry[key], f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(entry, list) and any(isinstance(v, dict | list) for v in entry):
        rows = []
        for i, value in enumerate(entry):
            rows += _flatten(value, f"{prefix}[{i}]")
        return rows
    return [(prefix, entry)]


def results_markdown(summary: dict) -> str:
    """``results/summary.json`` as a Markdown page: provenance, then one table per metrics
    file of each stage (nested keys dotted, numbers to 4 significant digits).

    The page is generated from the run, so the numbers it shows are those of the run.
    """
    lines = [
        "# lhcml results",
        "",
        "Generated from `results/summary.json` by the `report_page` rule; every number",
        "comes from the run that wrote it.",
        "",
        f"* config sha256: `{summary.get('config_sha256', '-')}`",
        f"* Python {summary.get('python', '-')}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.get("versions", {}).items()) if v),
        "",
    ]
    for stage, entries in summary.get("stages", {}).items():
        lines += [f"## {stage}", ""]
        for name, entry in entries.items():
            rows = _flatten(entry)
            if name != "metrics" or len(entries) > 1:
                lines += [f"### {name}", ""]
            lines += ["| quantity | value |", "|---|---|"]
            lines += [f"| {key or name} | {_format_value(value)} |" for key, value in rows]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_results_page(summary_path: str | os.PathLike, output: str | os.PathLike) -> None:
    """Render the summary at ``summary_path`` (:func:`results_markdown`) to ``output``."""

    page = results_markdown(read_json(summary_path))
    with atomic_path(output) as tmp:
        Path(tmp).write_text(page)


def last_run_timeline(rows: list[dict], gap_s: float = 60.0) -> list[dict]:
    """The jobs of the most recent run, as a timeline (Gantt) table.

    Each job ran from ``start = end - seconds`` to ``end`` (see :func:`benchmark_table`).
    Benchmark files of jobs that an incremental run did not redo keep their old times, so
    the jobs are split into runs at every idle gap longer than ``gap_s`` seconds (no job
    running) and only the last run is kept. Returns its jobs sorted by start, with
    ``start`` and ``end`` in seconds from the run's first start and a ``lane``: jobs are
    packed greedily into the fewest lanes so that jobs in one lane do not overlap (about one
    lane per core the run used).
    """
    jobs = sorted(
        ({**r, "start": r["end"] - r["seconds"]} for r in rows if "end" in r),
        key=lambda r: r["start"],
    )
    first, reach = 0, -math.inf
    for i, job in enumerate(jobs):
        if job["start"] > reach + gap_s:
            first = i
        reach = max(reach, job["end"])
    run = jobs[first:]
    if not run:
        return []
    t0 = run[0]["start"]
    lanes: list[float] = []  # end time of the last job in each lane
    out = []
    for job in run:
        start, end = job["start"] - t0, job["end"] - t0
        lane = next((k for k, busy in enumerate(lanes) if busy <= start + 1e-6), len(lanes))
        if lane == len(lanes):
            lanes.append(end)
        else:
            lanes[lane] = end
        out.append({**job, "start": start, "end": end, "lane": lane})
    return out
