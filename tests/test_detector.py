"""The parametric detector: acceptance, resolutions and determinism, checked numerically."""

import numpy as np
import pytest

from lhcml.generate.detector import DetectorConfig, simulate


def _particles(n, pdg, charge, energy=100.0, eta=0.5):
    phi = np.linspace(-3, 3, n)
    pt = energy / np.cosh(eta)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), np.full(n, pt * np.sinh(eta))
    return px, py, pz, np.full(n, energy), np.full(n, pdg), np.full(n, charge)


def test_neutrinos_are_invisible_and_muons_outside_tracker_are_lost():
    px, py, pz, e, pdg, q = _particles(10, 12, 0)
    cands, kept = simulate(px, py, pz, e, pdg, q, np.random.default_rng(1))
    assert not kept.any()
    assert len(cands["pt"]) == 0


@pytest.mark.parametrize(
    ("pdg", "charge", "expected"),
    [
        (22, 0, np.hypot(0.03 / 10, np.hypot(0.2 / 100, 0.005))),  # ECAL at 100 GeV
        (130, 0, np.hypot(1.0 / 10, 0.05)),  # HCAL at 100 GeV
        (211, 1, np.hypot(1e-4 * 100 / np.cosh(0.5), 0.005)),  # tracker, pT-based
    ],
)
def test_energy_resolution_matches_parametrisation(pdg, charge, expected):
    px, py, pz, e, ids, q = _particles(20000, pdg, charge)
    cands, kept = simulate(px, py, pz, e, ids, q, np.random.default_rng(2))
    assert kept.all()
    ratio = cands["pt"] / np.hypot(px, py) if charge else cands["E"] / e
    assert np.mean(ratio) == pytest.approx(1.0, abs=3 * expected / np.sqrt(len(ratio)) + 1e-4)
    assert np.std(ratio) == pytest.approx(expected, rel=0.03)


def test_particle_flow_ids_and_charges():
    cfg = DetectorConfig.from_mapping(None)
    ids = np.array([22, 130, 211, -211, 11, 13, 2112])
    q = np.array([0, 0, 1, -1, -1, -1, 0])
    px, py, pz, e, _, _ = _particles(len(ids), 0, 0, energy=50.0)
    cands, kept = simulate(px, py, pz, e, ids, q, np.random.default_rng(3), cfg)
    assert kept.all()
    assert cands["pdgId"].tolist() == [22, 130, 211, -211, 11, 13, 130]
    assert cands["charge"].tolist() == [0, 0, 1, -1, -1, -1, 0]
    assert np.all(cands["mass"][[0, 1, 6]] == 0)


def test_acceptance_and_thresholds():
    # charged hadron at |eta| = 2.8: no track, but inside the HCAL -> neutral-hadron deposit
    px, py, pz, e, ids, q = _particles(1, 211, 1, energy=50.0, eta=2.8)
    cands, _ = simulate(px, py, pz, e, ids, q, np.random.default_rng(4))
    assert cands["pdgId"].tolist() == [130]
    # photon at |eta| = 3.5 is outside the ECAL
    px, py, pz, e, ids, q = _particles(1, 22, 0, energy=50.0, eta=3.5)
    cands, kept = simulate(px, py, pz, e, ids, q, np.random.default_rng(4))
    assert not kept.any()
    # a 0.3 GeV photon is below the ECAL threshold
    px, py, pz, e, ids, q = _particles(1, 22, 0, energy=0.3)
    _, kept = simulate(px, py, pz, e, ids, q, np.random.default_rng(4))
    assert not kept.any()


def test_same_seed_same_response():
    px, py, pz, e, ids, q = _particles(100, 130, 0)
    a, _ = simulate(px, py, pz, e, ids, q, np.random.default_rng(5))
    b, _ = simulate(px, py, pz, e, ids, q, np.random.default_rng(5))
    c, _ = simulate(px, py, pz, e, ids, q, np.random.default_rng(6))
    assert np.array_equal(a["E"], b["E"])
    assert not np.array_equal(a["E"], c["E"])


def test_unknown_parameter_is_named():
    with pytest.raises(KeyError, match="hcal_b"):
        DetectorConfig.from_mapping({"hcal_b": 1.0})
