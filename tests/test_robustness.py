"""Crash recovery on config/ci.yaml: a run killed during generation resumes to the tables of
an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import awkward as ak

from conftest import run_snakemake, snakemake_command


def _heavy_job_running(workdir: Path) -> bool:
    """A generation job is writing its output (its temporary file exists)."""
    return any((workdir / "results" / "generated").glob("*/.*.tmp.root"))


def test_run_killed_during_a_heavy_job_resumes_to_identical_results(ci_run, tmp_path):
    """SIGKILL during generation, then ``--rerun-incomplete``: the resumed run completes and
    its skims and feature tables equal those of the session's uninterrupted run, event by
    event, and no temporary file is left.

    The run goes as far as the feature tables (target ``features``): every later stage is a
    seeded function of them, and the determinism of the whole DAG (two independent runs
    give the same numbers for every stage) is the Slurm test's comparison
    (tests/test_cluster.py), whose run is also made from scratch.
    """
    cmd = snakemake_command(tmp_path, "features")
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
    run_snakemake(tmp_path, "features", "--rerun-incomplete")
    results, reference = tmp_path / "results", ci_run / "results"
    for split in ("train", "val", "test"):
        resumed = ak.from_parquet(results / "features" / f"{split}.parquet")
        local = ak.from_parquet(reference / "features" / f"{split}.parquet")
        assert ak.array_equal(resumed, local, equal_nan=True), split
    cutflows = sorted(p.name for p in (reference / "skim").glob("*.cutflow.json"))
    assert cutflows
    for name in cutflows:
        assert (results / "skim" / name).read_text() == (reference / "skim" / name).read_text()
    leftovers = [p for p in (tmp_path / "results").rglob("*") if ".tmp" in p.name]
    assert leftovers == []
