"""Determinism and crash recovery of the whole DAG on config/ci.yaml (one extra run does both)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import run_snakemake, snakemake_command


def _summary(workdir: Path) -> dict:
    return json.loads((workdir / "results" / "summary.json").read_text())


def _heavy_job_running(workdir: Path) -> bool:
    """A generation job is writing its output (its temporary file exists)."""
    return any((workdir / "results" / "generated").glob("*/.*.tmp.root"))


def test_run_killed_during_a_heavy_job_resumes_to_identical_results(ci_run, tmp_path):
    """SIGKILL during generation, then ``--rerun-incomplete``: the resumed run completes and
    its results/summary.json equals that of the session's uninterrupted run.

    This run is made from scratch in its own directory, so the same comparison is also the
    determinism test: two independent runs of the ci config give identical numbers (every
    stage's metrics, seeded from the config) - one whole-DAG run fewer in the test suite.
    """
    cmd = snakemake_command(tmp_path, "all")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    # a chunk's ROOT file is written in ~25 ms on an idle machine: poll every 2 ms (polling
    # every 50 ms missed all five writes of the ci config about once in ten runs)
    deadline = time.monotonic() + 300
    while not _heavy_job_running(tmp_path):
        assert proc.poll() is None, "the run ended before a generation job started writing"
        assert time.monotonic() < deadline, "no generation job started writing within 300 s"
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its jobs, with no chance to clean up
    proc.wait()
    assert _heavy_job_running(tmp_path)  # the killed writer's temporary is still there

    run_snakemake(tmp_path, "--unlock")
    run_snakemake(tmp_path, "all", "--rerun-incomplete")
    assert _summary(tmp_path) == _summary(ci_run)
    leftovers = [p for p in (tmp_path / "results").rglob("*") if ".tmp" in p.name]
    assert leftovers == []
