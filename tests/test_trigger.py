"""Trigger branch library: features, data set, BOPs, metrics, synthesis status, bad inputs."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from lhcml.substructure import d2, energy_correlators, n2, softdrop
from lhcml.tables import MissingColumnError
from lhcml.trigger import bops, dataset, hls, metrics
from lhcml.trigger.features import TRIGGER_FEATURES, constituents_pxpypze, trigger_features
from lhcml.trigger.models import feature_matrix


def jets(rng, n_jets=20, n_max=25):
    counts = rng.integers(1, n_max, n_jets)
    n = counts.sum()
    pt = rng.exponential(20.0, n) + 1.0
    eta = rng.normal(0.0, 0.3, n)
    phi = rng.normal(0.0, 0.3, n)
    mass = np.zeros(n)
    return tuple(ak.unflatten(a, counts) for a in (pt, eta, phi, mass))


# --- BOPs ---------------------------------------------------------------------------------


def test_bops_of_a_hand_sized_layer_match_the_formula():
    # n = 4 inputs, m = 3 outputs, 8-bit activations, 4-bit weights, half the weights pruned:
    # 3 * 4 * (0.5 * 8 * 4 + 8 + 4 + log2 4) = 12 * 30
    assert bops.dense_bops(4, 3, b_a=8, b_w=4, f_p=0.5) == pytest.approx(360.0)
    assert bops.dense_bops(16, 64, 16, 16) == pytest.approx(64 * 16 * (256 + 32 + 4))


def test_network_bops_use_input_bits_first_then_activation_bits():
    shapes = [("fc1", 16, 64), ("fc2", 64, 32), ("output", 32, 5)]
    layers = bops.describe_layers(shapes, {"fc2": 0.25}, weight_bits=6, activation_bits=6)
    assert [x["b_a"] for x in layers] == [16, 6, 6]
    assert {x["b_w"] for x in layers} == {6}
    out = bops.network_bops(layers)
    expected = 64 * 16 * (16 * 6 + 22 + 4) + 32 * 64 * (0.75 * 36 + 12 + 6) + 5 * 32 * (36 + 12 + 5)
    assert out["total"] == pytest.approx(expected)
    floats = bops.network_bops(bops.describe_layers(shapes, {}, None, None))
    assert floats["total"] > 4 * out["total"]  # the 16-bit float baseline costs far more
    with pytest.raises(ValueError, match="f_p"):
        bops.dense_bops(4, 4, 8, 8, f_p=1.5)


# --- Features -------------------------------------------------------------------------------


def test_two_particle_jet_features_by_hand():
    pt, eta, phi, mass = (
        ak.Array([[100.0, 100.0]]),
        ak.Array([[0.0, 0.3]]),
        ak.Array([[0.0, 0.4]]),
        ak.Array([[0.0, 0.0]]),
    )
    f = trigger_features(pt, eta, phi, mass)
    assert list(f) == list(TRIGGER_FEATURES)
    assert f["zlogz"][0] == pytest.approx(math.log(0.5), rel=1e-6)
    assert f["c1_b0"][0] == pytest.approx(0.25, rel=1e-6)  # z1 z2
    assert f["c1_b1"][0] == pytest.approx(0.25 * 0.5, rel=1e-4)  # z1 z2 R12, R12 = 0.5
    assert f["c1_b2"][0] == pytest.approx(0.25 * 0.25, rel=1e-4)
    for name in ("c2_b1", "d2_b2", "m2_b1", "n2_b2"):
        assert f[name][0] == 0.0  # no three-point correlation with two particles
    assert f["multiplicity"][0] == 2
    # invariant mass of two massless 100 GeV-pT particles: m^2 = 2 pT1 pT2 (cosh deta - cos dphi)
    m = math.sqrt(2 * 100 * 100 * (math.cosh(0.3) - math.cos(0.4)))
    assert f["mass_mmdt"][0] == pytest.approx(m, rel=1e-5)


def test_features_agree_with_the_substructure_library_on_groomed_jets():
    rng = np.random.default_rng(1)
    pt, eta, phi, mass = jets(rng)
    f = trigger_features(pt, eta, phi, mass)
    groomed = softdrop(constituents_pxpypze(pt, eta, phi, mass), beta=0.0, zcut=0.1)
    cons = groomed["constituents"]
    np.testing.assert_allclose(f["d2_b1"], d2(cons, 1.0), rtol=1e-5)
    np.testing.assert_allclose(f["n2_b2"], n2(cons, 2.0), rtol=1e-5)
    np.testing.assert_allclose(f["d2_a1_b2"], d2(cons, 2.0, alpha=1.0), rtol=1e-5)
    np.testing.assert_allclose(f["d2_a1_b1"], f["d2_b1"], rtol=1e-6)  # identical by definition
    e = energy_correlators(cons, 1.0, ("e2",))["e2"]
    np.testing.assert_allclose(f["c1_b1"], e, rtol=1e-5)
    single = np.asarray(ak.num(cons)) == 1
    assert np.isnan(f["c2_b1"][single]).all()
    assert np.isfinite(f["c2_b1"][~single]).all()
    assert (f["zlogz"] <= 0).all()
    assert (f["multiplicity"] == np.asarray(ak.num(pt))).all()


# --- Data set -----------------------------------------------------------------------------


def skim_table(rng, n=60, labels=("gluon", "quark", "unmatched")):
    pt, eta, phi, mass = jets(rng, n, 12)
    return ak.zip(
        {
            "sample": ["qcd"] * n,
            "run": np.ones(n, np.int64),
            "luminosityBlock": np.ones(n, np.int64),
            "event": np.arange(n, dtype=np.int64),
            "label": list(rng.choice(labels, n)),
            "fj_pt": np.full(n, 400.0),
            "fj_eta": np.zeros(n),
            "pfc_pt": pt,
            "pfc_eta": eta,
            "pfc_phi": phi,
            "pfc_mass": mass,
        },
        depth_limit=1,
    )


def test_sample_table_selects_classes_and_caps_deterministically():
    rng = np.random.default_rng(2)
    jets_ = skim_table(rng)
    table = dataset.sample_table(jets_, "qcd", dataset.DEFAULT_CLASSES, 10, 3, {"zcut": 0.1})
    assert set(table["class"]) == {"gluon", "quark"}
    assert (table["class"].value_counts() <= 10).all()
    assert (table["target"] == table["class"].map(dataset.CLASSES.index)).all()
    # the cap depends on the events alone: reversing the input order keeps the same jets
    again = dataset.sample_table(jets_[::-1], "qcd", dataset.DEFAULT_CLASSES, 10, 3, {})
    assert sorted(again["event"]) == sorted(table["event"])


def test_missing_skim_column_names_the_file_and_column():
    jets_ = skim_table(np.random.default_rng(3))
    broken = jets_[[f for f in jets_.fields if f != "pfc_eta"]]
    with pytest.raises(ValueError, match=r"qcd\.parquet.*'pfc_eta'"):
        dataset.sample_table(
            broken, "qcd", dataset.DEFAULT_CLASSES, None, 1, {}, path="qcd.parquet"
        )


def test_missing_feature_column_is_a_clear_error():

    frame = pd.DataFrame({f: np.zeros(3) for f in TRIGGER_FEATURES if f != "n2_b1"})
    with pytest.raises(MissingColumnError, match=r"'n2_b1'.*trigger tagger"):
        feature_matrix(frame)


def test_class_weights_balance_the_classes():
    target = np.array([0] * 50 + [1] * 30 + [2] * 10 + [3] * 5 + [4] * 5)
    w = dataset.class_weights(target)
    sums = np.bincount(target, weights=w)
    np.testing.assert_allclose(sums, sums[0])
    assert w.mean() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="top"):
        dataset.class_weights(target[target != 4])


# --- Metrics and synthesis status ------------------------------------------------------------


def test_metrics_of_perfect_and_random_outputs():
    rng = np.random.default_rng(4)
    target = rng.integers(0, 5, 2000)
    perfect = np.eye(5)[target]
    assert metrics.accuracy(target, perfect) == 1.0
    assert all(v == 1.0 for v in metrics.per_class_auc(target, perfect, dataset.CLASSES).values())
    noise = rng.random((2000, 5))
    aucs = metrics.per_class_auc(target, noise, dataset.CLASSES)
    assert all(abs(v - 0.5) < 0.06 for v in aucs.values())
    agree = metrics.agreement(perfect, perfect + 1e-3)
    assert agree["argmax_agreement"] == 1.0
    assert agree["max_abs_diff"] == pytest.approx(1e-3)


def test_synthesized_false_without_the_hls_tool(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no vitis-run, no vivado_hls
    for backend, tool in hls.HLS_TOOLS.items():
        result = hls.synthesize(None, backend, allowed=True)
        assert result["synthesized"] is False
        assert tool in result["reason"]
    assert hls.synthesize(None, "Vitis", allowed=False) == {
        "synthesized": False,
        "reason": "synthesis disabled in config (trigger.hls.synthesize)",
    }
    assert hls.synthesis_summary(None)["synthesized"] is False


def test_synthesis_report_parsing():
    report = {
        "CSynthesisReport": {
            "BestLatency": "9",
            "WorstLatency": "9",
            "IntervalMin": "1",
            "IntervalMax": "1",
            "DSP": "120",
            "LUT": "41230",
            "FF": "9511",
            "BRAM_18K": "0",
            "TargetClockPeriod": "5.00",
        }
    }
    s = hls.synthesis_summary(report)
    assert s == {
        "synthesized": True,
        "latency_best_cycles": 9,
        "latency_worst_cycles": 9,
        "ii_min_cycles": 1,
        "ii_max_cycles": 1,
        "dsp": 120,
        "lut": 41230,
        "ff": 9511,
        "bram_18k": 0,
        "clock_target_ns": 5,
    }


def test_integer_bits_hold_the_largest_magnitude():
    for value in (0.3, 0.5, 0.99, 1.0, 3.7, 31.9, 32.0):
        bits = hls.integer_bits(value)
        assert 2.0 ** (bits - 1) > value >= 2.0 ** (bits - 2) or bits == 1
