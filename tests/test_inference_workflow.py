"""The inference stage of the DAG on config/ci.yaml: pseudo-data, AMS, fits, plots, summary."""

from __future__ import annotations

import math
import os
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from lhcml.inference import ams as ams_mod
from lhcml.inference.pseudodata import LuminosityError
from lhcml.inference.workflow import make_pseudodata
from lhcml.io import read_json

from conftest import ROOT, run_snakemake

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
INF = CI["inference"]
TAGGERS = INF["taggers"]


def test_pseudodata_are_distinct_test_jets_at_the_configured_luminosity(ci_run):
    res = ci_run / "results"
    meta = read_json(res / "inference" / "pseudodata.json")
    assert meta["lumi_fb"] == INF["closure"]["lumi_fb"]
    assert meta["limiting_sample"] == "qcd"
    assert meta["lumi_fb"] <= meta["max_lumi_fb"]
    table = pq.read_table(res / "inference" / "pseudodata.parquet").to_pydict()
    test = pq.read_table(res / "features" / "test.parquet", columns=["event", "sample"])
    test_events = set(
        zip(test.column("sample").to_pylist(), test.column("event").to_pylist(), strict=True)
    )
    names = np.asarray(table["dataset"])
    assert set(names) == {"nominal", "background_only"} | {
        f"injection_{i}" for i in range(len(INF["closure"]["injection"]))
    }
    for name in set(names):
        rows = np.asarray(table["row"])[names == name]
        assert len(np.unique(rows)) == len(rows) == meta["datasets"][name]["events"]
        drawn = set(
            zip(
                np.asarray(table["sample"])[names == name],
                np.asarray(table["event"])[names == name],
                strict=True,
            )
        )
        assert drawn <= test_events  # test split only
    bkg = np.asarray(table["sample"])[names == "background_only"]
    assert set(bkg) == {"qcd"}


def test_a_too_large_luminosity_is_refused_naming_the_sample(ci_run, tmp_path):
    feats = {s: ci_run / "results" / "features" / f"{s}.parquet" for s in ("train", "val", "test")}
    samples = yaml.safe_load((ROOT / "config" / "ci-samples.yaml").read_text())
    roles = {s: c["role"] for s, c in samples.items()}
    with pytest.raises(LuminosityError, match="sample 'qcd'") as err:
        make_pseudodata(
            feats,
            roles,
            10 * INF["closure"]["lumi_fb"],
            CI["lumi_fb"],
            1.0,
            [],
            1,
            5.0,
            tmp_path / "pd.parquet",
            tmp_path / "pd.json",
        )
    assert err.value.sample == "qcd"
    assert not (tmp_path / "pd.parquet").exists()


@pytest.mark.parametrize("tagger", TAGGERS)
def test_ams_working_point(ci_run, tagger):
    res = read_json(ci_run / "results" / "inference" / tagger / "ams.json")
    scan = res["scan"]
    assert res["b_r"] == INF["ams"]["b_r"]
    assert len(scan["ams"]) == INF["ams"]["n_cuts"]
    ok = np.asarray(scan["eligible"])
    assert res["ams"] == pytest.approx(np.max(np.asarray(scan["ams"])[ok]))
    assert res["ams"] == pytest.approx(float(ams_mod.ams(res["s"], res["b"], res["b_r"])))
    assert res["background_jets"] >= INF["ams"]["min_background_jets"]
    assert res["ams"] > scan["ams"][-1]  # the cut helps over no cut


@pytest.mark.parametrize("tagger", TAGGERS)
def test_fit_results(ci_run, tagger):
    """Every configured tagger's measurement is valid, with stat and syst errors."""
    fit = read_json(ci_run / "results" / "inference" / tagger / "fit.json")
    ams = read_json(ci_run / "results" / "inference" / tagger / "ams.json")
    assert fit["threshold"] == ams["threshold"]  # the AMS cut defines the pass region
    assert fit["lumi_fb"] == INF["lumi_fb"] == 138.0
    assert fit["valid"], fit.get("reason")
    # the pseudo-data carry mu_inj = 1: the fit finds it within 4 errors
    assert abs(fit["mu"] - INF["mu_inj"]) < 4 * fit["mu_err"]
    assert 0 < fit["mu_stat"] <= fit["mu_err"]
    assert fit["mu_err"] == pytest.approx(math.hypot(fit["mu_stat"], fit["mu_syst"]), rel=1e-6)
    assert set(fit["nuisances"]) == {"jms", "jmr", "jes", "lumi", "xsec", "spurious"}
    assert fit["asimov_mu"] == pytest.approx(1.0, abs=1e-2)
    assert fit["expected_significance"] is not None
    assert fit["expected_significance"] > 0
    assert fit["toys"]["n_toys"] == INF["toys"]
    assert fit["toys"]["n_failed"] < INF["toys"] / 2
    assert len(fit["impacts_top3"]) == 3
    impacts = read_json(ci_run / "results" / "inference" / tagger / "impacts.json")
    assert impacts["ranking"][0] == fit["impacts_top3"][0]["name"]
    for point in fit["injection"]["points"]:
        assert (point["mu"] is None) == (not point["valid"])
    assert fit["closure"]["lumi_fb"] == INF["closure"]["lumi_fb"]
    # the small-sample fits (non-negative background, nuisances at their priors) all valid
    closure = fit["closure"]["datasets"]
    assert closure, closure
    assert all(d["valid"] for d in closure.values()), closure
    assert all(abs(d["pull"]) < 4 for d in closure.values()), closure
    assert fit["l1_selection"] is False


def test_the_measurement_stays_valid_for_a_tagger_trained_from_another_seed(ci_run, tmp_path):
    """Perturbed inputs from upstream: the BDT retrained from another seed (other row and
    column subsamples) scores the jets differently, and its measurement (nominal fit,
    injection points, toys) is as valid as the nominal one."""
    work = tmp_path / "seed"
    shutil.copytree(ci_run / "results", work / "results", copy_function=os.link)
    seed = CI["train"]["seed"] + 1
    run_snakemake(
        work,
        "results/inference/bdt/fit.json",
        "--forcerun",
        "taggers_train",
        "--config",
        f"train={{seed: {seed}}}",
    )
    split = INF["template_split"]
    before, after = (
        pq.read_table(d / "results" / "scores" / "bdt" / f"{split}.parquet").column("score")
        for d in (ci_run, work)
    )
    assert len(before) == len(after)
    assert not np.allclose(before, after, atol=1e-4)
    fit = read_json(work / "results" / "inference" / "bdt" / "fit.json")
    assert fit["valid"], fit.get("reason")
    assert abs(fit["mu"] - INF["mu_inj"]) < 4 * fit["mu_err"]
    assert fit["toys"]["n_toys"] == INF["toys"]
    assert fit["toys"]["n_failed"] < INF["toys"] / 2
    assert all(point["valid"] for point in fit["injection"]["points"]), fit["injection"]


def test_the_l1_selection_upstream_of_the_fit(ci_run):
    """The measurement again with the emulated L1 trigger: a valid fit on fewer signal jets
    (the same AMS cut), compared with the nominal one in the summary."""
    res = ci_run / "results" / "inference"
    summary = read_json(res / "summary.json")
    for tagger in INF["l1_selection"]["taggers"]:
        fit = read_json(res / tagger / "l1" / "fit.json")
        nominal = read_json(res / tagger / "fit.json")
        assert fit["l1_selection"] is True, fit.get("reason")
        assert fit["valid"], fit.get("reason")
        assert fit["threshold"] == nominal["threshold"]
        assert 0 < fit["expected_signal"] < nominal["expected_signal"]
        entry = summary["l1_selection"][tagger]
        assert entry["with_l1_mu_err"] == pytest.approx(fit["mu_err"], rel=1e-3)
        assert entry["without_l1_mu_err"] == pytest.approx(nominal["mu_err"], rel=1e-3)
        kept = fit["expected_signal"] / nominal["expected_signal"]
        assert entry["signal_fraction_kept"] == pytest.approx(kept, rel=1e-3)


def test_jes_variation_rescores_the_shifted_jets(ci_run):
    """The JES-up table has pt and msd scaled by 1 + jes, rescored by the tagger."""
    res = ci_run / "results"
    jes = INF["systematics"]["jes"]
    nom = pq.read_table(
        res / "features" / f"{INF['template_split']}.parquet", columns=["pt", "msd"]
    ).to_pydict()
    up = pq.read_table(res / "inference" / "bdt" / "jes_up" / "features.parquet").to_pydict()
    assert np.allclose(up["pt"], np.asarray(nom["pt"]) * (1 + jes))
    assert np.allclose(up["msd"], np.asarray(nom["msd"]) * (1 + jes))
    s_up = np.asarray(
        pq.read_table(res / "inference" / "bdt" / "jes_up" / "scores.parquet").column("score")
    )
    s_nom = np.asarray(
        pq.read_table(res / "scores" / "bdt" / f"{INF['template_split']}.parquet").column("score")
    )
    assert len(s_up) == len(s_nom)
    assert not np.allclose(s_up, s_nom)


def test_the_summary_names_the_tagger_with_the_smallest_error_and_plots_exist(ci_run):
    res = ci_run / "results"
    summary = read_json(res / "inference" / "summary.json")
    valid = {t: e["mu_err"] for t, e in summary["taggers"].items() if e["valid"]}
    assert summary["chosen_tagger"] == min(valid, key=valid.get)
    names = [f"{k}_{t}" for k in ("fit", "toys", "impacts") for t in TAGGERS]
    for name in [*names, "ams", "injection", "scans", "choice"]:
        for ext in ("pdf", "png"):
            assert (res / "plots" / "inference" / f"{name}.{ext}").stat().st_size > 1000


def test_the_decorrelation_scan_points_go_through_the_fit(ci_run):
    """Every scan point of every decorrelated tagger is fitted (scored on the template
    split by its training job): a finite total error on mu at least its stat error, the
    spurious signal as its prior, R50 and 1/JSD from the decorrelation summary; the
    summary's best_scan_point is the point with the smallest total error."""
    res = ci_run / "results"
    summary = read_json(res / "inference" / "summary.json")
    decor = read_json(res / "decorrelation" / "summary.json")
    assert set(summary["scan"]) == set(decor["scan"])
    assert summary["scan"]
    errors = {}
    for tagger, scan in summary["scan"].items():
        par = scan["parameter"]
        fitted = read_json(res / "inference" / "scan" / f"{tagger}.json")
        assert fitted["jes_nuisance"] is False
        assert "JES" in fitted["note"]
        assert [p[par] for p in scan["points"]] == [p[par] for p in decor["scan"][tagger]]
        for point, ref in zip(scan["points"], decor["scan"][tagger], strict=True):
            assert point["r50"] == pytest.approx(ref["r50"], rel=1e-3)
            assert point["valid"], (tagger, point)
            assert math.isfinite(point["mu_err"])
            assert point["mu_err"] >= point["mu_stat"] > 0
            # the spurious signal is a nuisance of this size: the total error covers it
            assert point["mu_err"] >= 0.95 * point["spurious_size"]
            assert point["spurious_size"] >= abs(point["spurious_mu"])
            errors[(tagger, point[par])] = point["mu_err"]
    best = summary["best_scan_point"]
    assert best["mu_err"] == min(errors.values())
    assert errors[(best["tagger"], best["value"])] == best["mu_err"]
    assert "JES" in summary["scan_note"]
