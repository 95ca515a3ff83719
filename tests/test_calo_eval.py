"""The CaloChallenge evaluation (lhcml.calo.validation): separation power and the
calibrated DNN classifier on known cases."""

import dataclasses

import numpy as np
import pytest

from lhcml.calo.showershapes import shower_shapes
from lhcml.calo.showersim import SimulatorParams, simulate
from lhcml.calo.validation import (
    ClassifierParams,
    cell_inputs,
    classifier_auc,
    high_level_inputs,
    separation_power,
    separation_powers,
    validate_metrics,
    worst,
)

PARAMS = ClassifierParams.from_mapping(
    {"hidden_layers": [64, 64], "epochs": 15, "batch_size": 128, "learning_rate": 1e-3}
)


def test_separation_power_known_values():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 20000), rng.normal(0, 1, 20000)
    assert separation_power(a, b) < 0.005
    assert separation_power(a, a + 100.0) == pytest.approx(1.0, abs=0.01)  # all in the edge bin
    # reference half 0 and half 1 (first and last bin), generated all 0:
    # 0.5 ((1/2 - 1)^2 / (3/2) + (1/2)^2 / (1/2)) = 1/3
    half = np.repeat([0.0, 1.0], 5000)
    assert separation_power(half, np.zeros(3000)) == pytest.approx(1 / 3)
    moved = np.concatenate([b[:10000], np.full(10000, 50.0)])
    powers = separation_powers({"x": a, "y": a}, {"x": moved, "y": b}, features=("x", "y"))
    assert worst(powers, 1) == [["x", powers["x"]]]


@pytest.fixture(scope="module")
def reference():
    """Two independent sets of 1500 e+ showers from the reference simulator."""
    rng = np.random.default_rng(11)
    params = SimulatorParams.from_mapping({"spot_factor": 0.1})
    return [simulate("eplus", rng.uniform(1, 100, 1500), rng, params) for _ in range(2)]


def _distorted(showers, factor):
    """Layer-1 cells scaled by ``factor`` (a mis-calibrated middle layer)."""
    return {**showers, "layer_1": showers["layer_1"] * factor}


def test_reference_against_itself_is_indistinguishable(reference):
    a, b = reference
    hl = classifier_auc(
        high_level_inputs(a, shower_shapes(a)),
        high_level_inputs(b, shower_shapes(b)),
        PARAMS,
        seed=1,
    )
    assert abs(hl["auc"] - 0.5) < 3 * hl["auc_err"], hl
    assert hl["jsd"] < 0.05
    assert hl["n_test"] == pytest.approx(0.2 * 3000, rel=0.15)
    cells = classifier_auc(cell_inputs(a), cell_inputs(b), PARAMS, seed=1, standardise=False)
    assert abs(cells["auc"] - 0.5) < 3 * cells["auc_err"], cells


def test_a_known_distortion_is_found(reference):
    a, b = reference
    c = _distorted(b, 1.10)
    hl = classifier_auc(
        high_level_inputs(a, shower_shapes(a)),
        high_level_inputs(c, shower_shapes(c)),
        PARAMS,
        seed=1,
    )
    assert hl["auc"] > 0.75, hl
    assert hl["jsd"] > 0.1, hl
    powers = separation_powers(shower_shapes(a), shower_shapes(c))
    assert worst(powers, 1)[0][0] in ("e_1", "f_1", "f_0", "e_ratio", "e_tot"), worst(powers)


def test_classifier_is_reproducible_from_its_seed():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (600, 4)), rng.normal(0.3, 1, (600, 4))
    small = ClassifierParams.from_mapping({"hidden_layers": [8], "epochs": 3})
    assert classifier_auc(a, b, small, seed=2) == classifier_auc(a, b, small, seed=2)


def test_classifier_stops_at_the_best_validation_epoch():
    """Early stopping: training ends ``patience`` epochs after the lowest validation loss
    (whose weights are kept), or at the cap, flagged as not converged."""
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, (1500, 3)), rng.normal(0.5, 1, (1500, 3))
    free = ClassifierParams.from_mapping(
        {"hidden_layers": [16], "epochs": 300, "patience": 4, "learning_rate": 1e-2}
    )
    r = classifier_auc(a, b, free, seed=4)
    val = r["history"]["val_loss"]
    assert r["converged"]
    assert r["epochs_run"] == r["best_epoch"] + 4 < 300
    assert val[r["best_epoch"] - 1] == min(val) < min(val[r["best_epoch"] :])
    # three shifted dimensions of 0.5 sigma: AUC = Phi(0.5 sqrt(3) / sqrt(2)) = 0.73
    assert abs(r["auc"] - 0.73) < 3 * r["auc_err"] + 0.01, r
    r = classifier_auc(a, b, dataclasses.replace(free, epochs=2), seed=4)
    assert not r["converged"]
    assert r["epochs_run"] == 2


def test_too_few_showers_and_incomplete_metrics_are_refused():
    with pytest.raises(ValueError, match="too few"):
        classifier_auc(np.zeros((2, 1)), np.ones((2, 1)), PARAMS, seed=1)
    with pytest.raises(ValueError, match="'generators' missing"):
        validate_metrics({"particle": "eplus", "n_reference": 1})
    with pytest.raises(ValueError, match=r"generators.gan.n_generated"):
        validate_metrics({"particle": "eplus", "n_reference": 1, "generators": {"gan": {}}})
