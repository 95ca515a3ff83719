"""Physics checks of the reference shower simulator (lhcml.calo.showersim) and the CaloGAN
file format (lhcml.calo.io)."""

import h5py
import numpy as np
import pytest
from scipy.optimize import curve_fit

from lhcml.calo.geometry import CALOGAN_MEDIUM, LAYER_SHAPES
from lhcml.calo.io import CaloFormatError, read_many, read_showers, write_showers
from lhcml.calo.showersim import SimulatorParams, n_spots, simulate
from lhcml.calo.timing import time_per_shower

ENERGIES = np.array([2.0, 5.0, 10.0, 20.0, 50.0, 100.0])
FAST = SimulatorParams.from_mapping({"spot_factor": 0.25})
X0 = CALOGAN_MEDIUM.x0
EDGES = np.arange(0.0, 481.0, 4.0)


def _visible(showers):
    return sum(showers[f"layer_{i}"].sum(axis=(1, 2)) for i in range(3)) + showers["overflow"].sum(
        1
    )


def profile_maximum(particle, energy, n=150, seed=1):
    """Depth (mm) of the maximum of the mean true-energy profile (parabola through the peak)."""
    rng = np.random.default_rng(seed)
    out = simulate(particle, np.full(n, energy), rng, FAST, profile_edges=EDGES)
    mean = out["profile"].mean(axis=0)
    mean = np.convolve(mean, np.ones(5) / 5, mode="same")  # smooth over 20 mm
    k = int(np.clip(np.argmax(mean), 1, len(mean) - 2))
    y0, y1, y2 = mean[k - 1 : k + 2]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    centres = 0.5 * (EDGES[1:] + EDGES[:-1])
    centroid = float((out["profile"].sum(0) * centres).sum() / out["profile"].sum())
    return centres[k] + shift * (EDGES[1] - EDGES[0]), centroid


@pytest.fixture(scope="module")
def maxima():
    return {
        p: np.array([profile_maximum(p, e) for e in ENERGIES]) for p in ("eplus", "gamma", "piplus")
    }


def test_profile_maximum_grows_like_log_energy(maxima):
    # GFlash: T_max = ln(E / Ec) + const (in X0): slope one X0 per unit of ln E.
    for particle in ("eplus", "gamma"):
        tmax = maxima[particle][:, 0]
        slope, intercept = np.polyfit(np.log(ENERGIES), tmax, 1)
        assert 0.7 * X0 < slope < 1.3 * X0, (particle, slope / X0, tmax)
        residual = tmax - (slope * np.log(ENERGIES) + intercept)
        assert np.max(np.abs(residual)) < 0.6 * X0, (particle, residual)


def test_photons_start_later_than_positrons(maxima):
    # the photon converts first (mean free path 9/7 X0 = 20 mm)
    shift = np.mean(maxima["gamma"][:, 0] - maxima["eplus"][:, 0])
    assert 0.5 * X0 < shift < 2.0 * X0, shift / X0


def test_pion_showers_are_deeper_than_electromagnetic(maxima):
    # interaction length 374 mm vs X0 15.6 mm: pion energy is deposited much deeper
    assert np.all(maxima["piplus"][:, 1] > maxima["eplus"][:, 1] + 5 * X0), maxima
    assert np.all(maxima["piplus"][:, 0] != pytest.approx(maxima["eplus"][:, 0], abs=X0))


@pytest.fixture(scope="module")
def positrons():
    rng = np.random.default_rng(7)
    return {e: simulate("eplus", np.full(300, e), rng, FAST) for e in ENERGIES}


def test_response_is_linear(positrons):
    means = np.array([_visible(positrons[e]).mean() for e in ENERGIES])
    slope, intercept = np.polyfit(ENERGIES, means, 1)
    assert slope == pytest.approx(1.0, abs=0.015), slope
    assert abs(intercept) < 0.1, intercept
    assert np.all(np.abs(means / ENERGIES - 1) < 0.02), means / ENERGIES


def test_resolution_is_sampling_dominated(positrons):
    """sigma/E = a / sqrt(E) (+) b with a ~ 0.1 sqrt(GeV) (2 mm Pb / 4 mm LAr)."""
    rel = np.array([np.std(_visible(positrons[e])) / e for e in ENERGIES])

    def model(e, a, b):
        return np.sqrt(a**2 / e + b**2)

    (a, b), _ = curve_fit(model, ENERGIES, rel, p0=(0.1, 0.01))
    assert 0.07 < a < 0.14, (a, rel)
    assert abs(b) < 0.03, (b, rel)
    assert rel[0] > 2.5 * rel[-1]  # fluctuations shrink with energy


@pytest.mark.parametrize("particle", ["eplus", "gamma", "piplus"])
def test_energy_is_conserved(particle):
    """cells + overflow + leakage + invisible = E up to the sampling fluctuations."""
    rng = np.random.default_rng(3)
    e = 50.0
    out = simulate(particle, np.full(400, e), rng, FAST)
    total = (_visible(out) + out["leakage"] + out["invisible"]) / e
    assert np.all(out["leakage"] >= 0)
    assert np.all(out["invisible"] >= 0)
    assert total.mean() == pytest.approx(1.0, abs=0.01), total.mean()
    expected = np.hypot(0.10 / np.sqrt(e), 0.007)
    limit = 1.3 * expected if particle != "piplus" else 0.15
    assert total.std() < limit, total.std()
    if particle == "piplus":
        # a 1.28 lambda_int calorimeter: a large share of the pion energy leaks out the back
        assert 0.3 < out["leakage"].mean() / e < 0.9
        assert 0.0 < out["invisible"].mean() / e < 0.3
    else:
        assert out["leakage"].mean() / e < 0.01


def test_shapes_seeding_and_cost():
    energy = np.array([1.0, 10.0, 100.0])
    a = simulate("gamma", energy, np.random.default_rng(1), FAST)
    b = simulate("gamma", energy, np.random.default_rng(1), FAST)
    for i, shape in enumerate(LAYER_SHAPES):
        assert a[f"layer_{i}"].shape == (3, *shape)
        assert np.array_equal(a[f"layer_{i}"], b[f"layer_{i}"])
        assert np.all(a[f"layer_{i}"] >= 0)
    assert a["overflow"].shape == (3, 3)
    # spot by spot: the cost grows with energy like E^0.876
    spots = n_spots(energy, CALOGAN_MEDIUM.z_eff, 1.0)
    assert spots[2] / spots[0] == pytest.approx(100**0.876, rel=0.01)
    with pytest.raises(ValueError, match="unknown particle"):
        simulate("muon", energy, np.random.default_rng(1))
    with pytest.raises(ValueError, match="positive"):
        simulate("eplus", [-1.0], np.random.default_rng(1))


def test_caloGAN_file_round_trip(tmp_path):
    out = simulate("eplus", [5.0, 50.0], np.random.default_rng(2), FAST)
    path = tmp_path / "eplus.hdf5"
    write_showers(path, out)
    with h5py.File(path) as f:
        assert f["energy"].shape == (2, 1)
        assert f["layer_0"].shape == (2, 3, 96)
    back = read_showers(path)
    assert np.allclose(back["layer_1"], out["layer_1"], rtol=1e-6)
    assert len(read_many([path, path])["energy"]) == 4


GOOD_CALOGAN = {
    "energy": (4, 1),
    "layer_0": (4, 3, 96),
    "layer_1": (4, 12, 12),
    "layer_2": (4, 12, 6),
    "overflow": (4, 3),
}


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        (
            {k: v for k, v in GOOD_CALOGAN.items() if k != "layer_2"},
            r"bad.hdf5: missing CaloGAN dataset\(s\) \['layer_2'\]",
        ),
        (
            {**GOOD_CALOGAN, "energy": (4,), "layer_0": (4, 96, 3)},
            r"'layer_0' has shape \(4, 96, 3\), expected \(4, 3, 96\)",
        ),
    ],
    ids=["missing-key", "wrong-shape"],
)
def test_caloGAN_file_with_a_missing_key_or_wrong_shape_is_rejected(tmp_path, shapes, message):
    path = tmp_path / "bad.hdf5"
    with h5py.File(path, "w") as f:
        for key, shape in shapes.items():
            f[key] = np.ones(shape) if key == "energy" else np.zeros(shape)
    with pytest.raises(CaloFormatError, match=message):
        read_showers(path)


def test_missing_caloGAN_file_is_rejected(tmp_path):
    with pytest.raises(CaloFormatError, match="cannot open"):
        read_showers(tmp_path / "absent.hdf5")


@pytest.mark.parametrize("warm_up_each", [False, True])
def test_each_timed_batch_follows_an_untimed_call(warm_up_each):
    """The simulator is timed after one untimed shower; a generator (the shape flow's
    sampling compiles once per batch size) after an untimed call of each batch size, so
    that no timed call pays a compilation. Batches below 1000 showers are repeated."""
    calls = []
    out = time_per_shower(calls.append, [1, 100, 2000], repeats=3, warm_up_each=warm_up_each)
    assert set(out) == {"1", "100", "2000"}
    assert all(v >= 0 for v in out.values())
    if warm_up_each:
        assert calls == [1] * 4 + [100] * 4 + [2000] * 2
    else:
        assert calls == [1] + [1] * 3 + [100] * 3 + [2000]
