"""What the Snakemake scripts of rules/calo.smk call (free of Snakemake, testable alone)."""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.calo import PARTICLES
from lhcml.calo.io import read_many, subset, write_showers
from lhcml.io import atomic_path, read_json, write_json

log = logging.getLogger("lhcml.calo")


def particle_seed(seed: int, particle: str, *more: int) -> np.random.SeedSequence:
    """Independent, reproducible random streams per (seed, particle, chunk...)."""
    return np.random.SeedSequence([seed, PARTICLES.index(particle), *more])


def simulate_chunk(particle, chunk, n_events, e_range, sim_params, seed, output) -> None:
    """Simulate ``n_events`` showers of chunk ``chunk`` and write them (CaloGAN format)."""
    from lhcml.calo.showersim import SimulatorParams, sample_energies, simulate

    params = SimulatorParams.from_mapping(sim_params)
    rng = np.random.default_rng(particle_seed(seed, particle, int(chunk)))
    start = time.perf_counter()
    energy = sample_energies(rng, n_events, *e_range)
    showers = simulate(particle, energy, rng, params, progress=True)
    seconds = time.perf_counter() - start
    write_showers(output, showers, attrs={"particle": particle, "chunk": int(chunk),
                                          "generator": "lhcml.calo.showersim"})  # fmt: skip
    log.info("%s chunk %s: %d showers in %.1f s (%.2f ms per shower) -> %s", particle, chunk,
             n_events, seconds, 1e3 * seconds / max(n_events, 1), output)  # fmt: skip


def split(showers: dict, train_fraction: float) -> tuple[dict, dict]:
    """(train, test): the first ``train_fraction`` of the showers, and the rest.

    Simulated showers are independent and identically distributed, so the order split is
    unbiased; real files are taken in the order listed.
    """
    n = len(showers["energy"])
    n_train = int(round(train_fraction * n))
    if n_train < 1 or n_train >= n:
        raise ValueError(f"{n} showers cannot be split with train_fraction {train_fraction}")
    return subset(showers, slice(0, n_train)), subset(showers, slice(n_train, n))


def train_gan(particle, inputs, train_fraction, e_range, gan_params, seed, threads,
              model_path, meta_path, flow_params=None, flow_path=None) -> None:  # fmt: skip
    """Train the GAN (cells) and, with ``flow_path``, the layer-energy flow of a particle."""
    from lhcml.calo import energyflow
    from lhcml.calo.gan import GanParams, params_dict, train

    params = GanParams.from_mapping(gan_params)
    train_set, _ = split(read_many(inputs), train_fraction)
    log.info("%s: training the GAN on %d showers", particle, len(train_set["energy"]))
    generator, _, history = train(train_set, params, e_range, seed, threads)
    meta = {
        "particle": particle, "n_train": len(train_set["energy"]), "seed": seed,
        "threads": threads, "energy_range": list(e_range), "params": params_dict(params),
        "history": {k: v for k, v in history.items() if k not in ("epoch_seconds", "train_seconds")},
        "timing": {"epoch_seconds": history["epoch_seconds"],
                   "train_seconds": history["train_seconds"]},
    }  # fmt: skip
    if flow_path is not None:
        fparams = energyflow.FlowParams.from_mapping(flow_params)
        log.info("%s: training the layer-energy flow, %s", particle, fparams)
        flow, fhistory = energyflow.train(train_set, fparams, e_range, seed, threads)
        flow.save(flow_path)
        meta["energy_flow"] = {"params": energyflow.params_dict(fparams), "nll": fhistory["nll"],
                               "train_seconds": fhistory["train_seconds"]}  # fmt: skip
        log.info("%s: flow trained in %.1f s -> %s", particle, fhistory["train_seconds"],
                 flow_path)  # fmt: skip
    with atomic_path(model_path) as tmp:
        generator.save(tmp)
    write_json(meta_path, meta)
    log.info("%s: trained in %.1f s -> %s", particle, history["train_seconds"], model_path)


def load_generator(model_path, seed: int, threads: int = 1):
    from lhcml.tf_setup import import_tensorflow

    _, keras = import_tensorflow(seed=seed, threads=threads)
    return keras.models.load_model(model_path, compile=False, safe_mode=False)


def load_energy_flow(flow_path):
    """The saved layer-energy flow, or None without a path."""
    if flow_path is None:
        return None
    from lhcml.calo.energyflow import LayerEnergyFlow

    return LayerEnergyFlow.load(flow_path)


def generate_showers(particle, generator, meta, test_energy, seed, output,
                     energy_flow=None) -> None:  # fmt: skip
    """GAN showers for the incident energies of the reference test split."""
    from lhcml.calo.gan import generate

    rng = np.random.default_rng(particle_seed(seed, particle, 10**6))
    start = time.perf_counter()
    showers = generate(generator, test_energy, meta["energy_range"],
                       meta["params"]["latent_dim"], rng, energy_flow=energy_flow)  # fmt: skip
    write_showers(output, showers, attrs={"particle": particle, "generator": "lhcml.calo.gan"})
    log.info("%s: %d GAN showers in %.2f s -> %s", particle, len(test_energy),
             time.perf_counter() - start, output)  # fmt: skip


def measure_timing(particle, generator, meta, sim_params, e_range, batch_sizes, repeats, seed,
                   threads, output, energy_flow=None) -> None:  # fmt: skip
    """Seconds per shower of the reference and the GAN per batch size -> timing.json."""
    from lhcml.calo.showersim import SimulatorParams
    from lhcml.calo.timing import time_gan, time_reference, timing_report

    ref = time_reference(particle, SimulatorParams.from_mapping(sim_params), e_range,
                         batch_sizes, seed, repeats)  # fmt: skip
    gan = time_gan(generator, meta["params"]["latent_dim"], e_range, batch_sizes, seed, repeats,
                   energy_flow)  # fmt: skip
    report = timing_report(ref, gan)
    for b in report["reference_seconds_per_shower"]:
        log.info("%s batch %6s: reference %.3g s/shower, GAN %.3g s/shower (x%.0f)", particle, b,
                 ref[b], gan[b], report["speedup"][b])  # fmt: skip
    write_json(output, {"particle": particle, "threads": threads, "timing": report})


def generate_and_time(particle, inputs, model_path, meta_path, train_fraction, sim_params,
                      e_range, batch_sizes, repeats, seed, threads, showers_path,
                      timing_path, flow_path=None) -> None:  # fmt: skip
    """Load the generator (and flow) once: GAN showers for the test split, then the timing."""
    meta = read_json(meta_path)
    _, test = split(read_many(inputs), train_fraction)
    generator = load_generator(model_path, seed, threads)
    flow = load_energy_flow(flow_path)
    generate_showers(particle, generator, meta, test["energy"], seed, showers_path, flow)
    measure_timing(particle, generator, meta, sim_params, e_range, batch_sizes, repeats, seed,
                   threads, timing_path, flow)  # fmt: skip


def validate(particle, inputs, generated_path, meta_path, timing_path, train_fraction,
             classifier, seed, threads, output) -> dict:  # fmt: skip
    """Shower-shape distances, classifier AUCs and timing -> metrics.json."""
    from lhcml.calo.io import read_showers
    from lhcml.calo.showershapes import shower_shapes
    from lhcml.calo.validation import (
        cell_inputs,
        classifier_auc,
        feature_distances,
        high_level_inputs,
        summarise_distances,
        validate_metrics,
    )  # fmt: skip

    _, ref = split(read_many(inputs), train_fraction)
    gen = read_showers(generated_path)
    if not np.array_equal(np.float32(ref["energy"]), np.float32(gen["energy"])):
        raise ValueError(f"{generated_path}: energies do not match the reference test split")
    ref_shapes, gen_shapes = shower_shapes(ref), shower_shapes(gen)
    distances = feature_distances(ref_shapes, gen_shapes)
    kw = {"seed": seed, "threads": threads, **classifier}
    clf = {
        "high_level": classifier_auc(high_level_inputs(ref, ref_shapes),
                                     high_level_inputs(gen, gen_shapes), **kw),
        "cells": classifier_auc(cell_inputs(ref), cell_inputs(gen), **kw),
    }  # fmt: skip
    meta = read_json(meta_path)
    metrics = {
        "particle": particle,
        "n_reference": len(ref["energy"]),
        "n_generated": len(gen["energy"]),
        "shower_shapes": distances,
        "distance_summary": summarise_distances(distances),
        "classifier": clf,
        "training": {"n_train": meta["n_train"], "epochs": meta["params"]["epochs"],
                     "final_wasserstein": meta["history"]["wasserstein"][-1]},
        "timing": read_json(timing_path)["timing"],
    }  # fmt: skip
    validate_metrics(metrics)
    write_json(output, metrics)
    s = metrics["distance_summary"]
    log.info("%s: AUC high-level %.3f +- %.3f, cells %.3f +- %.3f; W1/std worst %.3f (%s), "
             "median %.3f", particle, clf["high_level"]["auc"], clf["high_level"]["auc_err"],
             clf["cells"]["auc"], clf["cells"]["auc_err"], s["worst_w1_over_std"],
             s["worst_feature"], s["median_w1_over_std"])  # fmt: skip
    return metrics


def make_plots(particle, inputs, generated_path, meta_path, metrics_path, train_fraction,
               outputs: dict) -> None:  # fmt: skip
    from lhcml.calo import plots
    from lhcml.calo.io import read_showers
    from lhcml.calo.showershapes import shower_shapes

    _, ref = split(read_many(inputs), train_fraction)
    gen = read_showers(generated_path)
    metrics = read_json(metrics_path)
    meta = read_json(meta_path)
    plots.plot_shower_shapes(particle, shower_shapes(ref), shower_shapes(gen),
                             metrics["shower_shapes"], outputs["shapes_pdf"], outputs["shapes_png"])  # fmt: skip
    plots.plot_mean_images(particle, ref, gen, outputs["images_pdf"], outputs["images_png"])
    plots.plot_timing(particle, metrics["timing"], outputs["timing_pdf"], outputs["timing_png"])
    plots.plot_training(particle, meta["history"], outputs["training_pdf"], outputs["training_png"])
    log.info("%s: plots written", particle)
