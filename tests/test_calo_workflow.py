"""The CaloGAN branch of the DAG on config/ci.yaml: files, metrics, plots, summary."""

import subprocess

import numpy as np
import pytest
import yaml

from lhcml.calo.energyflow import LayerEnergyFlow
from lhcml.calo.geometry import LAYER_SHAPES
from lhcml.calo.io import read_showers, write_showers
from lhcml.calo.showershapes import FEATURES
from lhcml.calo.showersim import SimulatorParams, simulate
from lhcml.calo.validation import validate_metrics
from lhcml.io import read_json

from conftest import ROOT, snakemake_command

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())["calo"]
PARTICLES = CI["particles"]


@pytest.mark.parametrize("generator", CI["generators"])
@pytest.mark.parametrize("particle", PARTICLES)
def test_reference_and_generated_files(ci_run, particle, generator):
    ref = read_showers(ci_run / "results" / "calo" / "reference" / particle / "0.h5")
    gen = read_showers(ci_run / "results" / "calo" / particle / generator / "generated.h5")
    assert len(ref["energy"]) == CI["events"]
    n_test = CI["events"] - round(CI["train_fraction"] * CI["events"])
    assert len(gen["energy"]) == n_test
    assert np.allclose(gen["energy"], ref["energy"][-n_test:])
    assert ref["energy"].min() >= CI["energy_min"]
    assert ref["energy"].max() <= CI["energy_max"]
    for i, shape in enumerate(LAYER_SHAPES):
        assert gen[f"layer_{i}"].shape == (n_test, *shape)
        assert np.all(gen[f"layer_{i}"] >= 0)


@pytest.mark.parametrize("particle", PARTICLES)
def test_metrics_have_every_field(ci_run, particle):
    metrics = validate_metrics(read_json(ci_run / "results" / "calo" / particle / "metrics.json"))
    assert metrics["particle"] == particle
    assert set(metrics["generators"]) == set(CI["generators"])
    for entry in metrics["generators"].values():
        assert set(entry["shower_shapes"]) == set(FEATURES)
        for name in ("high_level", "cells"):
            clf = entry["classifier"][name]
            assert 0 <= clf["auc"] <= 1
            assert clf["auc_err"] >= 0
            assert clf["n_test"] > 0
            assert clf["jsd"] <= np.log(2) + 1e-9
        powers = [d["separation_power"] for d in entry["shower_shapes"].values()]
        assert all(0 <= p <= 1 for p in powers)
        assert entry["worst_separation_power"][0][1] == max(powers)
        timing = entry["timing"]
        assert timing["batch_sizes"] == CI["timing"]["batch_sizes"]
        for b in timing["batch_sizes"]:
            assert timing["reference_seconds_per_shower"][str(b)] > 0
            assert timing["generator_seconds_per_shower"][str(b)] > 0
        assert entry["training"]["train_seconds"] > 0
    shape_meta = read_json(ci_run / "results" / "models" / "calo" / particle / "shape_flow.json")
    assert len(shape_meta["history"]["nll"]) == CI["shape_flow"]["epochs"]
    meta = read_json(ci_run / "results" / "models" / "calo" / particle / "meta.json")
    assert len(meta["history"]["critic_loss"]) == CI["gan"]["epochs"]
    # the layer-energy flow: trained by likelihood (the NLL falls), saved beside the GAN
    nll = meta["energy_flow"]["nll"]
    assert len(nll) == CI["energy_flow"]["epochs"], nll
    assert nll[-1] < nll[0], nll
    flow = LayerEnergyFlow.load(
        ci_run / "results" / "models" / "calo" / particle / "energy_flow.npz"
    )
    sample = flow.sample(np.full(200, 50.0), np.random.default_rng(1))
    assert sample.shape == (200, 3)
    assert np.all(sample >= 0)
    assert 0.05 < np.median(sample.sum(axis=1)) / 50.0 < 1.5  # e+ ~1, pi+ ~0.35 (leakage)
    assert (
        ci_run / "results" / "models" / "calo" / particle / "generator.keras"
    ).stat().st_size > 0
    for plot in ("shower_shapes", "mean_images", "timing", "training", "metrics"):
        for ext in ("pdf", "png"):
            assert (ci_run / "results" / "plots" / "calo" / particle / f"{plot}.{ext}").exists()


def test_summary_has_calo_without_timings(ci_run):
    summary = read_json(ci_run / "results" / "summary.json")
    calo = summary["stages"]["calo"]
    assert set(calo) == set(PARTICLES)
    for particle in PARTICLES:
        assert "timing" not in calo[particle]
        for entry in calo[particle]["generators"].values():
            assert "timing" not in entry
            assert "auc" in entry["classifier"]["cells"]


def test_caloGAN_files_replace_the_simulation(tmp_path):
    """With calo.files for a particle, its showers come from those files (no simulation)."""

    real = tmp_path / "eplus.hdf5"
    rng = np.random.default_rng(1)
    write_showers(
        real, simulate("eplus", rng.uniform(1, 100, 20), rng, SimulatorParams.from_mapping(None))
    )
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    config["calo"]["files"] = {"eplus": [str(real)]}
    config["samples"] = str(ROOT / "config" / "ci-samples.yaml")  # this copy lives elsewhere
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    # the target first: --quiet takes several values
    cmd = snakemake_command(tmp_path, "calo", "-n", "--quiet", "rules", config=path, cores=None)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = dict(
        line.split()[:2]
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.startswith("calo") and len(line.split()) == 2
    )
    # both particles are trained, only piplus (one chunk on ci.yaml) is simulated
    assert counts["calo_train"] == "2", counts
    assert counts["calo_simulate"] == "1", counts
