"""The shower-shape flow (lhcml.calo.shapeflow): preprocessing, training, sampling,
reproducibility and save/reload."""

import numpy as np
import pytest

from lhcml.calo import energyflow, shapeflow
from lhcml.calo.geometry import LAYER_CELLS, LAYER_OFFSETS, LAYER_SHAPES, flatten_layers
from lhcml.calo.showershapes import shower_shapes
from lhcml.calo.showersim import SimulatorParams, simulate

E_RANGE = (1.0, 100.0)
PARAMS = {
    "n_couplings": 2,
    "hidden_units": [32],
    "epochs": 4,
    "batch_size": 64,
    "learning_rate": 1e-3,
}


@pytest.fixture(scope="module")
def showers():
    rng = np.random.default_rng(7)
    return simulate(
        "eplus", rng.uniform(*E_RANGE, 600), rng, SimulatorParams.from_mapping({"spot_factor": 0.1})
    )


@pytest.fixture(scope="module")
def trained(showers):
    params = shapeflow.ShapeFlowParams.from_mapping(PARAMS)
    flow, history = shapeflow.train(showers, params, E_RANGE, seed=4)
    eflow, _ = energyflow.train(
        showers,
        energyflow.FlowParams.from_mapping(
            {"n_mades": 1, "hidden_units": [8], "epochs": 2, "batch_size": 128}
        ),
        E_RANGE,
        seed=4,
    )
    return flow, eflow, history


def test_preprocessing_round_trip(showers):
    """Noise, layer normalisation and logit invert to the cells (the noise below the
    threshold removed by it)."""
    params = shapeflow.ShapeFlowParams.from_mapping({"noise": 1e-7, "threshold": 1e-6})
    codes, energies = shapeflow.preprocess(showers, params.noise, np.random.default_rng(1))
    assert codes.shape == (600, 504)
    assert np.all(np.isfinite(codes))
    cells = shapeflow.postprocess(codes, energies, params.threshold)
    truth = flatten_layers([showers[f"layer_{i}"] for i in range(3)])
    truth = np.where(truth >= 1e-6, truth, 0.0)
    assert np.allclose(cells, truth, rtol=1e-4, atol=3e-5)
    assert np.array_equal(cells > 0, truth > 0) or np.mean((cells > 0) != (truth > 0)) < 1e-3


def test_flow_trains_and_samples_showers(trained):
    flow, eflow, history = trained
    assert len(history["nll"]) == PARAMS["epochs"]
    assert history["nll"][-1] < history["nll"][0]
    energy = np.array([1.5, 10.0, 60.0, 99.0])
    rng = np.random.default_rng(0)
    layers = eflow.sample(energy, rng)
    cells = flow.sample(energy, layers, rng)
    assert cells.shape == (4, 504)
    assert np.all(cells >= 0)
    # each layer carries the energy it was given, up to the cells cut by the threshold
    for i, (o, n) in enumerate(zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)):
        assert np.allclose(cells[:, o : o + n].sum(axis=1), layers[:, i], rtol=1e-3, atol=1e-3)
    out = shapeflow.generate(flow, eflow, energy, np.random.default_rng(0))
    for i, shape in enumerate(LAYER_SHAPES):
        assert out[f"layer_{i}"].shape == (4, *shape)
    assert np.all(shower_shapes(out)["sparsity_1"] > 0)


def test_flow_is_reproducible_from_its_seed(showers, trained):
    flow, _, history = trained
    params = shapeflow.ShapeFlowParams.from_mapping(PARAMS)
    again, history_again = shapeflow.train(showers, params, E_RANGE, seed=4)
    assert history_again["nll"] == history["nll"]
    for v, w in zip(flow.trainable_variables, again.trainable_variables, strict=True):
        assert np.array_equal(v.numpy(), w.numpy())


def test_flow_save_and_reload_samples_the_same(trained, tmp_path):
    flow, eflow, _ = trained
    flow.save(tmp_path / "shape.npz")
    loaded = shapeflow.ShapeFlow.load(tmp_path / "shape.npz")
    energy = np.array([3.0, 30.0, 90.0])
    a = shapeflow.generate(flow, eflow, energy, np.random.default_rng(9))
    b = shapeflow.generate(loaded, eflow, energy, np.random.default_rng(9))
    for i in range(3):
        assert np.array_equal(a[f"layer_{i}"], b[f"layer_{i}"])


def test_unknown_shape_flow_keys_are_refused():
    with pytest.raises(KeyError, match=r"calo.shape_flow parameter.*n_coupling"):
        shapeflow.ShapeFlowParams.from_mapping({"n_coupling": 3})
