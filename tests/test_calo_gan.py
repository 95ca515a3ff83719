"""The GAN (lhcml.calo.gan), shower shapes and the feature distances (lhcml.calo.validation)."""

import numpy as np
import pytest

from lhcml.calo.gan import GanParams, decode_cells, encode_cells, generate, train
from lhcml.calo.geometry import LAYER_SHAPES
from lhcml.calo.showershapes import FEATURES, shower_shapes
from lhcml.calo.showersim import SimulatorParams, simulate
from lhcml.calo.validation import feature_distances, summarise_distances
from lhcml.calo.workflow import load_generator

E_RANGE = (1.0, 100.0)


@pytest.fixture(scope="module")
def showers():
    rng = np.random.default_rng(4)
    return simulate(
        "eplus", rng.uniform(*E_RANGE, 256), rng, SimulatorParams.from_mapping({"spot_factor": 0.1})
    )


def test_encoding_round_trip(showers):
    y = encode_cells(showers)
    assert y.shape == (256, 504)
    assert y.min() >= 0
    assert y.max() <= 1
    cells = decode_cells(y, showers["energy"])
    assert np.allclose(cells[:, :288].reshape(-1, 3, 96), showers["layer_0"], rtol=1e-4, atol=1e-7)


def test_gan_trains_and_generates_showers(showers):
    params = GanParams.from_mapping(
        {
            "epochs": 2,
            "batch_size": 64,
            "latent_dim": 8,
            "generator_layers": [32],
            "critic_layers": [32],
            "n_critic": 2,
        }
    )
    generator, _, history = train(showers, params, E_RANGE, seed=1, threads=1)
    assert len(history["critic_loss"]) == 2
    assert all(np.isfinite(history[k]).all() for k in ("critic_loss", "generator_loss"))
    energy = np.array([1.0, 10.0, 50.0, 100.0])
    out = generate(generator, energy, E_RANGE, 8, np.random.default_rng(0))
    again = generate(generator, energy, E_RANGE, 8, np.random.default_rng(0))
    for i, shape in enumerate(LAYER_SHAPES):
        image = out[f"layer_{i}"]
        assert image.shape == (4, *shape)
        assert np.all(np.isfinite(image))
        assert np.all(image >= 0)
        assert np.array_equal(image, again[f"layer_{i}"])
    # no cell above the incident energy (output clipped at y = 1)
    assert np.all(out["layer_1"].max(axis=(1, 2)) <= energy * (1 + 1e-6))


def test_shower_shapes(showers):
    shapes = shower_shapes(showers)
    assert list(shapes) == list(FEATURES)
    f = shapes["f_0"] + shapes["f_1"] + shapes["f_2"]
    assert np.allclose(f, 1.0)
    assert np.all((shapes["shower_depth"] >= 0) & (shapes["shower_depth"] <= 2))
    assert np.all(shapes["sparsity_1"] > 0)
    assert np.all(shapes["sparsity_1"] <= 1)
    # lateral width of the 5 mm strips: a few mm to a few cm for an EM shower (R_M 35 mm)
    assert 3 < np.median(shapes["width_0"]) < 40


def test_distances_separate_what_differs():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (2000, 3)), rng.normal(0, 1, (2000, 3))
    d = feature_distances(
        {"x": a[:, 0], "y": a[:, 1]}, {"x": b[:, 0] + 1.0, "y": b[:, 1]}, features=("x", "y")
    )
    assert d["x"]["w1"] == pytest.approx(1.0, abs=0.1)
    assert d["y"]["w1_over_std"] < 0.1
    s = summarise_distances(d)
    assert s["worst_feature"] == "x"
    assert s["median_w1_over_std"] < s["worst_w1_over_std"]


def test_gan_save_and_reload_samples_the_same(showers, tmp_path):
    params = GanParams.from_mapping(
        {
            "epochs": 1,
            "batch_size": 64,
            "latent_dim": 8,
            "generator_layers": [16],
            "critic_layers": [16],
            "n_critic": 2,
        }
    )
    generator, _, _ = train(showers, params, E_RANGE, seed=3, threads=1)
    again, _, _ = train(showers, params, E_RANGE, seed=3, threads=1)
    for w, v in zip(generator.get_weights(), again.get_weights(), strict=True):
        assert np.array_equal(w, v)  # the same seed, the same generator
    generator.save(tmp_path / "g.keras")
    loaded = load_generator(tmp_path / "g.keras", seed=3)
    energy = np.array([2.0, 20.0, 80.0])
    a = generate(generator, energy, E_RANGE, 8, np.random.default_rng(5))
    b = generate(loaded, energy, E_RANGE, 8, np.random.default_rng(5))
    for i in range(3):
        assert np.allclose(a[f"layer_{i}"], b[f"layer_{i}"], rtol=1e-6, atol=1e-12)
