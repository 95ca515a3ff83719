"""Publishing: summary.json, benchmark summary, the HTML report, conda environments."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import yaml

from lhcml.config import load_config
from lhcml.summary import config_hash, without_timings

from conftest import ROOT, run_snakemake


def test_summary_has_every_stage_and_provenance(ci_run):
    summary = json.loads((ci_run / "results" / "summary.json").read_text())
    assert summary["config_sha256"] == config_hash(load_config(ROOT / "config" / "ci.yaml"))
    assert summary["versions"]["snakemake"] and summary["versions"]["coffea"]
    assert {"skim", "features", "train"} <= set(summary["stages"])
    cutflow = summary["stages"]["skim"]["qcd"]
    assert cutflow["steps"][0]["events"] == 2000
    # tagger metrics are there, their training wall times are not (they are in benchmarks)
    bdt = summary["stages"]["train"]["bdt"]
    assert 0.5 < bdt["auc"] <= 1 and "train_seconds" not in bdt


def test_summary_leaves_out_timings_at_any_depth():
    metrics = {"auc": 0.9, "train_seconds": 3.2, "calo": [{"w1": 0.1, "timing": {"gan": 1}}]}
    assert without_timings(metrics) == {"auc": 0.9, "calo": [{"w1": 0.1}]}


def test_benchmark_summary_lists_every_job(ci_run):
    with open(ci_run / "results" / "benchmarks" / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    by_rule = {}
    for row in rows:
        by_rule.setdefault(row["rule"], []).append(float(row["seconds"]))
    assert len(by_rule["generate"]) == 5  # results/benchmarks/generate/{sample}/{chunk}.tsv
    assert len(by_rule["skim"]) == 3
    assert all(s > 0 for times in by_rule.values() for s in times)


def test_every_plot_is_pdf_and_png_and_in_the_html_report(ci_run):
    report = ci_run / "results" / "report.html"
    run_snakemake(ci_run, "--report", str(report))
    html = report.read_text()
    pngs = sorted((ci_run / "results" / "plots").rglob("*.png"))
    assert len(pngs) >= 9
    for png in pngs:
        assert png.with_suffix(".pdf").exists(), png
        assert png.name in html, f"{png} is not in the report"


def _rule_blocks(text: str):
    """(rule name, body) of every rule in a Snakemake file."""
    parts = re.split(r"^rule (\w+):\n", text, flags=re.M)
    return zip(parts[1::2], parts[2::2], strict=True)


def test_every_job_rule_names_a_conda_env():
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        for name, body in _rule_blocks(smk.read_text()):
            block = body.split("\n\n\n")[0]
            runs_code = re.search(r"^\s+(script|shell|run|notebook):", block, flags=re.M)
            if runs_code:
                env = re.search(r'^\s+conda:\n\s+"([^"]+)"', block, flags=re.M)
                assert env, f"{smk.name}: rule {name} names no conda env"
                assert (smk.parent / env.group(1)).resolve().exists(), (name, env.group(1))


def _lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-").split("[")[0]] = m.group(2)
    return pins


def test_conda_env_pins_agree_with_the_lock():
    lock = _lock_pins(ROOT / "requirements.lock")
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        env = yaml.safe_load(env_file.read_text())
        for dep in env["dependencies"]:
            if isinstance(dep, str) and dep.startswith("python="):
                assert dep == "python=3.11", env_file
            if isinstance(dep, dict):
                for req in dep["pip"]:
                    if req.startswith("-r "):
                        target = (env_file.parent / req[3:]).resolve()
                        assert target == (ROOT / "requirements.lock").resolve(), req
                        continue
                    name, _, version = req.partition("==")
                    key = name.lower().replace("_", "-").split("[")[0]
                    assert lock.get(key) == version, (
                        f"{env_file.name}: {req} vs lock {lock.get(key)}"
                    )
