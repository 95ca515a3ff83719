"""End-to-end wall time: fresh runs of the ci config (median of ``--repeats``, capped at
2), and the default config's last complete run (``make run``) with the per-rule table from
Snakemake's ``benchmark:`` files (summed job wall time and the largest max RSS per rule)."""

from __future__ import annotations

import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import table

from lhcml.summary import benchmark_table

TITLE = "End to end: ci and default configs, per-rule times"
ROOT = Path(__file__).resolve().parents[1]


def run_ci(cores: int) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
               "--configfile", str(ROOT / "config" / "ci.yaml"), "--directory", workdir,
               "--cores", str(cores), "--quiet", "all", "all"]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - start


def last_complete_run(workdir: str) -> tuple[float, int] | None:
    """(wall seconds, jobs) of the newest Snakemake log in ``workdir`` that built
    results/summary.json and finished ("Elapsed time" is written at the end)."""
    for path in sorted(glob.glob(f"{workdir}/.snakemake/log/*.snakemake.log"), reverse=True):
        text = Path(path).read_text(errors="replace")
        elapsed = re.search(r"Elapsed time: (\d+):(\d+):([\d.]+)", text)
        steps = re.findall(r"(\d+) of (\d+) steps \(100%\) done", text)
        if elapsed and steps and "rule report_summary:" in text:
            h, m, s = elapsed.groups()
            return int(h) * 3600 + int(m) * 60 + float(s), int(steps[-1][1])
    return None


def per_rule(benchmark_dir: str) -> list[list]:
    rules = {}
    for row in benchmark_table(benchmark_dir):
        r = rules.setdefault(row["rule"], {"jobs": 0, "seconds": 0.0, "max_rss_mb": 0.0})
        r["jobs"] += 1
        r["seconds"] += row["seconds"]
        r["max_rss_mb"] = max(r["max_rss_mb"], row["max_rss_mb"] or 0.0)
    ordered = sorted(rules.items(), key=lambda kv: -kv[1]["seconds"])
    return [[name, r["jobs"], r["seconds"], r["max_rss_mb"]] for name, r in ordered]


def run(args) -> dict:
    ci = [run_ci(args.cores) for _ in range(min(args.repeats, 2))]
    default = last_complete_run(".")
    rows = per_rule(os.path.join(args.results, "benchmarks"))
    result = {
        "cores": args.cores,
        "ci_wall_s": statistics.median(ci),
        "ci_runs": ci,
        "default_wall_s": default[0] if default else None,
        "default_jobs": default[1] if default else None,
        "default_rules": [
            dict(zip(["rule", "jobs", "seconds", "max_rss_mb"], r, strict=True)) for r in rows
        ],
    }
    lines = [
        f"ci config, fresh run with --cores {args.cores}: {result['ci_wall_s']:.0f} s "
        f"(median of {len(ci)}).",
        "",
        f"Default config, last complete `make run`: {default[0] / 60:.1f} min wall for "
        f"{default[1]} jobs."
        if default
        else "Default config: no complete run found (run `make run` first).",
        "",
        "Per rule (default config; job wall seconds summed over the rule's jobs):",
        "",
        *table(["rule", "jobs", "sum of job wall s", "max RSS MB"], rows),
    ]
    return {"title": TITLE, "results": result, "lines": lines}
