"""The workflow on a real single-node Slurm (tools/slurm/local-slurm.sh).

Runs when Slurm can be started here (root, and the Debian packages installed or
installable with apt-get) and the executor plugin is installed (`make setup-cluster`,
which `make test` runs as root); otherwise skips with the reason. In CI (``LHCML_CI=1``,
set by .ci/run) a skip is a failure: the Slurm path is always tested there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import awkward as ak
import pytest

from lhcml.skim.run import skim_sample

from conftest import ROOT, snakemake_command

pytestmark = pytest.mark.cluster

SLURM = ROOT / "tools" / "slurm" / "local-slurm.sh"
#: Target rules only collect their inputs: Snakemake runs them locally, not in Slurm.
TARGET_RULES = {
    "all",
    "generate",
    "skim",
    "features",
    "taggers",
    "decorrelation",
    "datamc",
    "inference",
    "calo",
    "trigger",
    "trigger_design",
    "report",
}


def _local_rules() -> set[str]:
    """The Snakefile's ``localrules:`` (small summary jobs run by Snakemake itself)."""
    text = (ROOT / "Snakefile").read_text()
    block = text.split("\nlocalrules:", 1)[1].split("\n\n", 1)[0]
    return {name.strip() for name in block.replace("\n", ",").split(",") if name.strip()}


LOCAL_RULES = _local_rules()
STATE = Path(os.environ.get("LHCML_SLURM_DIR", "/tmp/lhcml-slurm"))


def _unavailable(reason: str):
    if os.environ.get("LHCML_CI") == "1":
        pytest.fail(f"Slurm test required in CI but cannot run: {reason}")
    pytest.skip(reason)


def _controller_answers() -> bool:
    if not shutil.which("scontrol"):
        return False
    proc = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
    return proc.returncode == 0 and "UP" in proc.stdout


@pytest.fixture(scope="session")
def slurm():
    """A running Slurm controller and node; stopped at the end if this fixture started it."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        _unavailable("snakemake-executor-plugin-slurm is not installed (make setup-cluster)")
    if _controller_answers():
        yield STATE
        return
    if os.geteuid() != 0:
        _unavailable("starting a local Slurm needs root")
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        _unavailable("Slurm is not installed and apt-get is not available")
    # twice the cores: a short job's allocation is mostly the executor plugin's two
    # Snakemake start-ups and the waits around them, which other jobs' work fills
    env = {**os.environ, "LHCML_SLURM_CPUS": str(2 * len(os.sched_getaffinity(0)))}
    for action in ("install", "start"):
        proc = subprocess.run(
            [str(SLURM), action], capture_output=True, text=True, timeout=900, env=env
        )
        if proc.returncode != 0:
            _unavailable(f"local-slurm.sh {action} failed: {proc.stderr.strip()[-500:]}")
    try:
        yield STATE
    finally:
        subprocess.run([str(SLURM), "stop"], capture_output=True, timeout=120)


def _slurm_jobs(workdir: Path) -> dict[str, list[int]]:
    """Rule name -> the Slurm job id of each of its jobs, from the plugin's kept per-job
    logs: ``results/logs/slurm/rule_<name>/[<wildcards>/]<jobid>.log`` for a job of its own,
    ``group_<group>_<rules>/<jobid>.log`` for a group job, in whose log the job step's
    Snakemake, which runs the group's jobs, writes ``localrule <name>:`` for each."""
    jobs: dict[str, list[int]] = {}
    logs = workdir / "results" / "logs" / "slurm"
    for log in logs.rglob("*.log"):
        top = log.relative_to(logs).parts[0]
        if top.startswith("rule_"):
            rules = [top.removeprefix("rule_")]
        else:
            assert top.startswith("group_"), log
            rules = re.findall(r"^localrule (\w+):$", log.read_text(), re.MULTILINE)
        for rule in rules:
            jobs.setdefault(rule, []).append(int(log.stem))
    return jobs


def _running_slurm_jobs(workdir: Path) -> list[str]:
    """Ids of the running Slurm jobs submitted from ``workdir`` (not those of other runs,
    e.g. Dask worker jobs of an earlier test that are still being torn down)."""
    proc = subprocess.run(
        ["squeue", "-h", "-t", "RUNNING", "-o", "%i %Z"], capture_output=True, text=True, timeout=30
    )
    jobs = (line.split(maxsplit=1) for line in proc.stdout.splitlines() if line.strip())
    return [job for job, cwd in jobs if Path(cwd.strip()) == workdir]


def _job_states(workdir: Path) -> dict[str, set[int]]:
    """Ids of the jobs submitted from ``workdir`` that ended COMPLETED or CANCELLED, from
    the controller's job-completion log."""
    states: dict[str, set[int]] = {"COMPLETED": set(), "CANCELLED": set()}
    log = STATE / "log" / "jobcomp.txt"
    for line in log.read_text().splitlines() if log.exists() else []:
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields.get("WorkDir") == str(workdir) and fields.get("JobState") in states:
            states[fields["JobState"]].add(int(fields["JobId"]))
    return states


def test_ci_config_through_slurm_equals_local_run(slurm, ci_run, tmp_path):
    """The whole ci DAG through ``--profile profiles/slurm``, with the first Slurm job seen
    running cancelled from outside (``scancel``): the cancelled job fails, the profile's
    retries resubmit it, every job completes in Slurm and the results equal the local run.

    This run is made from scratch, so the comparison is also the determinism test of the
    whole DAG: two independent runs of the ci config (one local, one on the cluster, with a
    job killed half-way) give the same numbers for every stage."""
    workdir = tmp_path / "slurm_run"
    workdir.mkdir()
    cmd = ["timeout", "-s", "INT", "1800"]
    cmd += snakemake_command(
        workdir, "--profile", str(ROOT / "profiles" / "slurm"), "all", cores=None
    )
    output = tmp_path / "snakemake.out"
    with open(output, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        cancelled = None
        deadline = time.monotonic() + 300
        while cancelled is None and proc.poll() is None and time.monotonic() < deadline:
            running = _running_slurm_jobs(workdir)
            if running:
                cancelled = int(running[0])
                subprocess.run(["scancel", str(cancelled)], check=True, timeout=30)
            time.sleep(0.5)
        returncode = proc.wait(timeout=1900)
    assert returncode == 0, output.read_text()[-6000:]
    assert cancelled is not None, "no Slurm job was seen running"

    # every job that is not a target rule or a local rule went through Slurm and completed
    # there (the cancelled one at its retry); the local rules did not
    dry = subprocess.run(
        snakemake_command(tmp_path / "dag", "-n", "--quiet", "rules", "all", cores=None),
        capture_output=True,
        text=True,
        timeout=300,
    )
    counts = {}
    for line in (dry.stdout + dry.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    jobs = _slurm_jobs(workdir)
    states = _job_states(workdir)
    assert states["CANCELLED"] == {cancelled}, states["CANCELLED"]
    assert {"report_summary", "report_page"} <= LOCAL_RULES
    assert not LOCAL_RULES & set(jobs), jobs
    for rule, n in counts.items():
        if rule in jobs or (n and rule not in TARGET_RULES | LOCAL_RULES):
            completed = [i for i in jobs.get(rule, []) if i in states["COMPLETED"]]
            assert len(completed) == n, (rule, jobs, sorted(states["COMPLETED"]))
    assert len({i for ids in jobs.values() for i in ids}) == len(states["COMPLETED"]) + 1
    # the rules' groups: each tagger trained, scored and evaluated in one Slurm job, each
    # particle's showers validated and plotted in one, the L1 menu and its decisions in one
    for first, *rest in (
        ("taggers_train", "taggers_score", "taggers_evaluate"),
        ("calo_validate", "calo_plots"),
        ("trigger_l1", "trigger_decisions"),
    ):
        done = {i for i in jobs[first] if i in states["COMPLETED"]}
        assert len(done) == counts[first], (first, jobs)
        for rule in rest:
            assert done == {i for i in jobs[rule] if i in states["COMPLETED"]}, (rule, jobs)

    # and the results equal those of the local run: every stage's numbers, and the tables
    summary = json.loads((workdir / "results" / "summary.json").read_text())
    assert summary == json.loads((ci_run / "results" / "summary.json").read_text())
    for split in ("train", "val", "test"):
        local = ak.from_parquet(ci_run / "results" / "features" / f"{split}.parquet")
        remote = ak.from_parquet(workdir / "results" / "features" / f"{split}.parquet")
        assert ak.array_equal(local, remote, equal_nan=True), split
    for sample in ("qcd", "vjets", "ttbar"):
        name = f"{sample}.cutflow.json"
        local = (ci_run / "results" / "skim" / name).read_text()
        assert (workdir / "results" / "skim" / name).read_text() == local


def test_dask_skim_on_slurm_equals_the_plain_skim(slurm, ci_run, tmp_path):
    """The coffea skim on Dask workers that are Slurm jobs (dask-jobqueue) gives the
    workflow's own (iterative) skim output exactly."""

    if importlib.util.find_spec("dask_jobqueue") is None:
        _unavailable("dask-jobqueue is not installed (make setup-cluster)")
    files = sorted((ci_run / "results" / "generated" / "qcd").glob("*.root"))
    reference = json.loads((ci_run / "results" / "skim" / "qcd.cutflow.json").read_text())
    cuts = {
        "fatjet_pt_min": 300.0,
        "fatjet_abs_eta_max": 2.4,
        "msoftdrop_min": 30.0,
        "msoftdrop_max": 250.0,
    }
    skim_sample(
        files,
        "qcd",
        reference["xsec_pb"],
        reference["lumi_fb"],
        cuts,
        tmp_path / "qcd.parquet",
        tmp_path / "qcd.cutflow.json",
        executor="dask",
        workers=2,
        chunksize=500,
        dask={"cluster": "slurm", "slurm": {"queue": "debug", "memory": "2GB"}},
    )
    assert json.loads((tmp_path / "qcd.cutflow.json").read_text()) == reference
    local = ak.from_parquet(ci_run / "results" / "skim" / "qcd.parquet")
    assert ak.array_equal(ak.from_parquet(tmp_path / "qcd.parquet"), local, equal_nan=True)
