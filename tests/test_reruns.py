"""Partial reruns and execution profiles, checked on Snakemake's own job plans."""

from __future__ import annotations

import importlib.util
import os

import pytest
import yaml

from conftest import ROOT, run_snakemake


def planned_jobs(workdir, *args) -> dict[str, int]:
    """Rule -> number of jobs that ``snakemake -n`` plans for ``args``."""
    proc = run_snakemake(workdir, *args, "-n", "--quiet", "rules")
    jobs = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            jobs[parts[0]] = int(parts[1])
    return jobs


def test_until_skim_plans_nothing_beyond_the_skim(tmp_path):
    jobs = planned_jobs(tmp_path, "all", "--until", "skim")
    assert set(jobs) == {"generate_chunk", "skim_sample", "skim"}
    assert jobs["skim_sample"] == 3


def test_nothing_to_do_after_a_complete_run(ci_run):
    assert planned_jobs(ci_run, "all") == {}


def with_override(tmp_path, text: str) -> tuple[str, ...]:
    """``--configfile ci.yaml override.yaml``: the override's keys win (deep merge)."""
    override = tmp_path / "override.yaml"
    override.write_text(text)
    return ("--configfile", str(ROOT / "config" / "ci.yaml"), str(override))


def test_changing_a_skim_cut_reruns_the_skim_and_downstream_only(ci_run, tmp_path):
    override = with_override(tmp_path, "skim:\n  fatjet_pt_min: 350.0\n")
    jobs = planned_jobs(ci_run, "all", *override)
    assert "generate_chunk" not in jobs
    assert jobs["skim_sample"] == 3
    assert jobs["features_build"] == 1


def test_changing_one_hyperparameter_reruns_that_training_and_downstream_only(ci_run):
    # nested --config values arrive as strings; the schema turns "4" into an integer
    jobs = planned_jobs(ci_run, "all", "--config", "train={bdt: {max_depth: 4}}")
    assert jobs.pop("taggers_train") == 1  # the BDT only
    assert jobs.pop("taggers_score") == 1
    assert jobs.pop("taggers_evaluate") == 1
    assert jobs.pop("decorrelation_ddt") == 1  # ddt_bdt transforms the BDT's scores
    # the mass fits of the taggers that read the BDT's scores (bdt itself, ddt_bdt)
    ci = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    fits = [t for t in ci["inference"]["taggers"] if t in ("bdt", "ddt_bdt")]
    for rule in ("inference_ams", "inference_fit"):
        assert jobs.pop(rule, 0) == len(fits), rule
    # their JES variations are rescored by the new model (up and down)
    assert jobs.pop("inference_jes", 0) == 2 * len(fits)
    # the DDT(BDT) mass-bandwidth scan through the fit; the other scans stay (their R50
    # and 1/JSD are joined in the inference summary, not in the scan fits)
    assert jobs.pop("inference_scan", 0) == int("ddt_bdt" in ci["decorrelate"]["taggers"])
    # nothing upstream, no other training; the rest are the jobs that read every tagger
    assert not any("train" in rule for rule in jobs), jobs
    every_tagger = {
        "taggers_plots",
        "decorrelation_summary",
        "decorrelation_plots",
        "decorrelation",
        "inference_plots",
        "inference_summary",
        "inference",
    }
    publishing = {"report_benchmarks", "report_summary", "report_page", "all"}
    assert set(jobs) <= every_tagger | publishing, jobs


@pytest.mark.parametrize("profile", ["slurm", "htcondor"])
def test_cluster_profiles_dry_run(tmp_path, profile):
    plugin = f"snakemake_executor_plugin_{profile}"
    if importlib.util.find_spec(plugin) is None:
        reason = f"{plugin} is not installed (make setup-cluster)"
        if os.environ.get("LHCML_CI") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    jobs = planned_jobs(tmp_path, "all", "--profile", str(ROOT / "profiles" / profile))
    assert jobs["generate_chunk"] == 5
