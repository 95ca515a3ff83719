"""Publishing: summary.json, benchmark summary, the HTML report, conda environments."""

from __future__ import annotations

import csv
import io
import json
import re
from types import SimpleNamespace

import jinja2
from docutils.core import publish_doctree

from lhcml.config import load_config
from lhcml.summary import config_hash, results_markdown, without_timings

from conftest import ROOT, run_snakemake


def test_summary_has_every_stage_and_provenance(ci_run):
    summary = json.loads((ci_run / "results" / "summary.json").read_text())
    assert summary["config_sha256"] == config_hash(load_config(ROOT / "config" / "ci.yaml"))
    assert summary["versions"]["snakemake"]
    assert summary["versions"]["coffea"]
    assert {"skim", "features", "taggers"} <= set(summary["stages"])
    cutflow = summary["stages"]["skim"]["qcd"]
    assert cutflow["steps"][0]["events"] == 2000
    # tagger metrics are there, their training wall times are not (they are in benchmarks)
    bdt = summary["stages"]["taggers"]["bdt"]
    assert 0.5 < bdt["auc"] <= 1
    assert "train_seconds" not in bdt


def test_the_config_hash_does_not_depend_on_where_the_checkout_is():
    config = load_config(ROOT / "config" / "opendata.yaml")  # files beside its samples
    here = config_hash(config)
    assert config["samples_file"].startswith(str(ROOT))
    qcd = config["samples"]["qcd"]["files"][0]
    assert qcd.startswith(str(ROOT / "tests" / ".cache"))

    def moved(value, new_root="/elsewhere/lhcml"):
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value.replace(str(ROOT), new_root) if isinstance(value, str) else value

    # the same config in another clone: the same hash
    assert config_hash(moved(config), root="/elsewhere/lhcml") == here
    # another file (outside the checkout, or another one inside it): another hash
    other = moved(config)
    other["samples"]["qcd"]["files"] = ["/data/qcd.root"]
    assert config_hash(other, root="/elsewhere/lhcml") != here
    config["samples"]["qcd"]["files"] = [qcd.replace("pfnano", "nano_dy")]
    assert config_hash(config) != here


def test_summary_leaves_out_timings_at_any_depth():
    metrics = {
        "auc": 0.9,
        "train_seconds": 3.2,
        "calo": [{"w1": 0.1, "timing": {"gan": 1}}],
        "toys": {"n_toys": 10, "seconds_per_toy": 0.16},
        "seconds": 4.0,
    }
    assert without_timings(metrics) == {"auc": 0.9, "calo": [{"w1": 0.1}], "toys": {"n_toys": 10}}


def test_report_benchmarks_lists_every_job(ci_run):
    with open(ci_run / "results" / "benchmarks" / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    by_rule = {}
    for row in rows:
        by_rule.setdefault(row["rule"], []).append(float(row["seconds"]))
    # results/benchmarks/generate_chunk/{sample}/{chunk}.tsv
    assert len(by_rule["generate_chunk"]) == 5
    assert len(by_rule["skim_sample"]) == 3
    assert all(s > 0 for times in by_rule.values() for s in times)


def test_every_rule_that_does_work_has_a_benchmark_file():
    """The per-rule table of `make bench` covers every job: only the aggregation rules
    (which read the other rules' benchmark files or outputs) and the target rules have
    no ``benchmark:`` directive."""

    exempt = {"all", "report_summary", "report_page", "report_benchmarks", "report"}
    missing = []
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        blocks = re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]
        for block in blocks:
            name = block.split(":", 1)[0].strip()
            is_target = "script:" not in block and "shell:" not in block
            if name not in exempt and not is_target and "    benchmark:" not in block:
                missing.append(f"{smk.name}: {name}")
    assert not missing, f"rules without benchmark: {missing}"


def test_every_plot_is_pdf_and_png_and_in_the_html_report(ci_run):
    report = ci_run / "results" / "report.html"
    run_snakemake(ci_run, "--report", str(report))
    html = report.read_text()
    pngs = sorted((ci_run / "results" / "plots").rglob("*.png"))
    assert len(pngs) >= 9
    for png in pngs:
        assert png.with_suffix(".pdf").exists(), png
        assert png.name in html, f"{png} is not in the report"


def test_results_page_renders_every_number_of_the_summary():
    summary = {
        "config_sha256": "abc123",
        "python": "3.11.9",
        "versions": {"numpy": "2.1.0", "zfit": None},
        "stages": {
            "taggers": {
                "bdt": {"auc": 0.912345678, "r50": 38.04, "n_test": {"signal": 120}},
                "tau21": {"auc": 0.7, "r50": None, "inputs": ["tau21"]},
            },
            "features": {"metrics": {"splits": [{"n": 10}, {"n": 5}]}},
        },
    }
    page = results_markdown(summary)
    assert "`abc123`" in page
    assert "numpy 2.1.0" in page
    assert "zfit" not in page
    assert "## taggers" in page
    assert "### bdt" in page
    assert "### tau21" in page
    assert "| auc | 0.9123 |" in page
    assert "| r50 | 38.04 |" in page
    assert "| n_test.signal | 120 |" in page
    assert "| r50 | - |" in page
    assert "| inputs | tau21 |" in page
    assert "| splits[0].n | 10 |" in page
    assert "| splits[1].n | 5 |" in page
    assert "### metrics" not in page  # a stage with one metrics file has no sub-heading


def test_results_page_of_the_run_shows_the_metrics_files_numbers(ci_run):
    page = (ci_run / "results" / "results.md").read_text()
    summary = json.loads((ci_run / "results" / "summary.json").read_text())
    assert page == results_markdown(summary)
    for tagger, metrics in summary["stages"]["taggers"].items():
        on_disk = json.loads((ci_run / "results" / "metrics" / f"{tagger}.json").read_text())
        assert f"| auc | {on_disk['auc']:.4g} |" in page, tagger
        assert metrics["auc"] == on_disk["auc"]


def test_report_captions_render_without_restructuredtext_errors():
    """Every caption, filled in with the default config as Snakemake does, is valid
    reStructuredText (``|eta|`` unescaped was an undefined substitution, once per plot)."""

    config = load_config(ROOT / "config" / "config.yaml")
    for caption in sorted((ROOT / "report").glob("*.rst")):
        text = jinja2.Template(caption.read_text()).render(snakemake=SimpleNamespace(config=config))
        errors = io.StringIO()
        publish_doctree(text, settings_overrides={"warning_stream": errors, "report_level": 2})
        assert not errors.getvalue(), f"{caption.name}: {errors.getvalue()}"


def test_every_caption_named_in_the_rules_exists_and_every_caption_is_used():
    """``snakemake --report`` stops at the first missing caption file, after a whole run;
    this catches it from the rule files alone."""

    text = "\n".join(p.read_text() for p in sorted((ROOT / "rules").rglob("*.smk")))
    named = set(re.findall(r'caption="\.\./report/([\w.-]+)\.rst"', text))
    named |= set(re.findall(r'(?:png|calo_plot)\(\s*(?:f?"[^"]*"),\s*"([\w.-]+)"', text))
    assert len(named) >= 20, sorted(named)  # the patterns still match the rule files
    on_disk = {p.stem for p in (ROOT / "report").glob("*.rst")}
    assert named - on_disk == set(), "captions named in rules/ but missing in report/"
    assert on_disk - named == set(), "captions in report/ that no rule uses"
