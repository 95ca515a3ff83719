"""Trigger models with TensorFlow: a tiny QKeras model through hls4ml, pruning, profiling.

The hls4ml test compiles C++ with g++ (about 20-30 s on 2 cores).
"""

from __future__ import annotations

import numpy as np
import pytest

from lhcml.trigger import estimates, hls, models, pruning


@pytest.fixture(scope="module")
def keras():
    return models.setup_keras(seed=11, threads=1)[1]


def toy_data(n=3000, seed=0):
    """16 features, 5 classes separated by the class means of the first five features."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 5, n)
    x = rng.normal(size=(n, 16))
    x[np.arange(n), target] += 2.5
    prep = models.Preprocessor(models.Standardizer.fit(x), clip=8.0)
    return prep.transform(x), target


def train_tiny(keras, kind="qkeras", prune=None, epochs=8):
    x, y = toy_data()
    w = np.ones(len(y))
    net = {
        "layers": [8],
        "l1": 0.0,
        "epochs": epochs,
        "batch_size": 64,
        "learning_rate": 1e-2,
        "patience": 3,
    }
    model = models.build_model(keras, kind, 16, 5, net, {"bits": 6, "activation_bits": 6})
    callbacks, start = [], 0
    if prune is not None:
        model, callbacks, start = pruning.prunable(model, -(-len(y) // 64), prune)
    models.fit(keras, model, (x, y, w), (x[:500], y[:500], w[:500]), net, callbacks, start)
    return (pruning.strip(model) if prune is not None else model), x, y


def test_preprocessor_puts_inputs_on_the_fixed_point_grid():
    x, _ = toy_data(200)
    assert np.abs(x).max() <= 8.0
    np.testing.assert_array_equal(x * 1024, np.round(x * 1024))
    with pytest.raises(ValueError, match="clip"):
        models.Preprocessor(models.Standardizer.fit(x), clip=40.0)


def test_tiny_qkeras_model_converts_compiles_and_agrees(keras, tmp_path):
    model, x, y = train_tiny(keras)
    keras_out = models.predict(model, x[:1000])
    assert np.mean(keras_out.argmax(1) == y[:1000]) > 0.6  # it learned something

    hls4ml = hls.import_hls4ml()
    config = hls.hls_config(hls4ml, model, {"reuse_factor": 1})
    assert config["LayerName"]["fc1"]["Precision"]["weight"].startswith("fixed<6,1")
    hls_model = hls.convert(hls4ml, model, config, tmp_path / "prj", {})
    seconds = hls.compile_model(hls_model)
    assert seconds > 0
    assert (tmp_path / "prj" / "firmware" / "myproject.cpp").exists()
    emulated = hls.emulate(hls_model, x[:1000])
    agree = np.mean(emulated.argmax(1) == keras_out.argmax(1))
    assert agree >= 0.99, agree
    assert np.abs(emulated - keras_out).max() < 0.05
    assert hls.synthesize(hls_model, "Vitis", allowed=False)["synthesized"] is False


def test_pruning_reaches_the_target_sparsity(keras):
    model, _, _ = train_tiny(
        keras,
        "float",
        prune={"target_sparsity": 0.6, "begin_epoch": 1, "frequency_steps": 5},
        epochs=4,
    )
    zeros = pruning.sparsity(models.quantised_kernels(model))
    assert set(zeros) == {"fc1", "output"}
    for fraction in zeros.values():
        assert fraction == pytest.approx(0.6, abs=0.02)


def test_profiled_precisions_hold_the_float_model(keras):
    model, x, _ = train_tiny(keras, "float", epochs=2)
    prof = hls.profile_precisions(model, x[:500], width=16, guard_bits=1)
    w_max = np.abs(model.get_layer("fc1").get_weights()[0]).max()
    bits = int(prof["precision"]["fc1"]["weight"].split(",")[1].rstrip(">"))
    assert 2.0 ** (bits - 1) > w_max >= 2.0 ** (bits - 2) or bits == 1
    assert prof["precision"]["features"]["result"] == hls.INPUT_PRECISION


@pytest.mark.slow
def test_scan_point_in_distributed_arithmetic_computes_what_latency_computes(keras, tmp_path):
    """A tiny float network (16-8-5) as an 8-bit scan point, converted with the Latency and
    the distributed-arithmetic strategies: both emulations compute the same network, and
    hls4ml's own da4ml solution costs what the scan's estimate says. (Two small g++
    compiles; the ci scan has no distributed-arithmetic point, its C++ takes minutes.)"""

    model, x, _ = train_tiny(keras, "float", epochs=3)
    hls4ml = hls.import_hls4ml()
    out, lut = {}, {}
    for strategy in ("Latency", "distributed_arithmetic"):
        point = {"bits": 8, "reuse_factor": 1, "pruning": 0.25, "strategy": strategy}
        qmodel, precision = models.design_model(model, keras, point, x[:1000], guard_bits=1)
        config = hls.hls_config(hls4ml, qmodel, point, precision)
        hls_model = hls.convert(hls4ml, qmodel, config, tmp_path / strategy, {})
        hls.compile_model(hls_model)
        out[strategy] = hls.emulate(hls_model, x[:1000])
        lut[strategy] = sum(
            float(layer.attributes["da_kernel_cost"])
            for layer in hls_model.get_layers()
            if "da_kernel_cost" in layer.attributes
        )
        keras_out = models.predict(qmodel, x[:1000])
        assert np.mean(out[strategy].argmax(1) == keras_out.argmax(1)) >= 0.98, strategy
    a, b = out["Latency"], out["distributed_arithmetic"]
    assert np.mean(a.argmax(1) == b.argmax(1)) >= 0.99
    assert np.abs(a - b).max() < 0.05
    assert lut["Latency"] == 0 < lut["distributed_arithmetic"]
    est = estimates.estimates(qmodel, precision, point)
    assert est["da4ml"]["lut"] == pytest.approx(lut["distributed_arithmetic"], rel=0.1)
    assert est["analytic"]["multipliers"] == 0
    assert est["sparsity"]["fc1"] == pytest.approx(0.25, abs=0.01)
