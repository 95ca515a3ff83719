"""The trigger branch of the DAG on config/ci.yaml: data set, models, hls4ml, metrics, plots."""

import numpy as np
import pandas as pd
import pytest
import yaml

from lhcml.io import read_json
from lhcml.trigger.dataset import CLASSES
from lhcml.trigger.features import TRIGGER_FEATURES

from conftest import ROOT

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())["trigger"]
MODELS, HLS_MODELS = CI["models"], CI["hls_models"]

# ci config: ~770 training and ~300 test jets (at most 400 per class, ~100 top jets in all).
# Measured: accuracy 0.57 (float), 0.58 (QKeras), 0.54 (pruned QKeras); one-vs-rest AUC
# 0.78-0.85 for q, g, W, Z and 0.97-0.98 for top; argmax agreement with the emulation 0.997
# (float), 0.993 (QKeras). With ~300 test jets one disagreement is 0.3%, so the bound is 0.98.
MIN_AUC = {"gluon": 0.7, "quark": 0.68, "W": 0.7, "Z": 0.7, "top": 0.9}


@pytest.fixture(scope="module")
def trigger_metrics(ci_run):
    return read_json(ci_run / "results" / "trigger" / "metrics.json")


def test_dataset_has_the_five_classes_and_the_16_features(ci_run):
    test = pd.read_parquet(ci_run / "results" / "trigger" / "dataset" / "test.parquet")
    assert set(test["class"]) == set(CLASSES)
    assert (test["target"] == test["class"].map(CLASSES.index)).all()
    for f in TRIGGER_FEATURES:
        assert f in test.columns
    assert test["mass_mmdt"].between(0, 400).all()
    # W/Z/top jets are heavier than q/g jets after mMDT grooming
    median = test.groupby("class")["mass_mmdt"].median()
    assert median["top"] > median["W"] > median["gluon"]
    summary = read_json(ci_run / "results" / "trigger" / "dataset" / "summary.json")
    assert max(summary["train"]["per_class"].values()) <= CI["max_jets_per_class"]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_beats_chance(trigger_metrics, model):
    entry = trigger_metrics["models"][model]
    assert entry["keras"]["accuracy"] > 0.4  # chance is ~0.2 for five classes
    for cls, auc in entry["keras"]["auc"].items():
        assert auc > MIN_AUC[cls], (model, cls, auc)


def test_qkeras_keeps_the_float_accuracy_at_a_fraction_of_the_bops(trigger_metrics):
    m = trigger_metrics["models"]
    assert m["qkeras"]["keras"]["accuracy"] >= 0.93 * m["float"]["keras"]["accuracy"]
    assert m["qkeras"]["bops"] < m["float"]["bops"] / 3
    if "qkeras_pruned" in m:
        assert m["qkeras_pruned"]["bops"] < m["qkeras"]["bops"]
        target = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())["trigger"]["pruning"]
        for fraction in m["qkeras_pruned"]["sparsity"].values():
            assert fraction >= target["target_sparsity"] - 0.01


@pytest.mark.parametrize("model", HLS_MODELS)
def test_hls4ml_emulation_agrees_and_is_not_synthesised(ci_run, trigger_metrics, model):
    entry = trigger_metrics["models"][model]
    assert entry["agreement"]["argmax_agreement"] >= 0.98, entry["agreement"]
    assert entry["agreement"]["max_abs_diff"] < 0.1
    assert abs(entry["hls4ml"]["accuracy"] - entry["keras_on_emulated_jets"]["accuracy"]) < 0.03
    assert entry["synthesis"]["synthesized"] is False
    assert entry["synthesis"]["reason"]
    project = ci_run / "results" / "trigger" / "hls4ml_prj" / model
    assert (project / "firmware" / "myproject.cpp").exists()
    assert (project / "build_prj.tcl").exists()
    assert entry["compile_seconds"] > 0


def test_float_conversion_uses_the_profiled_types(ci_run, trigger_metrics):
    profile = read_json(ci_run / "results" / "trigger" / "hls" / "float.profile.json")
    used = trigger_metrics["models"]["float"]["hls_precision"]
    for layer in ("fc1", "fc2", "fc3", "output"):
        assert used[layer]["weight"] == profile["precision"][layer]["weight"]


def test_plots_and_summary(ci_run):
    plots = ci_run / "results" / "plots" / "trigger"
    for name in [*(f"roc_{c}" for c in CLASSES), "accuracy_vs_bops", "profiling_float"]:
        for ext in ("pdf", "png"):
            assert (plots / f"{name}.{ext}").stat().st_size > 1000, name
    summary = read_json(ci_run / "results" / "summary.json")
    entry = summary["stages"]["trigger"]["metrics"]
    assert "compile_seconds" not in entry["models"]["qkeras"]  # timings stay out
    assert np.isclose(
        entry["models"]["qkeras"]["bops"],
        read_json(ci_run / "results" / "trigger" / "metrics.json")["models"]["qkeras"]["bops"],
    )
