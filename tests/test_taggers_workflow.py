"""The tagger stage of the DAG on config/ci.yaml: models, scores, metrics and plots."""

import subprocess

import awkward as ak
import numpy as np
import pytest
import yaml

from lhcml.io import read_json
from lhcml.taggers import ML_TAGGERS, load_tagger
from lhcml.taggers.metrics import validate_metrics

from conftest import ROOT, snakemake_command

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
TAGGERS = CI["train"]["taggers"]
SPLITS = ("train", "val", "test")

# Test AUC on the ci config (~440 + 430 training jets, ~180 + 160 test jets per class).
# Measured: BDT 0.92, DNN 0.92, Deep Sets 0.85, tau21 0.82, N2 0.84, each +- 0.02 (bootstrap):
# the bounds leave 4-5 standard deviations, and every tagger is far above chance (0.5).
MIN_AUC = {"bdt": 0.82, "dnn": 0.82, "deepsets": 0.75, "tau21": 0.72, "n2": 0.72}


def _features(run_dir, split):
    return ak.from_parquet(run_dir / "results" / "features" / f"{split}.parquet")


@pytest.mark.parametrize("tagger", TAGGERS)
def test_metrics_layout_and_counts(ci_run, tagger):
    metrics = read_json(ci_run / "results" / "metrics" / f"{tagger}.json")
    validate_metrics(metrics)
    assert metrics["tagger"] == tagger
    assert metrics["split"] == "test"
    y = _features(ci_run, "test").y.to_numpy()
    assert metrics["n_test"] == {"signal": int((y == 1).sum()), "background": int((y == 0).sum())}
    y_train = _features(ci_run, "train").y.to_numpy()
    if tagger in ML_TAGGERS:
        assert metrics["n_train"] == {
            "signal": int((y_train == 1).sum()),
            "background": int((y_train == 0).sum()),
        }
        assert metrics["train_seconds"] > 0
    assert metrics["bootstrap"] == CI["train"]["bootstrap"]
    assert metrics["auc_err"] > 0
    assert metrics["r50"] > 1


@pytest.mark.parametrize("tagger", TAGGERS)
def test_auc_above_chance(ci_run, tagger):
    metrics = read_json(ci_run / "results" / "metrics" / f"{tagger}.json")
    assert metrics["auc"] > MIN_AUC[tagger], metrics


def test_ml_taggers_beat_tau21(ci_run):
    auc = {t: read_json(ci_run / "results" / "metrics" / f"{t}.json")["auc"] for t in TAGGERS}
    for tagger in ("bdt", "dnn"):
        assert auc[tagger] > auc["tau21"] + 0.04, auc


@pytest.mark.parametrize("tagger", TAGGERS)
def test_scores_cover_every_split_in_feature_order(ci_run, tagger):
    for split in SPLITS:
        features = _features(ci_run, split)
        scores = ak.from_parquet(ci_run / "results" / "scores" / tagger / f"{split}.parquet")
        assert scores.fields == ["sample", "run", "luminosityBlock", "event", "score"]
        for c in ("run", "luminosityBlock", "event"):
            np.testing.assert_array_equal(scores[c].to_numpy(), features[c].to_numpy())
        s = scores.score.to_numpy()
        if tagger in ML_TAGGERS:
            assert np.all((s >= 0) & (s <= 1))
        else:
            assert not np.isnan(s).any()


@pytest.mark.parametrize("tagger", TAGGERS)
def test_saved_models_reproduce_the_workflow_scores(ci_run, tagger):
    folder = ci_run / "results" / "models" / tagger
    model = load_tagger(folder / "model", folder / "meta.json")
    test = _features(ci_run, "test")
    stored = ak.from_parquet(ci_run / "results" / "scores" / tagger / "test.parquet").score
    np.testing.assert_array_equal(model.score(test), stored.to_numpy())


def test_training_progress_is_logged(ci_run):
    logs = ci_run / "results" / "logs" / "taggers" / "train"
    assert "iteration" in (logs / "bdt.log").read_text()
    for tagger in ("dnn", "deepsets"):
        text = (logs / f"{tagger}.log").read_text()
        assert "epoch   1: loss" in text, text[-2000:]
        assert "val_loss" in text, text[-2000:]
        meta = read_json(ci_run / "results" / "models" / tagger / "meta.json")
        assert (
            len(meta["history"]["val_loss"]) == meta["epochs_run"] <= CI["train"][tagger]["epochs"]
        )
    for tagger in TAGGERS:
        assert (ci_run / "results" / "benchmarks" / "taggers_train" / f"{tagger}.tsv").exists()


def test_plots_exist_in_both_formats(ci_run):
    plots = ci_run / "results" / "plots" / "taggers"
    names = ["roc", "bdt_importance"]
    names += [f"{kind}_{t}" for t in TAGGERS for kind in ("scores", "msd_sculpting")]
    for name in names:
        for ext in ("pdf", "png"):
            assert (plots / f"{name}.{ext}").stat().st_size > 5000, f"{name}.{ext}"


def test_changed_bdt_parameter_reruns_only_the_bdt(ci_run, tmp_path):
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    config["train"]["bdt"]["max_depth"] += 1
    config["samples"] = str(ROOT / "config" / "ci-samples.yaml")  # this copy lives elsewhere
    path = tmp_path / "ci_bdt.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))  # key order is part of params
    proc = subprocess.run(
        snakemake_command(ci_run, "taggers", "-n", "--quiet", "rules", config=path, cores=None),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in (proc.stdout + proc.stderr).splitlines()
        if len(line.split()) == 2 and line.split()[1].isdigit()
    }
    assert counts == {
        "taggers_train": 1,
        "taggers_score": 1,
        "taggers_evaluate": 1,
        "taggers_plots": 1,
        "taggers": 1,
        "total": 5,
    }, proc.stdout + proc.stderr
