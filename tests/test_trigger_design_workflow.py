"""The trigger's design scan, conifer BDT, L1 rate and decision table on config/ci.yaml."""

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
import yaml

from lhcml.io import read_json
from lhcml.trigger import bdt, l1, models, scan
from lhcml.trigger.workflow import PROB_COLUMNS

from conftest import ROOT

CFG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["trigger"]
CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())["trigger"]
SCAN = {**CFG["scan"], **CI["scan"]}
L1 = {**CFG["l1"], **CI.get("l1", {})}
KEYS = ["sample", "run", "luminosityBlock", "event"]
CFG_INFERENCE = {
    **yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["inference"],
    **yaml.safe_load((ROOT / "config" / "ci.yaml").read_text()).get("inference", {}),
}


@pytest.fixture(scope="module")
def trig(ci_run):
    return ci_run / "results" / "trigger"


@pytest.fixture(scope="module")
def scan_summary(trig):
    return read_json(trig / "scan" / "scan.json")


@pytest.fixture(scope="module")
def points(scan_summary):
    return {p["name"]: p for p in scan_summary["points"]}


def test_scan_holds_the_configured_points_with_labelled_estimates(points):
    assert list(points) == [p["name"] for p in scan.design_points(SCAN)]
    for p in points.values():
        est = p["estimates"]
        assert est["da4ml"]["label"] == "estimate"
        assert est["da4ml"]["estimator"].startswith("da4ml 0.6")
        assert est["da4ml"]["lut"] > 0
        assert est["da4ml"]["adder_depth"] > 0
        assert p["synthesis"]["synthesized"] is False
        assert p["synthesis"]["reason"]
        assert set(p["emulated"]["auc"]) == {"gluon", "quark", "W", "Z", "top"}
    b10, b16 = points["b10_rf1_p0.00_Latency"], points["b16_rf1_p0.00_Latency"]
    # fewer bits: fewer BOPs and fewer LUTs; BOPs of a 16-64-32-32-5 network at 16 bits
    assert b10["estimates"]["bops"] < b16["estimates"]["bops"]
    assert b10["estimates"]["da4ml"]["lut"] < b16["estimates"]["da4ml"]["lut"]
    assert b16["estimates"]["analytic"]["multiplications"] <= 16 * 64 + 64 * 32 + 32 * 32 + 32 * 5


def test_16_bit_point_reproduces_the_float_model(points, scan_summary):
    """ci: ~300 test jets; measured argmax agreement 0.99-1.0, accuracy within 0.01."""
    b16 = points["b16_rf1_p0.00_Latency"]
    assert b16["agreement_vs_float"]["argmax_agreement"] >= 0.98
    assert b16["agreement_vs_float"]["mean_abs_diff"] < 0.01
    assert abs(b16["emulated"]["accuracy"] - scan_summary["float"]["accuracy"]) <= 0.02


def test_emulation_reproduces_the_quantised_keras_model(points):
    # same weights on the same grid: only the activation rounding and softmax tables differ
    for p in points.values():
        assert p["agreement_vs_quantised_keras"]["argmax_agreement"] >= 0.97, p["name"]


def test_resource_strategy_computes_what_the_latency_design_computes(trig, points):
    res, lat = points["b10_rf1_p0.00_Resource"], points["b10_rf1_p0.00_Latency"]
    assert res["estimates"]["analytic"] == lat["estimates"]["analytic"]
    assert (
        res["estimates"]["analytic"]["multipliers"]
        == res["estimates"]["analytic"]["multiplications"]
    )
    assert "multipliers" in res["estimates"]["da4ml"]["applies_to"]
    scores = pd.concat([pd.read_parquet(p) for p in sorted((trig / "scan").glob("group*.parquet"))])
    a = scores[scores["point"] == res["name"]].sort_values("row")
    b = scores[scores["point"] == lat["name"]].sort_values("row")
    # the same fixed-point arithmetic, scheduled differently: identical outputs
    np.testing.assert_array_equal(a[PROB_COLUMNS].to_numpy(), b[PROB_COLUMNS].to_numpy())


def test_chosen_design_follows_the_documented_rule(scan_summary):
    c = scan_summary["choice"]
    chosen = scan.choose(
        scan_summary["points"],
        scan_summary["float"]["accuracy"],
        c["max_accuracy_loss"],
        c["max_ii"],
    )
    assert chosen == scan_summary["chosen"]
    front = [p for p in scan_summary["points"] if p["pareto"]]
    assert front
    assert max(p["emulated"]["accuracy"] for p in front) == max(
        p["emulated"]["accuracy"] for p in scan_summary["points"]
    )


def test_conifer_emulation_agrees_with_xgboost(trig):
    """The conifer C++ emulation of the BDT against xgboost itself, recomputed here."""

    result = read_json(trig / "bdt" / "bdt.json")
    assert result["agreement"]["argmax_agreement"] >= 0.99
    assert abs(result["conifer"]["accuracy"] - result["xgboost"]["accuracy"]) <= 0.01
    assert result["resources"]["estimate"] is None
    assert "da4ml" in result["resources"]["reason"]
    booster = xgb.Booster()
    booster.load_model(trig / "bdt" / "xgboost.json")
    meta = read_json(trig / "models" / "float" / "meta.json")
    prep = models.Preprocessor.from_dict(meta["preprocessing"])
    x = prep.transform(models.feature_matrix(pd.read_parquet(trig / "dataset" / "test.parquet")))
    ref = bdt.softmax(booster.predict(xgb.DMatrix(x), output_margin=True))
    emu = pd.read_parquet(trig / "scores" / "bdt" / "conifer.parquet")[PROB_COLUMNS].to_numpy()
    assert np.mean(ref.argmax(1) == emu.argmax(1)) >= 0.99
    assert np.median(np.abs(ref - emu)) < 0.01


def test_l1_rate_by_hand_and_efficiency_at_the_target(ci_run, trig):
    out = read_json(trig / "l1.json")
    test = pd.read_parquet(trig / "dataset" / "test.parquet")
    skim = pd.read_parquet(ci_run / "results" / "skim" / "qcd.parquet", columns=["label"])
    cutflow = read_json(ci_run / "results" / "skim" / "qcd.cutflow.json")
    # pT-only rate by hand: each passing QCD test jet of class c is N_c(skim) / N_c(test)
    # generated events; R ~ L sigma eps (mu eps << 1 at these cross sections)
    eps = 0.0
    for cls in ("gluon", "quark"):
        jets = test[test["class"] == cls]
        eps += (jets["pt"] > L1["pt_threshold"]).sum() * (skim["label"] == cls).sum() / len(jets)
    eps /= cutflow["steps"][0]["events"]
    by_hand = L1["luminosity_cm2s"] * cutflow["xsec_pb"] * 1e-36 * eps / 1e3
    for name, d in out["designs"].items():
        assert d["pt_only_rate_khz"] == pytest.approx(by_hand, rel=1e-4), name
        assert d["rate_khz"] <= max(L1["target_rate_khz"], 0) * (1 + 1e-9), name
        assert d["rate_khz"] <= d["pt_only_rate_khz"]
        assert 0 <= d["signal_efficiency"] <= d["pt_only_signal_efficiency"] <= 1
    # the tagger buys W/Z efficiency at a fixed rate over a random prescale of the pT seed
    f = out["designs"]["float (Keras)"]
    prescaled = f["pt_only_signal_efficiency"] * L1["target_rate_khz"] / f["pt_only_rate_khz"]
    assert f["signal_efficiency"] > prescaled


def test_decision_table_covers_the_analysis_test_and_template_jets(ci_run, trig):
    dec = pd.read_parquet(trig / "l1_decisions.parquet")
    assert not dec.duplicated(KEYS).any()
    splits = ["test", CFG_INFERENCE["template_split"]]
    assert sorted(dec["split"].unique()) == sorted(splits)
    for split in splits:
        path = ci_run / "results" / "features" / f"{split}.parquet"
        feats = pd.read_parquet(path, columns=KEYS)
        mine = dec[dec["split"] == split]
        assert len(mine.merge(feats, on=KEYS)) == len(feats) == len(mine)
    summary = read_json(trig / "l1_decisions.json")
    assert summary["check_against_scan"]["jets"] > 0
    assert summary["check_against_scan"]["max_abs_diff"] == 0.0
    fired = (dec["l1_pt"] > summary["pt_threshold"]) & (dec["l1_score"] >= summary["threshold"])
    assert (dec["l1_pass"] == fired).all()
    assert summary["design"] == read_json(trig / "scan" / "scan.json")["chosen"]


def test_design_plots_in_the_report(ci_run):
    plots = ci_run / "results" / "plots" / "trigger"
    for name in ("scan_pareto", "l1_efficiency_vs_rate"):
        for ext in ("pdf", "png"):
            assert (plots / f"{name}.{ext}").stat().st_size > 1000, name
    stage = read_json(ci_run / "results" / "summary.json")["stages"]["trigger_design"]
    assert stage["scan"]["chosen"]
    assert "bdt" in stage
    assert "l1" in stage


def test_l1_rate_rule_uses_the_formula_of_the_module():
    assert l1.l1_rate(1.0, 8600.0, 2e34, 40e6) == pytest.approx(172.0, rel=1e-5)
