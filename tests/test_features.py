"""Features and the split: values worked out by hand, determinism, fractions."""

import awkward as ak
import numpy as np
import pytest

from lhcml.features import (
    CLASS_BACKGROUND,
    CLASS_OTHER,
    CLASS_SIGNAL,
    assign_split,
    build_feature_table,
    event_hash,
    high_level_features,
    padded_constituents,
)


def test_high_level_features_by_hand():
    cols = {
        "fj_pt": np.array([400.0, 500.0]),
        "fj_eta": np.array([0.1, -1.0]),
        "fj_msoftdrop": np.array([80.0, 0.0]),
        "fj_tau1": np.array([0.4, 0.0]),
        "fj_tau2": np.array([0.1, 0.0]),
        "fj_tau3": np.array([0.05, 0.0]),
        "fj_n2b1": np.array([0.2, 0.3]),
        "fj_d2b1": np.array([1.5, 2.0]),
        "fj_nconst": np.array([50, 1]),
    }
    f = high_level_features(cols)
    assert f["tau21"][0] == pytest.approx(0.25)
    assert f["tau32"][0] == pytest.approx(0.5)
    assert f["rho"][0] == pytest.approx(2 * np.log(80 / 400), rel=1e-6)
    # a jet groomed to nothing has finite features
    assert f["tau21"][1] == 0
    assert np.isfinite(f["rho"][1])


def test_padded_constituents_sorted_relative_and_wrapped():
    pt = ak.Array([[10.0, 30.0, 20.0], [5.0]])
    eta = ak.Array([[0.1, 0.2, 0.3], [1.0]])
    phi = ak.Array([[3.1, -3.1, 0.0], [0.5]])
    out = padded_constituents(
        pt, eta, phi, np.array([100.0, 50.0]), np.array([0.0, 1.0]), np.array([3.0, 0.5]), n=2
    )
    np.testing.assert_allclose(out["rel_pt"], [[0.3, 0.2], [0.1, 0.0]], rtol=1e-6)
    assert out["deta"][0].tolist() == pytest.approx([0.2, 0.3])
    # -3.1 - 3.0 wraps to 2*pi - 6.1
    assert out["dphi"][0, 0] == pytest.approx(2 * np.pi - 6.1, abs=1e-6)
    assert out["mask"].tolist() == [[True, True], [True, False]]


def test_split_is_deterministic_independent_of_order_and_has_the_fractions():
    n = 200_000
    run = np.ones(n, dtype=np.uint32)
    lumi = np.repeat(np.arange(1, 11), n // 10)
    event = np.arange(1, n + 1, dtype=np.uint64)
    fractions = {"train": 0.6, "val": 0.2, "test": 0.2}
    split = assign_split(run, lumi, event, fractions, seed=7)
    for name, f in fractions.items():
        assert np.mean(split == name) == pytest.approx(f, abs=4 * np.sqrt(f * (1 - f) / n))
    perm = np.random.default_rng(0).permutation(n)
    assert np.array_equal(
        assign_split(run[perm], lumi[perm], event[perm], fractions, 7), split[perm]
    )
    other_seed = assign_split(run, lumi, event, fractions, seed=8)
    assert np.mean(other_seed == split) < 0.6  # a different salt reshuffles
    assert len(np.unique(event_hash(run, lumi, event))) == n


def _jets(sample, labels, event0):
    n = len(labels)
    return ak.zip(
        {
            "sample": [sample] * n,
            "run": np.ones(n, np.int64),
            "luminosityBlock": np.ones(n, np.int64),
            "event": np.arange(event0, event0 + n, dtype=np.int64),
            "label": labels,
            "label_code": np.zeros(n, np.int8),
            "weight": np.full(n, 0.5),
            "fj_pt": np.full(n, 400.0),
            "fj_eta": np.zeros(n),
            "fj_phi": np.zeros(n),
            "fj_msoftdrop": np.full(n, 80.0),
            "fj_tau1": np.full(n, 0.3),
            "fj_tau2": np.full(n, 0.1),
            "fj_tau3": np.full(n, 0.05),
            "fj_n2b1": np.full(n, 0.2),
            "fj_d2b1": np.full(n, 1.0),
            "fj_nconst": np.full(n, 2),
            "pfc_pt": [[300.0, 100.0]] * n,
            "pfc_eta": [[0.0, 0.1]] * n,
            "pfc_phi": [[0.0, 0.1]] * n,
        },
        depth_limit=1,
    )


def test_build_feature_table_classes_and_partition():
    tables = {
        "vjets": _jets("vjets", ["W", "Z", "quark", "gluon"] * 50, 1),
        "qcd": _jets("qcd", ["quark", "gluon", "unmatched", "quark"] * 50, 1),
        "ttbar": _jets("ttbar", ["top"] * 20, 1),
    }
    roles = {"vjets": "signal", "qcd": "background", "ttbar": "other"}
    out = build_feature_table(tables, roles, 4, {"train": 0.5, "val": 0.25, "test": 0.25}, 1)
    total = sum(len(t) for t in out.values())
    assert total == 420
    y = np.concatenate([ak.to_numpy(t["y"]) for t in out.values()])
    assert (y == CLASS_SIGNAL).sum() == 100
    assert (y == CLASS_BACKGROUND).sum() == 200
    assert (y == CLASS_OTHER).sum() == 120
    assert ak.to_numpy(out["train"]["cons_rel_pt"]).shape[1] == 4
    # same (run, lumi, event) in different samples land in the same split
    for t in out.values():
        vj = set(ak.to_numpy(t["event"][t["sample"] == "vjets"]).tolist())
        qc = set(ak.to_numpy(t["event"][t["sample"] == "qcd"]).tolist())
        assert vj == qc
