"""The fit of a decorrelation scan point (lhcml.inference.scanfit) on synthetic jets."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from lhcml.inference.backend import import_zfit
from lhcml.inference.scanfit import fit_scan_point

from conftest import ROOT

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
CFG = {k: v for k, v in CI["inference"].items() if k not in ("ams", "taggers")}
AMS = {
    "lumi_fb": CFG["lumi_fb"],
    "window": [65.0, 105.0],
    "efficiencies": [(i + 1) / 20 for i in range(20)],
    "b_r": 10.0,
    "min_background_jets": 100,
}


def _jets(seed=7, n_qcd=150_000, n_sig=20_000):
    """W/Z jets peaking at the boson masses and QCD jets falling linearly in mass (a shape
    the background polynomial holds exactly), with weights
    that are their expected yields at ``CFG['lumi_fb']`` (``meta`` makes them so)."""
    rng = np.random.default_rng(seed)
    label = np.where(rng.random(n_sig) < 0.6, "W", "Z")
    msd_sig = np.where(label == "W", 80.4, 91.2) * (1 + 0.08 * rng.standard_normal(n_sig))
    msd_qcd = rng.triangular(30.0, 30.0, 260.0, n_qcd)  # falling linearly
    n = n_sig + n_qcd
    features = {
        "sample": np.array(["wz"] * n_sig + ["qcd"] * n_qcd, dtype=object),
        "run": np.ones(n, np.int64),
        "luminosityBlock": np.ones(n, np.int64),
        "event": np.arange(n, dtype=np.int64),
        "label": np.concatenate([label, np.full(n_qcd, "QCD")]).astype(object),
        "weight": np.concatenate([np.full(n_sig, 0.5), np.full(n_qcd, 20.0)]),
        "y": np.concatenate([np.ones(n_sig, np.int64), np.zeros(n_qcd, np.int64)]),
        "msd": np.concatenate([msd_sig, msd_qcd]),
    }
    sig = features["y"] == 1
    meta = {
        "signal_samples": ["wz"],
        "weights_lumi_fb": CFG["lumi_fb"],
        "totals": [
            {"sample": "wz", "signal": True, "sum_weight": float(features["weight"][sig].sum())},
            {"sample": "qcd", "signal": False, "sum_weight": float(features["weight"][~sig].sum())},
        ],
    }
    base = np.where(sig, 1.0, 0.0) + 0.6 * rng.standard_normal(n)
    return features, meta, base, sig


def test_a_sculpting_tagger_has_a_larger_spurious_signal_and_total_error():
    """The same classifier, once independent of the mass and once with QCD jets near the
    W/Z peak pushed up (a tagger that learned the mass): the AMS cut of the sculpting one
    leaves a QCD bump under the signal, which the background model cannot absorb, so its
    spurious signal and its total error on mu are larger; the stat error stays below the
    total, and mu is measured near the injected 1 in both."""

    import_zfit(CI["inference"]["seed"], 1)

    features, meta, base, sig = _jets()
    bump = np.exp(-0.5 * ((features["msd"] - 85.0) / 10.0) ** 2)
    sculpting = base + np.where(sig, 0.0, 1.2 * bump)
    flat = fit_scan_point("flat", features, base, meta, CFG, AMS, seed=1)
    sculpt = fit_scan_point("sculpting", features, sculpting, meta, CFG, AMS, seed=1)
    for r in (flat, sculpt):
        assert r["valid"], r["reason"]
        assert np.isfinite(r["mu_err"])
        assert r["mu_err"] >= r["mu_stat"] > 0
        assert r["spurious_signal"]["size"] >= abs(r["spurious_signal"]["mu"])
    s_flat, s_sculpt = flat["spurious_signal"], sculpt["spurious_signal"]
    assert s_sculpt["mu"] > 0  # the bump looks like signal
    assert s_sculpt["size"] > 5 * s_flat["size"]
    assert abs(s_flat["mu"]) < 3 * s_flat["mu_err_mc"] + 0.05  # no bump: MC noise only
    assert sculpt["mu_err"] > 2 * flat["mu_err"]
    assert flat["mu"] == pytest.approx(1.0, abs=4 * flat["mu_err"])


def test_a_scan_point_without_an_eligible_cut_is_invalid_with_the_reason():

    import_zfit(CI["inference"]["seed"], 1)

    features, meta, base, _ = _jets(n_qcd=20_000, n_sig=5_000)
    ams = {**AMS, "min_background_jets": 10**7}
    r = fit_scan_point("starved", features, base, meta, CFG, ams, seed=1)
    assert not r["valid"]
    assert "min_background_jets" in r["reason"]
    assert r["mu_err"] is None
