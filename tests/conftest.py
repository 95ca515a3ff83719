"""Shared fixtures: one Snakemake run of config/ci.yaml per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CI_CONFIG = ROOT / "config" / "ci.yaml"

from conftest_realnano import *  # noqa: E402,F403 (real-NanoAOD fixtures)


def snakemake_command(workdir: Path, *args: str, config=CI_CONFIG, cores: int | None = 2) -> list:
    """``python -m snakemake`` on this checkout's Snakefile with ``config`` (config/ci.yaml
    by default) in ``workdir``, then ``--cores cores`` (left out for None, as a profile
    sets it) and ``args``."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
    cmd += ["--configfile", str(config), "--directory", str(workdir)]
    return cmd + (["--cores", str(cores)] if cores is not None else []) + list(args)


def run_snakemake(workdir: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    """Run the workflow of this checkout with config/ci.yaml in ``workdir``."""
    cmd = snakemake_command(workdir, *args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
            f"{proc.stderr[-8000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory) -> Path:
    """The working directory of a complete run of the ci config (all target rules).

    Set ``LHCML_CI_RUN=<dir>`` to keep the run in ``<dir>`` and bring it up to date instead
    of starting from scratch (quick iterations on single tests).
    """
    keep = os.environ.get("LHCML_CI_RUN")
    workdir = Path(keep) if keep else tmp_path_factory.mktemp("ci_run")
    run_snakemake(workdir, "all")
    return workdir


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the whole-DAG run (fixture ``ci_run``, directly or through
    another fixture) ``workflow``: ``make test-fast`` runs ``-m "not workflow and not
    cluster"``, the tier that needs no DAG run."""
    for item in items:
        if "ci_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.workflow)


def pytest_report_header(config):
    return f"lhcml tests from {ROOT} (LHCML_CI={os.environ.get('LHCML_CI', '0')})"
