"""The layer-energy flow (lhcml.calo.energyflow): likelihood fit, sampling, rescaling."""

import numpy as np
import pytest

from lhcml.calo import energyflow as ef
from lhcml.calo.geometry import LAYER_CELLS, LAYER_OFFSETS, LAYER_SHAPES, N_CELLS

E_RANGE = (1.0, 100.0)


def toy_showers(n: int, seed: int) -> dict:
    """Showers whose layer energies follow a known law: a response of 0.95 with a
    resolution 0.1 / sqrt(E), split 30% / 69% / 1% over the layers with some spread."""
    rng = np.random.default_rng(seed)
    energy = rng.uniform(*E_RANGE, n)
    total = energy * (0.95 + 0.1 / np.sqrt(energy) * rng.standard_normal(n))
    f0 = np.clip(0.3 + 0.05 * rng.standard_normal(n), 0.05, 0.6)
    f2 = 0.01 * rng.uniform(0.5, 1.5, n)
    layers = np.stack([f0, 1 - f0 - f2, f2], axis=1) * total[:, None]
    cells = np.zeros((n, N_CELLS))
    for i, (o, c) in enumerate(zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)):
        cells[:, o : o + c // 2] = layers[:, i : i + 1] / (c // 2)  # half the cells lit
    out = {"energy": energy}
    start = 0
    for i, shape in enumerate(LAYER_SHAPES):
        size = shape[0] * shape[1]
        out[f"layer_{i}"] = cells[:, start : start + size].reshape(n, *shape)
        start += size
    return out


@pytest.fixture(scope="module")
def trained():
    showers = toy_showers(4000, 1)
    params = ef.FlowParams.from_mapping(
        {"n_mades": 3, "hidden_units": [32, 32], "epochs": 25, "batch_size": 128}
    )
    flow, history = ef.train(showers, params, E_RANGE, seed=2)
    return flow, history


def test_codes_round_trip():
    showers = toy_showers(50, 3)
    e = ef.layer_energies(showers)
    codes = ef.encode_layers(e, showers["energy"])
    assert np.allclose(ef.decode_layers(codes, showers["energy"]), e, rtol=1e-9, atol=1e-9)
    assert np.allclose(e.sum(axis=1) / showers["energy"], 0.95, atol=0.1)


def test_flow_learns_the_conditional_layer_energies(trained):
    flow, history = trained
    assert len(history["nll"]) == 25
    assert history["traces"] == 1  # one compilation of the training step
    assert history["nll"][-1] < history["nll"][0] - 1.0
    rng = np.random.default_rng(5)
    for energy, resolution in ((4.0, 0.05), (81.0, 0.1 / 9)):
        sample = flow.sample(np.full(4000, energy), rng)
        ratio = sample.sum(axis=1) / energy
        # the response and the energy-dependent resolution 0.1 / sqrt(E)
        assert ratio.mean() == pytest.approx(0.95, abs=0.01), energy
        assert ratio.std() == pytest.approx(resolution, rel=0.35), energy
        f = sample / sample.sum(axis=1, keepdims=True)
        assert f[:, 0].mean() == pytest.approx(0.30, abs=0.02)
        assert f[:, 2].mean() == pytest.approx(0.01, abs=0.003)


def test_flow_save_and_reload_samples_the_same(trained, tmp_path):
    flow, _ = trained
    flow.save(tmp_path / "flow.npz")
    again = ef.LayerEnergyFlow.load(tmp_path / "flow.npz")
    energy = np.array([2.0, 20.0, 90.0])
    a = flow.sample(energy, np.random.default_rng(7))
    b = again.sample(energy, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert np.all(a >= 0)
    assert np.all(a <= ef.MAX_FRACTION * energy[:, None])


def test_rescaling_sets_the_layer_energies_and_keeps_the_shape():
    rng = np.random.default_rng(8)
    cells = rng.exponential(1.0, (5, N_CELLS)) * (rng.random((5, N_CELLS)) < 0.3)
    cells[0, LAYER_OFFSETS[2] :] = 0.0  # an empty layer stays empty
    targets = rng.uniform(1, 10, (5, 3))
    out = ef.rescale_layers(cells, targets)
    for i, (o, n) in enumerate(zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)):
        sums = out[:, o : o + n].sum(axis=1)
        expected = np.where(cells[:, o : o + n].sum(axis=1) > 0, targets[:, i], 0.0)
        np.testing.assert_allclose(sums, expected, rtol=1e-12)
        ratio = (
            out[1, o : o + n][cells[1, o : o + n] > 0]
            / cells[1, o : o + n][cells[1, o : o + n] > 0]
        )
        assert np.allclose(ratio, ratio[0])  # one factor per layer: the shape is kept
    assert np.array_equal(out == 0, cells == 0)


def test_unknown_flow_keys_are_refused():
    with pytest.raises(KeyError, match=r"unknown calo.energy_flow parameter"):
        ef.FlowParams.from_mapping({"layers": 3})
