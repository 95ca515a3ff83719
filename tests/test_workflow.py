"""The whole DAG on config/ci.yaml: content of what each stage hands to the next."""

import itertools
import json

import awkward as ak
import numpy as np
import pytest

from lhcml.config import load_config
from lhcml.generate import sample_cross_section

from conftest import ROOT, run_snakemake

CI = load_config(ROOT / "config" / "ci.yaml")  # samples: the validated samples file


def _cutflow(run_dir, sample):
    return json.loads((run_dir / "results" / "skim" / f"{sample}.cutflow.json").read_text())


def _features(run_dir):
    return {
        s: ak.from_parquet(run_dir / "results" / "features" / f"{s}.parquet")
        for s in ("train", "val", "test")
    }


def test_dag_order_generate_skim_features(tmp_path):
    proc = run_snakemake(tmp_path, "features", "-n", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    chunks = sum(s["chunks"] for s in CI["samples"].values())
    for rule, count in (
        ("generate_chunk", chunks),
        ("skim_sample", len(CI["samples"])),
        ("features_build", 1),
    ):
        assert any(line.split()[:2] == [rule, str(count)] for line in out.splitlines()), out


@pytest.mark.parametrize("sample", list(CI["samples"]))
def test_weights_sum_to_xsec_times_lumi(ci_run, sample):
    flow = _cutflow(ci_run, sample)
    metas = sorted((ci_run / "results" / "generated" / sample).glob("*.json"))
    xsec, _ = sample_cross_section(metas)
    assert flow["xsec_pb"] == pytest.approx(xsec)
    assert flow["steps"][0]["weighted"] == pytest.approx(xsec * CI["lumi_fb"] * 1000, rel=1e-9)
    assert flow["steps"][0]["events"] == CI["samples"][sample]["events"]
    # the selected jets carry exactly the weight of the cutflow's last step
    jets = ak.from_parquet(ci_run / "results" / "skim" / f"{sample}.parquet")
    assert len(jets) == flow["steps"][-1]["events"]
    assert ak.sum(jets.weight) == pytest.approx(flow["steps"][-1]["weighted"], rel=1e-9)


@pytest.mark.parametrize("sample", list(CI["samples"]))
def test_cutflow_is_monotonic(ci_run, sample):
    steps = _cutflow(ci_run, sample)["steps"]
    events = [s["events"] for s in steps]
    weighted = [s["weighted"] for s in steps]
    assert events == sorted(events, reverse=True)
    assert events[-1] > 0
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(weighted))


def test_labels_match_the_samples(ci_run):
    labels = {
        s: ak.to_list(ak.from_parquet(ci_run / "results" / "skim" / f"{s}.parquet").label)
        for s in CI["samples"]
    }
    vjets, qcd, ttbar = (np.array(labels[s]) for s in ("vjets", "qcd", "ttbar"))
    assert np.mean(np.isin(vjets, ["W", "Z"])) > 0.5  # leading jet is mostly the boson
    assert np.sum(vjets == "W") > np.sum(vjets == "Z")  # sigma(W) > sigma(Z)
    assert not np.isin(qcd, ["W", "Z", "top"]).any()
    assert np.mean(np.isin(qcd, ["quark", "gluon"])) > 0.95
    assert np.isin(ttbar, ["top", "W"]).sum() > 0.3 * len(ttbar)


def test_features_classes_weights_and_split(ci_run):
    tables = _features(ci_run)
    n = {s: len(t) for s, t in tables.items()}
    total = sum(n.values())
    for split, frac in CI["features"]["split"].items():
        assert n[split] / total == pytest.approx(frac, abs=4 * np.sqrt(frac * (1 - frac) / total))
    for t in tables.values():
        y = ak.to_numpy(t.y)
        assert (y == 1).sum() > 0
        assert (y == 0).sum() > 0
        assert np.all(np.isin(np.array(ak.to_list(t.label))[y == 1], ["W", "Z"]))
        assert np.all(np.array(ak.to_list(t.sample))[y == 0] == "qcd")
        assert np.all(ak.to_numpy(t.weight) > 0)
        for col in ("tau21", "tau32", "n2", "d2", "rho", "pt", "msd"):
            assert np.all(np.isfinite(ak.to_numpy(t[col]))), col
        cons = ak.to_numpy(t.cons_rel_pt)
        assert cons.shape[1] == CI["features"]["n_constituents"]
        assert np.all(np.diff(cons, axis=1)[ak.to_numpy(t.cons_mask)[:, 1:]] <= 0)  # pT-ordered
    # no event appears in two splits
    keys = [
        set(
            zip(
                ak.to_list(t.sample),
                ak.to_list(t.event),
                ak.to_list(t.luminosityBlock),
                strict=True,
            )
        )
        for t in tables.values()
    ]
    assert not (keys[0] & keys[1])
    assert not (keys[0] & keys[2])
    assert not (keys[1] & keys[2])


def test_tau21_separates_w_z_from_qcd(ci_run):
    t = ak.concatenate(list(_features(ci_run).values()))
    y = ak.to_numpy(t.y)
    tau21 = ak.to_numpy(t.tau21)
    assert np.median(tau21[y == 1]) < np.median(tau21[y == 0]) - 0.1
    msd = ak.to_numpy(t.msd)
    assert 70 < np.median(msd[y == 1]) < 95


def test_rerun_with_nothing_changed_does_nothing(ci_run):
    proc = run_snakemake(ci_run, "-n", "all")
    assert "Nothing to be done" in proc.stdout + proc.stderr
