"""Decorrelation library on small arrays: JSD metric, distance correlation, DDT, networks."""

import math

import awkward as ak
import numpy as np
import pytest

from lhcml.decorrelation import ddt, load_decorrelated
from lhcml.decorrelation.data import check_features, qcd_weights
from lhcml.decorrelation.dcor import distance_correlation
from lhcml.decorrelation.jsd import (
    bin_edges,
    decorrelation_metrics,
    jensen_shannon,
    jsd_at_background_efficiencies,
    mass_jsd,
    random_cut_jsd,
)
from lhcml.decorrelation.workflow import compare, train_network
from lhcml.io import write_json
from lhcml.taggers import dnn
from lhcml.taggers.metrics import auc, evaluate

EDGES = bin_edges({"min": 30.0, "max": 250.0, "bins": 22})
FEATURES = ["pt", "eta", "tau21", "tau32", "n2", "d2", "nconst"]


def toy(n: int, seed: int):
    """y, msd (GeV), weight: W/Z peak at 85 GeV vs a falling QCD spectrum."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    qcd_m = 30 + rng.exponential(60, n)
    msd = np.where(y == 1, rng.normal(85, 8, n), np.where(qcd_m < 250, qcd_m, 30 + rng.random(n)))
    return y, msd, rng.uniform(0.5, 1.5, n)


# --- the metric ---------------------------------------------------------------------


def test_jensen_shannon_limits():
    p = np.array([1.0, 2.0, 3.0])
    assert jensen_shannon(p, 2 * p) == pytest.approx(0.0, abs=1e-12)  # normalised first
    assert jensen_shannon([1, 0, 0], [0, 0, 5]) == pytest.approx(1.0)  # disjoint: log2 -> 1
    # symmetric, and the value for two-bin distributions by hand
    a, b = np.array([0.75, 0.25]), np.array([0.25, 0.75])
    m = (a + b) / 2
    expected = 0.5 * np.sum(a * np.log2(a / m)) + 0.5 * np.sum(b * np.log2(b / m))
    assert jensen_shannon(a, b) == pytest.approx(expected) == pytest.approx(jensen_shannon(b, a))
    assert math.isnan(jensen_shannon([0, 0], [1, 1]))


def test_mass_function_tagger_sculpts_and_random_score_does_not():
    y, msd, w = toy(40000, 1)
    mass_tagger = -np.abs(msd - 85.0)  # a pure function of the mass: a W/Z mass window
    random_score = np.random.default_rng(2).random(len(y))
    sculpt = decorrelation_metrics(y, mass_tagger, msd, w, EDGES)
    flat = decorrelation_metrics(y, random_score, msd, w, EDGES)
    assert sculpt["jsd"] > 0.5  # the passing QCD jets sit in a mass window: nearly disjoint
    assert flat["jsd"] < 0.005  # only the finite-statistics floor (~1e-3 here)
    assert flat["inv_jsd"] > 100 * sculpt["inv_jsd"]
    assert sculpt["r50"] > 5
    assert flat["r50"] == pytest.approx(2.0, rel=0.1)


def test_random_cut_floor_is_the_statistical_jsd_of_an_uninformative_cut():
    y, msd, _ = toy(40000, 21)
    qcd = msd[y == 0]
    w = np.ones(len(qcd))
    for n_pass in (200, 2000):
        passing = np.zeros(len(qcd), dtype=bool)
        passing[:n_pass] = True
        floor = random_cut_jsd(qcd, passing, w, EDGES, seed=3)
        # the chi2 approximation: (k - 1) / (8 ln 2) * (1/N_pass + 1/N_fail)
        k = np.count_nonzero(np.histogram(qcd, EDGES)[0])
        expected = (k - 1) / (8 * math.log(2)) * (1 / n_pass + 1 / (len(qcd) - n_pass))
        assert floor == pytest.approx(expected, rel=0.3), n_pass
    # the metric reports it at the tagger's own cut: random scores sit at their floor (on
    # average: one JSD scatters by sqrt(2 / (k - 1)) ~ 30%), a mass window far above it
    flat = [
        decorrelation_metrics(
            y, np.random.default_rng(s).random(len(y)), msd, np.ones(len(y)), EDGES
        )
        for s in range(10)
    ]
    assert np.mean([e["jsd"] for e in flat]) == pytest.approx(flat[0]["jsd_random_cut"], rel=0.3)
    sculpt = decorrelation_metrics(y, -np.abs(msd - 85.0), msd, np.ones(len(y)), EDGES)
    assert sculpt["jsd"] > 100 * sculpt["jsd_random_cut"]
    assert sculpt["inv_jsd_random_cut"] == pytest.approx(1 / sculpt["jsd_random_cut"])


def test_bootstrap_matches_the_tagger_metrics_and_covers_the_spread():
    y, msd, w = toy(6000, 3)
    score = -np.abs(msd - 85.0) + np.random.default_rng(4).normal(0, 20, len(y))
    ours = decorrelation_metrics(y, score, msd, w, EDGES, n_bootstrap=40, seed=9)
    theirs = evaluate(y, score, w, n_bootstrap=40, seed=9)
    for key in ("auc", "auc_err", "r50", "r50_err", "eps_b_at_50", "threshold_at_50"):
        assert ours[key] == pytest.approx(theirs[key]), key
    assert 0 < ours["inv_jsd_err"] < ours["inv_jsd"]
    # the bootstrap error describes the scatter of independent samples (within a factor 2)
    spread = []
    for s in range(10, 30):
        yy, mm, ww = toy(6000, s)
        noise = np.random.default_rng(s + 100).normal(0, 20, len(yy))
        spread.append(decorrelation_metrics(yy, -np.abs(mm - 85) + noise, mm, ww, EDGES)["inv_jsd"])
    assert 0.5 < ours["inv_jsd_err"] / np.std(spread, ddof=1) < 2.0


def test_jsd_at_background_efficiency_grows_with_tighter_mass_cuts():
    y, msd, w = toy(20000, 5)
    score = -np.abs(msd - 85) + np.random.default_rng(6).normal(0, 30, len(y))
    out = jsd_at_background_efficiencies(y, score, msd, w, EDGES, [0.5, 0.2, 0.05])
    assert out[0.5] < out[0.2] < out[0.05]
    passing = np.zeros(len(msd), bool)
    assert math.isnan(mass_jsd(msd, passing, w, EDGES))


def test_distance_correlation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=800)
    assert distance_correlation(x, 3 * x + 1) == pytest.approx(1.0)
    assert distance_correlation(x, rng.normal(size=800)) < 0.02
    assert distance_correlation(x, x**2) > 0.1  # non-monotonic dependence is seen
    w = rng.uniform(0.5, 2, 800)
    # zero weights drop jets exactly
    y = rng.normal(size=800)
    keep = rng.random(800) < 0.5
    assert distance_correlation(x, y, np.where(keep, w, 0)) == pytest.approx(
        distance_correlation(x[keep], y[keep], w[keep])
    )


def test_mass_inputs_are_refused():
    with pytest.raises(ValueError, match="rho"):
        check_features(["pt", "rho"])
    w = qcd_weights(np.array([0, 1, 0]), np.array([2.0, 5.0, 6.0]))
    np.testing.assert_allclose(w, [0.5, 0.0, 1.5])


# --- DDT ----------------------------------------------------------------------------


def test_ddt_flattens_the_qcd_efficiency_in_mass():
    rng = np.random.default_rng(6)
    n = 30000
    pt = rng.uniform(300, 900, n)
    msd = 30 + rng.exponential(50, n)
    rho = 2 * np.log(msd / pt)
    score = -(0.6 - 0.1 * (rho + 5) + rng.normal(0, 0.1, n))  # a rho-dependent -tau21
    w = np.ones(n)
    y = np.zeros(n, int)
    tagger, info = ddt.train(
        "tau21", score, rho, pt, y, w, {"qcd_efficiency": 0.1, "rho_bins": 10, "pt_bins": 2}
    )
    assert info["closure_qcd_efficiency"] == pytest.approx(0.1, abs=0.01)
    mass_bins = np.quantile(msd, [0, 0.25, 0.5, 0.75, 1])
    which = np.clip(np.searchsorted(mass_bins, msd, side="right") - 1, 0, 3)
    plain_eff = [np.mean(score[which == k] >= np.quantile(score, 0.9)) for k in range(4)]
    ddt_eff = [np.mean(tagger.score(score, rho, pt)[which == k] >= 0) for k in range(4)]
    assert max(plain_eff) - min(plain_eff) > 0.1  # the plain cut sculpts
    assert max(ddt_eff) - min(ddt_eff) < 0.03  # the DDT cut keeps 10% at every mass
    assert jsd_flat(msd, tagger.score(score, rho, pt) >= 0) < 0.3 * jsd_flat(
        msd, score >= np.quantile(score, 0.9)
    )


def mass_peaked_qcd(n: int, seed: int):
    """QCD whose score (a BDT that sees the mass) peaks at m_SD ~ 85 GeV, over a broad pT.

    At fixed rho = 2 ln(m/pT) the mass spans a factor 3 across pT, so a map binned in rho
    (and a few pT bins) mixes masses with very different score quantiles.
    """
    rng = np.random.default_rng(seed)
    pt = 300 * np.exp(rng.uniform(0, np.log(3), n))
    msd = 30 + rng.exponential(50, n)
    rho = 2 * np.log(msd / pt)
    score = 2 * np.exp(-0.5 * ((msd - 85) / 15) ** 2) + rng.normal(0, 1, n)
    return score, rho, pt, msd


def pass_fraction_in_mass(passing, msd, edges=(30, 50, 65, 75, 85, 95, 110, 140, 200)):
    which = np.searchsorted(edges, msd, side="right") - 1
    return np.array([passing[which == k].mean() for k in range(len(edges) - 1)])


def test_smooth_ddt_map_is_flat_in_mass_where_the_binned_map_is_not():
    score, rho, pt, msd = mass_peaked_qcd(40000, seed=12)
    y, w = np.zeros(len(score), int), np.ones(len(score))
    eps = 0.05
    params = {"qcd_efficiency": eps, "rho_bins": 10, "pt_bins": 2}  # the default binning
    binned, _ = ddt.train("bdt", score, rho, pt, y, w, {**params, "map": "binned"})
    smooth, info = ddt.train("bdt", score, rho, pt, y, w, {**params, "map": "smooth"})
    assert info["closure_qcd_efficiency"] == pytest.approx(eps, rel=0.1)
    # an independent sample from the same model: closure, not the fit's own jets
    score, rho, pt, msd = mass_peaked_qcd(40000, seed=13)
    f_binned = pass_fraction_in_mass(binned.score(score, rho, pt) >= 0, msd)
    f_smooth = pass_fraction_in_mass(smooth.score(score, rho, pt) >= 0, msd)
    f_plain = pass_fraction_in_mass(score >= np.quantile(score, 1 - eps), msd)
    assert np.abs(f_plain / eps - 1).max() > 2  # the plain cut sculpts a peak at 85 GeV
    assert np.abs(f_binned / eps - 1).max() > 0.5  # the binned map cannot flatten it
    assert np.abs(f_smooth / eps - 1).max() < 0.25  # the smooth map does, within 25%
    assert jsd_flat(msd, smooth.score(score, rho, pt) >= 0) < 0.5 * jsd_flat(
        msd, binned.score(score, rho, pt) >= 0
    )


def test_ddt_mass_bandwidth_scan_trades_rejection_for_decorrelation():
    """A wider kernel in ln m_SD averages the mass dependence away: less flattening, so
    more sculpting and (the score peaks at the W/Z mass) more rejection at 50% signal."""
    score, rho, pt, msd = mass_peaked_qcd(40000, seed=14)
    rng = np.random.default_rng(15)
    n_sig = 20000
    sig_pt = 300 * np.exp(rng.uniform(0, np.log(3), n_sig))
    sig_m = rng.normal(85, 8, n_sig)
    sig_score = 2 * np.exp(-0.5 * ((sig_m - 85) / 15) ** 2) + rng.normal(1, 1, n_sig)
    y = np.r_[np.zeros(len(score), int), np.ones(n_sig, int)]
    s, r, p = np.r_[score, sig_score], np.r_[rho, 2 * np.log(sig_m / sig_pt)], np.r_[pt, sig_pt]
    m, w = np.r_[msd, sig_m], np.ones(len(y))
    params = {"map": "binned", "rho_bins": 10, "pt_bins": 2}
    points = []
    for bandwidth in (0.05, 0.3, 2.0):
        scan = ddt.smooth_scan_params(params, bandwidth)
        assert scan["map"] == "smooth"
        assert scan["smooth"]["mass_bandwidth"] == bandwidth
        assert scan["rho_bins"] == 10
        assert params["map"] == "binned"  # the tagger's untouched
        tagger, info = ddt.train("bdt", s, r, p, y, w, scan)
        assert info["train_signal_efficiency"] == pytest.approx(0.5, abs=0.01)
        points.append(decorrelation_metrics(y, tagger.score(s, r, p), m, w, EDGES))
    r50 = [e["r50"] for e in points]
    jsd = [e["jsd"] for e in points]
    assert r50[0] < r50[1] < r50[2], r50
    assert jsd[0] < jsd[1] < jsd[2], jsd
    assert jsd[2] > 10 * jsd[0]


def test_ddt_unknown_map_is_refused():
    x = np.linspace(0.1, 1, 50)
    with pytest.raises(ValueError, match=r"decorrelate.ddt.map"):
        ddt.train("bdt", x, -3 + x, 400 + x, np.zeros(50, int), np.ones(50), {"map": "knn"})


@pytest.mark.parametrize("kind", ddt.MAPS)
def test_ddt_design_point_keeps_the_target_signal_efficiency(kind):
    rng = np.random.default_rng(8)
    n = 8000
    y = (rng.random(n) < 0.5).astype(int)
    pt = rng.uniform(300, 900, n)
    msd = np.where(y == 1, rng.normal(85, 8, n), 30 + rng.exponential(50, n))
    rho = 2 * np.log(msd / pt)
    score = np.where(y == 1, rng.normal(1, 1, n), rng.normal(-0.2 * (rho + 5), 1, n))
    w = rng.uniform(0.5, 1.5, n)
    _tagger, info = ddt.train(
        "bdt", score, rho, pt, y, w, {"map": kind, "rho_bins": 6, "pt_bins": 2}
    )
    assert info["train_signal_efficiency"] == pytest.approx(0.5, abs=0.01)
    assert 0.01 < info["design_qcd_efficiency"] < 0.5
    assert info["closure_qcd_efficiency"] == pytest.approx(info["design_qcd_efficiency"], rel=0.2)


def jsd_flat(msd, passing):
    return mass_jsd(msd, passing, np.ones(len(msd)), EDGES)


@pytest.mark.parametrize("kind", ddt.MAPS)
def test_ddt_save_and_reload(tmp_path, kind):
    rng = np.random.default_rng(7)
    n = 2000
    pt, rho = rng.uniform(300, 800, n), rng.uniform(-6, -1, n)
    score = rng.normal(size=n)
    params = {"map": kind, "pt_bins": 2, "qcd_efficiency": 0.05}
    tagger, _ = ddt.train("bdt", score, rho, pt, np.zeros(n, int), np.ones(n), params)
    assert type(tagger.map).__name__ == {"binned": "DDTMap", "smooth": "SmoothDDTMap"}[kind]
    tagger.save(tmp_path / "model.json")
    write_json(tmp_path / "meta.json", {"tagger": "ddt_bdt", "kind": "ddt"})
    again = load_decorrelated(tmp_path / "model.json", tmp_path / "meta.json")
    np.testing.assert_array_equal(again.score(score, rho, pt), tagger.score(score, rho, pt))


# --- networks -----------------------------------------------------------------------


def jets(n: int, seed: int) -> ak.Array:
    """Jets in the feature layout where the QCD substructure depends on the mass.

    QCD jets of higher mass look more two-prong (smaller tau21, N2): a classifier of the
    substructure then prefers heavy QCD jets, sculpting the spectrum.
    """
    rng = np.random.default_rng(seed)
    y = rng.choice([1, 0], size=n).astype(np.int8)
    sig = y == 1
    pt = rng.uniform(300, 800, n)
    msd = np.where(sig, rng.normal(85, 8, n), 30 + rng.exponential(50, n))
    u = np.clip((msd - 30) / 150, 0, 1)
    tau21 = np.where(sig, rng.normal(0.3, 0.08, n), rng.normal(0.6 - 0.3 * u, 0.08, n))
    n2 = np.where(sig, rng.normal(0.2, 0.04, n), rng.normal(0.32 - 0.1 * u, 0.04, n))
    return ak.zip(
        {
            "sample": np.where(sig, "vjets", "qcd").tolist(),
            "run": np.ones(n, np.int64),
            "luminosityBlock": np.zeros(n, np.int64),
            "event": np.arange(n, dtype=np.int64) + 100000 * seed,
            "y": y,
            "weight": np.where(sig, 2.0, 1000.0) * rng.uniform(0.8, 1.2, n),
            "pt": pt.astype(np.float32),
            "eta": rng.uniform(-2, 2, n).astype(np.float32),
            "msd": msd.astype(np.float32),
            "tau21": tau21.astype(np.float32),
            "tau32": rng.uniform(0.5, 0.9, n).astype(np.float32),
            "n2": n2.astype(np.float32),
            "d2": (5 * n2 + rng.normal(0, 0.1, n)).astype(np.float32),
            "rho": (2 * np.log(msd / pt)).astype(np.float32),
            "nconst": rng.poisson(np.where(sig, 30, 40)).astype(np.int32),
        },
        depth_limit=1,
    )


NET = {"layers": [16, 16], "epochs": 6, "batch_size": 256, "learning_rate": 5e-3}
ADV = {**NET, "pretrain_epochs": 2, "adversary_layers": [16], "mass_bins": 6}


@pytest.fixture(scope="module")
def splits():
    return {"train": jets(3000, 1), "val": jets(1000, 2), "test": jets(3000, 3)}


def _qcd_dcor_and_auc(model, table):
    s = model.score(table)
    y, m, w = table.y.to_numpy(), table.msd.to_numpy(), table.weight.to_numpy()
    qcd = y == 0
    return distance_correlation(s[qcd], m[qcd]), auc(y, s, w)


@pytest.fixture(scope="module")
def disco_pair(splits):
    """DisCo at lambda = 0 and at a strong lambda on the same jets and seed."""
    return {
        lam: train_network(
            "disco", "disco", splits["train"], splits["val"], FEATURES, NET, lam, seed=3, threads=1
        )
        for lam in (0.0, 10.0)
    }


def test_lambda_zero_is_a_plain_classifier(splits, disco_pair):
    """lambda = 0 gives the AUC of the taggers' DNN trained on the same inputs."""
    plain, _ = dnn.train(
        splits["train"], splits["val"], FEATURES, {**NET, "dropout": 0.0, "patience": 10}, seed=3
    )
    model, meta = disco_pair[0.0]
    _, auc_zero = _qcd_dcor_and_auc(model, splits["test"])
    _, auc_plain = _qcd_dcor_and_auc(plain, splits["test"])
    assert auc_plain > 0.9
    assert auc_zero == pytest.approx(auc_plain, abs=0.015)
    assert meta["lambda"] == 0.0
    assert meta["inputs"] == FEATURES


def test_disco_decorrelates(splits, disco_pair):
    dcor0, _auc0 = _qcd_dcor_and_auc(disco_pair[0.0][0], splits["test"])
    dcor1, auc1 = _qcd_dcor_and_auc(disco_pair[10.0][0], splits["test"])
    assert dcor0 > 0.1  # the plain classifier reads the mass from the substructure
    assert dcor1 < 0.3 * dcor0
    assert auc1 > 0.6  # still a tagger (the toy's substructure is mostly mass)
    history = disco_pair[10.0][1]["history"]
    assert history["dcor"][-1] < history["dcor"][0]


def test_adversarial_decorrelates_and_reloads(splits, disco_pair, tmp_path):
    model, meta = train_network(
        "adversarial",
        "adversarial",
        splits["train"],
        splits["val"],
        FEATURES,
        ADV,
        10.0,
        seed=4,
        threads=1,
    )
    dcor0, _ = _qcd_dcor_and_auc(disco_pair[0.0][0], splits["test"])  # plain classifier
    dcor1, auc1 = _qcd_dcor_and_auc(model, splits["test"])
    assert dcor1 < 0.5 * dcor0
    assert auc1 > 0.6
    assert len(meta["mass_bin_edges"]) == ADV["mass_bins"] - 1
    model.save(tmp_path / "model.keras")
    write_json(tmp_path / "meta.json", meta)
    again = load_decorrelated(tmp_path / "model.keras", tmp_path / "meta.json")
    np.testing.assert_array_equal(again.score(splits["test"]), model.score(splits["test"]))


def test_network_training_is_deterministic(splits):
    a, b = (
        train_network(
            "disco",
            "disco",
            splits["train"],
            splits["val"],
            FEATURES,
            {**NET, "epochs": 1},
            5.0,
            seed=8,
            threads=1,
        )[0]
        for _ in range(2)
    )
    np.testing.assert_array_equal(a.score(splits["test"]), b.score(splits["test"]))


def test_comparison_picks_the_most_decorrelated_tagger_keeping_half_the_r50():

    taggers = {
        "dnn": {"r50": 76.0, "inv_jsd": 2.0, "decorrelated": False},
        "disco": {"r50": 40.0, "inv_jsd": 25.0, "decorrelated": True},
        "adversarial": {"r50": 10.0, "inv_jsd": 100.0, "decorrelated": True},  # < half R50
    }
    out = compare(taggers)
    assert out["best"]["tagger"] == "disco"
    assert out["best"]["inv_jsd_ratio"] == 12.5
    assert out["inv_jsd_x10_at_half_r50"]
    taggers["disco"]["inv_jsd"] = 10.0
    assert not compare(taggers)["inv_jsd_x10_at_half_r50"]
