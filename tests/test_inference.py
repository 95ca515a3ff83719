"""Inference library without zfit: AMS, pseudo-data (luminosity check), yields, pulls."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lhcml.inference import ams, pseudodata
from lhcml.inference.inputs import l1_pass
from lhcml.inference.toys import linear_fit, pull_summary
from lhcml.inference.yields import yield_weights


def test_ams_matches_hand_computed_values():
    # s = 5, b = 20, b_r = 10: sqrt(2 * ((5 + 30) * ln(1 + 5/30) - 5))
    by_hand = math.sqrt(2 * (35 * math.log(1 + 5 / 30) - 5))
    assert ams.ams(5.0, 20.0, 10.0) == pytest.approx(by_hand, rel=1e-12)
    assert by_hand == pytest.approx(0.8891, abs=1e-4)  # 35 ln(7/6) = 5.3953
    # b_r matters: without it the same yields give a larger AMS
    assert ams.ams(5.0, 20.0, 0.0) == pytest.approx(math.sqrt(2 * (25 * math.log(1.25) - 5)))
    assert ams.ams(5.0, 20.0, 0.0) > ams.ams(5.0, 20.0, 10.0)
    # s << b: s / sqrt(b + b_r)
    assert ams.ams(1.0, 1e6, 10.0) == pytest.approx(1.0 / math.sqrt(1e6 + 10), rel=1e-5)
    assert ams.ams(0.0, 3.0) == 0.0
    with pytest.raises(ValueError, match="b \\+ b_r > 0"):
        ams.ams(1.0, -20.0, 10.0)


def test_ams_scan_picks_the_best_eligible_cut():
    rng = np.random.default_rng(1)
    n_s, n_b = 2000, 20000
    score = np.concatenate([rng.normal(1.0, 1.0, n_s), rng.normal(-1.0, 1.0, n_b)])
    signal = np.arange(n_s + n_b) < n_s
    msd = np.full(n_s + n_b, 80.0)
    w = np.where(signal, 0.05, 1.0)  # 100 signal, 20000 background expected
    eff = np.linspace(0.05, 1.0, 20)
    res = ams.scan(score, w, signal, msd, (65.0, 105.0), eff, b_r=10.0, min_background_jets=50)
    scan = res["scan"]
    values = np.asarray(scan["ams"])
    ok = np.asarray(scan["eligible"])
    assert res["ams"] == pytest.approx(values[ok].max())
    # every entry is the AMS of its own s and b
    assert values == pytest.approx(ams.ams(np.asarray(scan["s"]), np.asarray(scan["b"]), 10.0))
    assert np.asarray(scan["eps_s"]) == pytest.approx(eff, abs=1e-3)
    assert all(n >= 50 for n in np.asarray(scan["background_jets"])[ok])
    # an optimum inside the range, and s/sqrt(b) at the optimum much better than no cut
    assert 0.05 < res["eps_s"] < 1.0
    assert res["ams"] > 1.5 * values[-1]
    # jets outside the mass window do not count
    far = msd.copy()
    far[~signal] = 200.0
    with pytest.raises(ValueError, match="min_background_jets"):
        ams.scan(score, w, signal, far, (65.0, 105.0), eff, min_background_jets=1)


def _table(n_qcd=1000, n_sig=500):
    """A toy test split: qcd jets (weight 100 each) and W/Z signal jets (weight 1)."""
    sample = np.array(["qcd"] * n_qcd + ["vjets"] * n_sig, dtype=object)
    signal = np.arange(n_qcd + n_sig) >= n_qcd
    weight = np.where(signal, 1.0, 100.0)
    return sample, signal, weight


def test_pseudodata_refuses_a_luminosity_the_sample_cannot_supply():
    sample, signal, weight = _table()
    # all splits hold 5x the test weight: 500,000 qcd jets expected at 1 fb^-1 (weights lumi)
    totals = {("qcd", False): 5 * 100.0 * 1000, ("vjets", True): 5 * 500.0}
    comps = pseudodata.plan(totals, sample, signal, weight, 1e-3, 1.0, mu_inj=1.0)
    qcd = next(c for c in comps if c.sample == "qcd")
    assert qcd.expected == pytest.approx(500.0)
    assert qcd.pool == 1000
    pseudodata.check_supply(comps, 1e-3)  # 500 + 5 sqrt(500) < 1000
    lam = pseudodata.max_expected(1000, 5.0)
    assert lam + 5 * math.sqrt(lam) == pytest.approx(1000.0)
    assert qcd.max_lumi_fb == pytest.approx(lam / 500_000.0)
    too_much = pseudodata.plan(totals, sample, signal, weight, 2e-3, 1.0, mu_inj=1.0)
    with pytest.raises(pseudodata.LuminosityError, match="sample 'qcd' limits") as err:
        pseudodata.check_supply(too_much, 2e-3)
    assert err.value.sample == "qcd"
    # a large injected signal makes the signal sample the limit
    big_mu = pseudodata.plan(totals, sample, signal, weight, 1e-3, 1.0, mu_inj=200.0)
    with pytest.raises(pseudodata.LuminosityError, match="'vjets'"):
        pseudodata.check_supply(big_mu, 1e-3)
    with pytest.raises(ValueError, match="negative weights"):
        pseudodata.plan(totals, sample, signal, -weight, 1e-3, 1.0, mu_inj=1.0)


def test_pseudodata_draws_distinct_jets_with_poisson_counts():
    sample, signal, weight = _table()
    totals = {("qcd", False): 5 * 100.0 * 1000, ("vjets", True): 5 * 500.0}
    comps = pseudodata.plan(totals, sample, signal, weight, 1e-3, 1.0, mu_inj=20.0)
    counts = []
    for seed in range(200):
        rows = pseudodata.draw(comps, sample, signal, weight, np.random.default_rng(seed))
        assert len(np.unique(rows)) == len(rows)  # each jet at most once
        counts.append([(~signal[rows]).sum(), signal[rows].sum()])
    counts = np.asarray(counts, float)
    # expected 500 qcd and 20 * 2.5 = 50 signal jets; Poisson variances
    assert counts.mean(axis=0) == pytest.approx([500.0, 50.0], rel=0.03)
    assert counts.var(axis=0, ddof=1) == pytest.approx([500.0, 50.0], rel=0.3)


def test_yield_weights_scale_a_split_to_the_full_yield():
    sample, signal, weight = _table(100, 50)
    totals = {("qcd", False): 4 * 100.0 * 100, ("vjets", True): 4 * 50.0}
    yw = yield_weights(sample, signal, weight, totals, lumi_fb=2.0, weights_lumi_fb=1.0)
    assert yw[~signal].sum() == pytest.approx(2 * 4 * 100.0 * 100)
    assert yw[signal].sum() == pytest.approx(2 * 4 * 50.0)


def test_pull_summary_and_linear_fit():
    rng = np.random.default_rng(3)
    mu = 2.0 + 0.5 * rng.standard_normal(4000)
    s = pull_summary(mu, np.full_like(mu, 0.5), 2.0)
    assert abs(s["pull_mean"]) < 3 * s["pull_mean_err"]
    assert s["pull_width"] == pytest.approx(1.0, abs=3 * s["pull_width_err"])
    assert s["pull_mean_err"] == pytest.approx(s["pull_width"] / math.sqrt(4000))
    # failed fits (NaN) are left out
    s2 = pull_summary([1.0, np.nan, 3.0], [1.0, 1.0, np.nan], 1.0)
    assert s2["n"] == 1
    assert s2["pull_mean"] is None
    lin = linear_fit([0, 5, 10], [0.5, 5.5, 10.5], [1.0, 1.0, 1.0])
    assert lin["slope"] == pytest.approx(1.0)
    assert lin["offset"] == pytest.approx(0.5)
    assert linear_fit([1.0], [1.0], [1.0]) is None


def test_l1_pass_maps_each_jet_to_its_events_decision(tmp_path):

    path = tmp_path / "l1_decisions.parquet"
    pq.write_table(
        pa.table(
            {
                "sample": ["qcd", "qcd", "vjets"],
                "run": [1, 1, 1],
                "luminosityBlock": [1, 1, 2],
                "event": [5, 6, 5],
                "l1_pass": [True, False, True],
            }
        ),
        path,
    )
    features = {
        "sample": np.array(["vjets", "qcd", "qcd", "qcd"], object),
        "run": np.array([1, 1, 1, 1]),
        "luminosityBlock": np.array([2, 1, 1, 1]),
        "event": np.array([5, 6, 5, 5]),
    }
    assert l1_pass(features, path).tolist() == [True, False, True, True]
    features["event"][0] = 7
    with pytest.raises(KeyError, match=r"no L1 decision for event .*'event': 7"):
        l1_pass(features, path)
