"""The trigger's design-space scan, L1 rate formula and conifer BDT (unit level)."""

import math

import numpy as np
import pytest

from lhcml.trigger import estimates, l1, scan

# --- Design points ------------------------------------------------------------------------


def test_design_points_vary_one_axis_at_a_time_around_the_base():
    points = scan.design_points(
        {
            "base": {"bits": 8, "reuse_factor": 1, "pruning": 0.0, "strategy": "Latency"},
            "bits": [4, 8, 16],
            "reuse_factor": [1, 4],
            "pruning": [0.5],
            "strategy": ["Latency", "distributed_arithmetic"],
        }
    )
    names = [p["name"] for p in points]
    assert names == [
        "b8_rf1_p0.00_Latency",
        "b4_rf1_p0.00_Latency",
        "b16_rf1_p0.00_Latency",
        "b8_rf4_p0.00_Latency",
        "b8_rf1_p0.50_Latency",
        "b8_rf1_p0.00_distributed_arithmetic",
    ]
    groups = scan.group_points(points, 4)
    assert sorted(n["name"] for g in groups for n in g) == sorted(names)
    assert [len(g) for g in groups] == [2, 2, 1, 1]


@pytest.mark.parametrize(
    ("scan_cfg", "key"),
    [
        ({"bits": [3]}, "trigger.scan.bits"),
        ({"pruning": [1.0]}, "trigger.scan.pruning"),
        ({"strategy": ["Fast"]}, "trigger.scan.strategy"),
        (
            {"base": {"reuse_factor": 2}, "strategy": ["distributed_arithmetic"]},
            "trigger.scan.strategy",
        ),
    ],
)
def test_invalid_design_points_name_the_key(scan_cfg, key):
    cfg = {"bits": [], "reuse_factor": [], "pruning": [], "strategy": [], **scan_cfg}
    with pytest.raises(ValueError, match=key):
        scan.design_points(cfg)


def test_quantise_rounds_to_the_fixed_point_grid_and_saturates():
    # ap_fixed<6,2>: step 2^-4, range [-2, 2 - 1/16]
    q = scan.quantise(np.array([0.03, 0.04, -0.97, 5.0, -5.0]), 6, 2)
    np.testing.assert_array_equal(q, [0.0625 * 0, 0.0625, -1.0, 2 - 0.0625, -2.0])


def test_magnitude_prune_zeroes_the_smallest_weights():
    w = np.array([[0.1, -3.0], [2.0, -0.2]])
    np.testing.assert_array_equal(scan.magnitude_prune(w, 0.5), [[0.0, -3.0], [2.0, 0.0]])
    np.testing.assert_array_equal(scan.magnitude_prune(w, 0.0), w)


def _record(name, acc, bops, lut, ii=1, strategy="Latency"):
    return {
        "name": name,
        "strategy": strategy,
        "emulated": {"accuracy": acc},
        "estimates": {"bops": bops, "da4ml": {"lut": lut}, "analytic": {"ii_cycles": ii}},
    }


def test_pareto_front_and_choice_rule():
    cost = np.array([1.0, 2.0, 3.0, 2.0])
    acc = np.array([0.5, 0.7, 0.69, 0.6])
    np.testing.assert_array_equal(scan.pareto_front(cost, acc), [True, True, False, False])
    records = [
        _record("b4", 0.50, 1e4, 100),
        _record("b8", 0.675, 3e4, 300),
        _record("b8_da", 0.675, 3e4, 300, strategy="distributed_arithmetic"),
        _record("b8_rf4", 0.675, 3e4, 300, ii=4),
        _record("b16", 0.684, 9e4, 900),
    ]
    # float 0.684, loss 0.01: floor 0.674; b8 and b8_da tie on BOPs and LUTs -> no DSPs
    assert scan.choose(records, 0.684, 0.01, 1) == "b8_da"
    assert scan.choose(records, 0.684, 0.001, 1) == "b16"
    with pytest.raises(ValueError, match="max_accuracy_loss"):
        scan.choose(records, 0.70, 0.001, 1)


def test_da4ml_cost_grows_with_the_bit_width():
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.5, (8, 4))
    cost = {}
    for bits in (4, 8):
        qw = scan.quantise(w, bits, 1)
        cost[bits] = estimates.da4ml_layer(qw, np.zeros(4), "fixed<16,6>", unsigned_input=False)
    assert 0 < cost[4]["cost"] < cost[8]["cost"]
    assert cost[4]["latency"] > 0
    # a zero kernel costs nothing
    assert estimates.da4ml_layer(np.zeros((8, 4)), np.zeros(4), "fixed<16,6>", False)["cost"] == 0


# --- L1 rate ------------------------------------------------------------------------------


def test_rate_formula_on_hand_computed_cases():
    # sigma = 1 nb, L = 1e34 cm^-2 s^-1: L sigma = 1e34 * 1e-33 = 10 Hz; half the events fire:
    # mu eps = 5 / 4e7 per crossing -> R = 4e7 (1 - exp(-1.25e-7)) = 5 Hz (1 - 6e-8)
    assert l1.l1_rate(0.5, 1000.0, 1e34, 40e6) == pytest.approx(5.0, rel=1e-6)
    # sigma = 100 mb = 1e11 pb, L = 2e34: 2e9 interactions/s, mu = 50 per crossing; with
    # eps = 0.01 the mean firing per crossing is 0.5 -> R = 40 MHz (1 - e^-0.5) = 15.739 MHz
    assert l1.l1_rate(0.01, 1e11, 2e34, 40e6) == pytest.approx(4e7 * (1 - math.exp(-0.5)))
    assert l1.l1_rate(0.01, 1e11, 2e34, 40e6) == pytest.approx(15.7388e6, rel=1e-5)
    # every crossing fires at most once: the rate saturates at f_BX
    assert l1.l1_rate(1.0, 1e11, 2e34, 40e6) == pytest.approx(4e7)
    with pytest.raises(ValueError, match="sigma_pb"):
        l1.l1_rate(0.5, -1.0, 1e34, 40e6)


def test_threshold_at_rate_and_efficiency_by_hand():
    # 4 QCD test jets of one class standing for 8 skimmed events out of 100 generated:
    # each jet is 2 % of the generated events; sigma L = 1000 Hz (1 nb at 1e36 cm^-2 s^-1)
    classes = np.array(["gluon"] * 4 + ["W"] * 4, dtype=object)
    w = l1.qcd_weights(classes, {"gluon": 8}, 100, ["gluon"])
    np.testing.assert_allclose(w, [0.02] * 4 + [0.0] * 4)
    score = np.array([0.1, 0.4, 0.6, 0.9, 0.2, 0.5, 0.7, 0.95])
    pt_ok = np.array([True, True, True, False, True, True, True, True])
    thr, rates = l1.rate_curve(score, pt_ok, w, 1000.0, 1e36, 40e6)
    # the jet at 0.9 fails pT; keeping >= 0.6: 1 jet = 20 Hz, >= 0.4: 40 Hz, >= 0.1: 60 Hz
    np.testing.assert_allclose(thr, [0.6, 0.4, 0.1])
    np.testing.assert_allclose(rates, [20, 40, 60], rtol=1e-5)
    t = l1.threshold_at_rate(thr, rates, 45.0)
    assert t == 0.4
    signal = classes == "W"
    assert l1.efficiency(score, pt_ok, signal, t) == 0.75  # 0.5, 0.7, 0.95 of 4 W jets
    assert l1.threshold_at_rate(thr, rates, 10.0) == math.inf
    assert l1.threshold_at_rate(thr, rates, 100.0) == -math.inf
