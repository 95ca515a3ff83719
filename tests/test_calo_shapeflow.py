"""The shower-shape flow (lhcml.calo.shapeflow): preprocessing, training, sampling,
reproducibility and save/reload."""

import json

import numpy as np
import pytest

from lhcml.calo import energyflow, shapeflow
from lhcml.calo.geometry import LAYER_CELLS, LAYER_OFFSETS, LAYER_SHAPES, flatten_layers
from lhcml.calo.showershapes import shower_shapes
from lhcml.calo.showersim import SimulatorParams, simulate
from lhcml.calo.weights import read_model

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
    """Layer normalisation, noise and logit invert to the cells (the cells below the
    threshold removed by it)."""
    params = shapeflow.ShapeFlowParams.from_mapping({"noise": 1e-9, "threshold": 1e-6})
    codes, energies = shapeflow.preprocess(showers, params.noise, np.random.default_rng(1))
    assert codes.shape == (600, 504)
    assert np.all(np.isfinite(codes))
    cells = shapeflow.postprocess(codes, energies, params.noise, params.threshold)
    truth = flatten_layers([showers[f"layer_{i}"] for i in range(3)])
    truth = np.where(truth >= 1e-6, truth, 0.0)
    assert np.allclose(cells, truth, rtol=1e-4, atol=3e-5)
    assert np.mean((cells > 0) != (truth > 0)) < 1e-3


def test_empty_cells_are_dequantised_at_the_same_codes_whatever_the_layer_energy(showers):
    """The noise is a fraction of the layer energy: the empty cells of a 1 GeV and of a
    100 GeV shower get codes from the same interval, below every real cell's."""
    codes, _ = shapeflow.preprocess(showers, 1e-9, np.random.default_rng(2))
    cells = flatten_layers([showers[f"layer_{i}"] for i in range(3)])
    low, high = showers["energy"] < 10, showers["energy"] > 90
    empty, hit = cells == 0, cells > 0
    bounds = np.log(shapeflow.ALPHA), np.log(shapeflow.ALPHA + 1e-9)
    for rows in (low, high):
        c = codes[rows][empty[rows]]
        assert bounds[0] - 1e-6 <= c.min()
        assert c.max() <= bounds[1] + 1e-6
    assert codes[hit].min() > bounds[1] + 2  # the smallest hit: > 7 times the noise


def test_every_training_code_lies_inside_the_splines(trained, showers):
    """The scale of each code is wide enough that the rare hits of nearly always empty
    cells (and the rare empties of nearly always hit cells) lie inside [-BOUND, BOUND],
    where the splines act; the bulk stays standardised (scale = std where that suffices)."""
    flow = trained[0]
    codes, _ = shapeflow.preprocess(showers, flow.params.noise, np.random.default_rng(4))
    z = (codes - flow.mean) / flow.std
    assert np.abs(z).max() <= shapeflow.CODE_RANGE + 1e-6 < shapeflow.BOUND
    widened = flow.std > np.maximum(codes.std(axis=0), shapeflow.MIN_STD) * 1.01
    assert 0 < widened.sum() < 504  # cells with a rare outlier are widened, not all


def test_a_layer_whose_cells_all_come_out_empty_keeps_its_energy_in_one_cell():
    """Codes at the noise level are empty cells; renormalising them would spread the
    layer energy evenly over the layer (every cell above the threshold)."""
    rng = np.random.default_rng(3)
    noise = 1e-9
    x = rng.uniform(0, noise, (2, 504))
    x[1, :288] = 0.5 * noise  # layer 0 of shower 1 empty; one real cell in each other layer
    x[:, 288 + 5] = 0.3
    x[:, 432 + 7] = 0.9
    x[0, 17] = 0.6
    u = shapeflow.ALPHA + (1 - 2 * shapeflow.ALPHA) * x
    codes = np.log(u) - np.log1p(-u)
    energies = np.array([[2.0, 10.0, 0.5], [2.0, 10.0, 0.0]])
    cells = shapeflow.postprocess(codes, energies, noise, 1e-6)
    for i, (o, n) in enumerate(zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)):
        layer = cells[:, o : o + n]
        assert np.allclose(layer.sum(axis=1), energies[:, i])
        assert np.all((layer > 0).sum(axis=1) == (energies[:, i] > 0))


def test_flow_trains_and_samples_showers(trained):
    flow, eflow, history = trained
    assert len(history["nll"]) == PARAMS["epochs"]
    assert history["nll"][-1] < history["nll"][0]
    # one XLA compilation of the step for the whole training (a step that created the
    # optimiser's variables in its first call was traced twice)
    assert history["traces"] == 1
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


@pytest.mark.parametrize("spline_bins", [6, 0])
def test_log_prob_is_the_density_of_the_sampling_bijector(trained, showers, spline_bins):
    """The training loss's log p (the inverse pass written out) is TFP's
    TransformedDistribution of the chain that samples, for spline and affine couplings
    whose networks are not the identity; and it is normalised: log p(f(z)) equals the base
    density of z minus the forward log-determinant."""
    import tensorflow as tf
    import tensorflow_probability as tfp

    flow = trained[0]
    if spline_bins != flow.params.spline_bins:
        params = shapeflow.ShapeFlowParams.from_mapping({**PARAMS, "spline_bins": spline_bins})
        flow = shapeflow.ShapeFlow(
            params, flow.mean, flow.std, flow.layer_mean, flow.layer_std, flow.e_range
        )
        rng = np.random.default_rng(3)
        for v in flow.trainable_variables:
            v.assign(0.05 * rng.standard_normal(v.shape))
    codes, _ = shapeflow.preprocess(showers, flow.params.noise, np.random.default_rng(2))
    x = tf.constant(((codes[:50] - flow.mean) / flow.std).astype(np.float32))
    energies = energyflow.layer_energies(showers)[:50]
    cond = tf.constant(flow.condition(showers["energy"][:50], energies))
    base = tfp.distributions.MultivariateNormalDiag(loc=tf.zeros(504))
    bijector = flow._bijector(cond)
    reference = tfp.distributions.TransformedDistribution(base, bijector).log_prob(x).numpy()
    ours = flow.log_prob(x, cond).numpy()
    assert np.allclose(ours, reference, rtol=1e-5, atol=1e-3)
    assert np.ptp(ours) > 10  # not a constant
    z = tf.constant(np.random.default_rng(4).standard_normal((50, 504)).astype(np.float32))
    expected = base.log_prob(z) - bijector.forward_log_det_jacobian(z, event_ndims=1)
    assert np.allclose(flow.log_prob(bijector.forward(z), cond), expected, rtol=1e-5, atol=1e-3)


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


def test_weights_of_another_architecture_are_refused(trained, tmp_path):
    """A file whose weights do not fit the model its parameters build (written by an
    earlier version of the network) is refused, naming the file and the weight."""
    flow, _, _ = trained
    flow.save(tmp_path / "shape.npz")
    params, arrays = read_model(tmp_path / "shape.npz")
    params["hidden_units"] = [16]
    np.savez(tmp_path / "other.npz", params=np.asarray(json.dumps(params)), **arrays)
    with pytest.raises(ValueError, match=r"other.npz: weights w0 have shape \(256, 32\)"):
        shapeflow.ShapeFlow.load(tmp_path / "other.npz")


def test_unknown_shape_flow_keys_are_refused():
    with pytest.raises(KeyError, match=r"calo.shape_flow parameter.*n_coupling"):
        shapeflow.ShapeFlowParams.from_mapping({"n_coupling": 3})
