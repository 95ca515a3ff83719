"""The inference stage of the DAG on config/ci.yaml: pseudo-data, AMS, fits, plots, summary."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from lhcml.inference import ams as ams_mod
from lhcml.inference.pseudodata import LuminosityError
from lhcml.inference.workflow import make_pseudodata
from lhcml.io import read_json

from conftest import ROOT

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
INF = CI["inference"]
TAGGERS = INF["taggers"]


def test_pseudodata_are_distinct_test_jets_at_the_configured_luminosity(ci_run):
    res = ci_run / "results"
    meta = read_json(res / "inference" / "pseudodata.json")
    assert meta["lumi_fb"] == INF["lumi_fb"] and meta["limiting_sample"] == "qcd"
    assert meta["lumi_fb"] <= meta["max_lumi_fb"]
    table = pq.read_table(res / "inference" / "pseudodata.parquet").to_pydict()
    test = pq.read_table(res / "features" / "test.parquet", columns=["event", "sample"])
    test_events = set(
        zip(test.column("sample").to_pylist(), test.column("event").to_pylist(), strict=True)
    )
    names = np.asarray(table["dataset"])
    assert set(names) == {"nominal", "background_only"} | {
        f"injection_{i}" for i in range(len(INF["injection"]))
    }
    for name in set(names):
        rows = np.asarray(table["row"])[names == name]
        assert len(np.unique(rows)) == len(rows) == meta["datasets"][name]["events"]
        drawn = set(zip(np.asarray(table["sample"])[names == name],
                        np.asarray(table["event"])[names == name], strict=True))  # fmt: skip
        assert drawn <= test_events  # test split only
    bkg = np.asarray(table["sample"])[names == "background_only"]
    assert set(bkg) == {"qcd"}


def test_a_too_large_luminosity_is_refused_naming_the_sample(ci_run, tmp_path):
    feats = {s: ci_run / "results" / "features" / f"{s}.parquet" for s in ("train", "val", "test")}
    samples = yaml.safe_load((ROOT / "config" / "ci-samples.yaml").read_text())
    roles = {s: c["role"] for s, c in samples.items()}
    with pytest.raises(LuminosityError, match="sample 'qcd'") as err:
        make_pseudodata(feats, roles, 10 * INF["lumi_fb"], CI["lumi_fb"], 1.0, [], 1, 5.0,
                        tmp_path / "pd.parquet", tmp_path / "pd.json")  # fmt: skip
    assert err.value.sample == "qcd"
    assert not (tmp_path / "pd.parquet").exists()


@pytest.mark.parametrize("tagger", TAGGERS)
def test_ams_working_point(ci_run, tagger):
    res = read_json(ci_run / "results" / "inference" / tagger / "ams.json")
    scan = res["scan"]
    assert res["b_r"] == INF["ams"]["b_r"] and len(scan["ams"]) == INF["ams"]["n_cuts"]
    ok = np.asarray(scan["eligible"])
    assert res["ams"] == pytest.approx(np.max(np.asarray(scan["ams"])[ok]))
    assert res["ams"] == pytest.approx(float(ams_mod.ams(res["s"], res["b"], res["b_r"])))
    assert res["background_jets"] >= INF["ams"]["min_background_jets"]
    assert res["ams"] > scan["ams"][-1]  # the cut helps over no cut


@pytest.mark.parametrize("tagger", TAGGERS)
def test_fit_results(ci_run, tagger):
    fit = read_json(ci_run / "results" / "inference" / tagger / "fit.json")
    ams = read_json(ci_run / "results" / "inference" / tagger / "ams.json")
    assert fit["threshold"] == ams["threshold"]  # the AMS cut defines the pass region
    assert set(fit["templates"]) == {"W", "Z"}
    assert 70 < fit["templates"]["W"]["values"]["mean"] < 90
    assert fit["templates"]["Z"]["values"]["mean"] > fit["templates"]["W"]["values"]["mean"]
    if fit["valid"]:
        # the nominal pseudo-data carry mu_inj: the fit finds it within 4 errors
        assert abs(fit["mu"] - INF["mu_inj"]) < 4 * fit["mu_err"]
        assert fit["significance"] is not None and fit["significance"] > 0
        assert fit["toys"]["n_toys"] == INF["toys"]
        # Minuit's covariance, or the numerical Hessian where Minuit's is not accurate
        if fit["status"]["hesse_method"] == "minuit_hesse":
            assert fit["status"]["covariance_posdef"]
        else:
            assert fit["status"]["hesse_method"] == "hesse_np"
    else:  # a failed fit reports no numbers
        assert fit["mu"] is None and fit["mu_err"] is None and fit.get("significance") is None
        assert "params" not in fit
    for point in fit["injection"]["points"]:
        assert (point["mu"] is None) == (not point["valid"])
    spurious = fit["spurious_signal"]
    if spurious["valid"]:
        assert spurious["in_sigma"] == pytest.approx(spurious["mu"] / spurious["mu_err"])


def test_at_least_one_fit_is_valid_and_plots_exist(ci_run):
    res = ci_run / "results"
    fits = {t: read_json(res / "inference" / t / "fit.json") for t in TAGGERS}
    assert any(f["valid"] for f in fits.values())
    summary = read_json(res / "summary.json")["stages"]["inference"]["metrics"]
    assert set(summary["taggers"]) == set(TAGGERS)
    for name in [*(f"fit_{t}" for t in TAGGERS), *(f"toys_{t}" for t in TAGGERS), "ams",
                 "injection"]:  # fmt: skip
        for ext in ("pdf", "png"):
            assert (res / "plots" / "inference" / f"{name}.{ext}").stat().st_size > 1000
