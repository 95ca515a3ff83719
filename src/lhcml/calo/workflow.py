"""What the Snakemake scripts of rules/calo.smk call (free of Snakemake, testable alone)."""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.calo import PARTICLES, energyflow, shapeflow
from lhcml.calo.energyflow import LayerEnergyFlow
from lhcml.calo.gan import GanParams, generate, params_dict, train
from lhcml.calo.io import read_many, read_showers, subset, write_showers
from lhcml.calo.showershapes import shower_shapes
from lhcml.calo.showersim import SimulatorParams, sample_energies, simulate
from lhcml.calo.timing import time_reference, time_sampler, timing_report
from lhcml.io import atomic_path, read_json, write_json
from lhcml.tf_setup import import_tensorflow

log = logging.getLogger("lhcml.calo")


def particle_seed(seed: int, particle: str, *more: int) -> np.random.SeedSequence:
    """Independent, reproducible random streams per (seed, particle, chunk...)."""
    return np.random.SeedSequence([seed, PARTICLES.index(particle), *more])


def simulate_chunk(particle, chunk, n_events, e_range, sim_params, seed, output) -> None:
    """Simulate ``n_events`` showers of chunk ``chunk`` and write them (CaloGAN format)."""

    params = SimulatorParams.from_mapping(sim_params)
    rng = np.random.default_rng(particle_seed(seed, particle, int(chunk)))
    start = time.perf_counter()
    energy = sample_energies(rng, n_events, *e_range)
    showers = simulate(particle, energy, rng, params, progress=True)
    seconds = time.perf_counter() - start
    write_showers(
        output,
        showers,
        attrs={"particle": particle, "chunk": int(chunk), "generator": "lhcml.calo.showersim"},
    )
    log.info(
        "%s chunk %s: %d showers in %.1f s (%.2f ms per shower) -> %s",
        particle,
        chunk,
        n_events,
        seconds,
        1e3 * seconds / max(n_events, 1),
        output,
    )


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


def train_gan(
    particle,
    inputs,
    train_fraction,
    e_range,
    gan_params,
    seed,
    threads,
    model_path,
    meta_path,
    flow_params=None,
    flow_path=None,
) -> None:
    """Train the GAN (cells) and, with ``flow_path``, the layer-energy flow of a particle."""

    params = GanParams.from_mapping(gan_params)
    train_set, _ = split(read_many(inputs), train_fraction)
    log.info("%s: training the GAN on %d showers", particle, len(train_set["energy"]))
    generator, _, history = train(train_set, params, e_range, seed, threads)
    meta = {
        "particle": particle,
        "n_train": len(train_set["energy"]),
        "seed": seed,
        "threads": threads,
        "energy_range": list(e_range),
        "params": params_dict(params),
        "history": {
            k: v for k, v in history.items() if k not in ("epoch_seconds", "train_seconds")
        },
        "timing": {
            "epoch_seconds": history["epoch_seconds"],
            "train_seconds": history["train_seconds"],
        },
    }
    if flow_path is not None:
        fparams = energyflow.FlowParams.from_mapping(flow_params)
        log.info("%s: training the layer-energy flow, %s", particle, fparams)
        flow, fhistory = energyflow.train(train_set, fparams, e_range, seed, threads)
        flow.save(flow_path)
        meta["energy_flow"] = {
            "params": energyflow.params_dict(fparams),
            "nll": fhistory["nll"],
            "train_seconds": fhistory["train_seconds"],
        }
        log.info("%s: flow trained in %.1f s -> %s", particle, fhistory["train_seconds"], flow_path)
    with atomic_path(model_path) as tmp:
        generator.save(tmp)
    write_json(meta_path, meta)
    log.info("%s: trained in %.1f s -> %s", particle, history["train_seconds"], model_path)


def train_shape_flow(
    particle, inputs, train_fraction, e_range, params, seed, threads, model_path, meta_path
) -> None:
    """Train the shower-shape flow of a particle (:mod:`lhcml.calo.shapeflow`)."""

    fparams = shapeflow.ShapeFlowParams.from_mapping(params)
    train_set, _ = split(read_many(inputs), train_fraction)
    log.info(
        "%s: training the shape flow on %d showers, %s", particle, len(train_set["energy"]), fparams
    )
    flow, history = shapeflow.train(train_set, fparams, e_range, seed, threads)
    flow.save(model_path)
    write_json(
        meta_path,
        {
            "particle": particle,
            "n_train": len(train_set["energy"]),
            "seed": seed,
            "threads": threads,
            "energy_range": list(e_range),
            "params": shapeflow.params_dict(fparams),
            "history": {"nll": history["nll"]},
            "timing": {
                "epoch_seconds": history["epoch_seconds"],
                "train_seconds": history["train_seconds"],
            },
        },
    )
    log.info(
        "%s: shape flow trained in %.1f s -> %s", particle, history["train_seconds"], model_path
    )


def load_generator(model_path, seed: int, threads: int = 1):

    _, keras = import_tensorflow(seed=seed, threads=threads)
    return keras.models.load_model(model_path, compile=False, safe_mode=False)


def load_energy_flow(flow_path):
    """The saved layer-energy flow, or None without a path."""
    if flow_path is None:
        return None

    return LayerEnergyFlow.load(flow_path)


#: The generators of the branch: the GAN (cells; layer energies from the energy flow) and
#: the shape flow (layer-normalised cells; layer energies from the energy flow).
GENERATORS: tuple[str, ...] = ("gan", "flow")


def load_sampler(generator, model_path, meta_path, flow_path, seed: int, threads: int = 1):
    """``sample(energy, rng) -> showers`` of a saved generator (``gan`` or ``flow``)."""

    import_tensorflow(seed=seed, threads=threads)
    meta = read_json(meta_path)
    energy_flow = load_energy_flow(flow_path)
    if generator == "gan":
        gan = load_generator(model_path, seed, threads)
        latent = meta["params"]["latent_dim"]
        return lambda energy, rng: generate(
            gan, energy, meta["energy_range"], latent, rng, energy_flow=energy_flow
        )
    if generator == "flow":
        if energy_flow is None:
            raise ValueError("the shape flow needs the layer-energy flow (flow_path)")
        flow = shapeflow.ShapeFlow.load(model_path)
        return lambda energy, rng: shapeflow.generate(flow, energy_flow, energy, rng)
    raise ValueError(f"unknown calo generator {generator!r}; known: {GENERATORS}")


def generate_and_time(
    particle,
    generator,
    inputs,
    model_path,
    meta_path,
    train_fraction,
    sim_params,
    e_range,
    batch_sizes,
    repeats,
    seed,
    threads,
    showers_path,
    timing_path,
    flow_path=None,
) -> None:
    """Load a generator once: its showers for the test split's energies, then the time per
    shower of the reference simulator and of the generator per batch size."""

    _, test = split(read_many(inputs), train_fraction)
    sample = load_sampler(generator, model_path, meta_path, flow_path, seed, threads)
    rng = np.random.default_rng(particle_seed(seed, particle, 10**6))
    start = time.perf_counter()
    showers = sample(test["energy"], rng)
    write_showers(showers_path, showers, attrs={"particle": particle, "generator": generator})
    log.info(
        "%s: %d %s showers in %.2f s -> %s",
        particle,
        len(test["energy"]),
        generator,
        time.perf_counter() - start,
        showers_path,
    )
    ref = time_reference(
        particle, SimulatorParams.from_mapping(sim_params), e_range, batch_sizes, seed, repeats
    )
    gen = time_sampler(sample, e_range, batch_sizes, seed, repeats)
    report = timing_report(ref, gen)
    for b in report["reference_seconds_per_shower"]:
        log.info(
            "%s batch %6s: reference %.3g s/shower, %s %.3g s/shower (x%.0f)",
            particle,
            b,
            ref[b],
            generator,
            gen[b],
            report["speedup"][b],
        )
    write_json(
        timing_path,
        {"particle": particle, "generator": generator, "threads": threads, "timing": report},
    )


def evaluate_generator(ref, ref_shapes, gen, classifier_params, seed, threads) -> dict:
    """Shower-shape distances and separation powers, and the two classifier tests."""
    from lhcml.calo.validation import (
        cell_inputs,
        classifier_auc,
        feature_distances,
        high_level_inputs,
        separation_powers,
        summarise_distances,
        worst,
    )

    gen_shapes = shower_shapes(gen)
    distances = feature_distances(ref_shapes, gen_shapes)
    powers = separation_powers(ref_shapes, gen_shapes)
    for f, d in distances.items():
        d["separation_power"] = powers[f]
    clf = {
        "high_level": classifier_auc(
            high_level_inputs(ref, ref_shapes),
            high_level_inputs(gen, gen_shapes),
            classifier_params,
            seed,
            threads,
        ),
        "cells": classifier_auc(
            cell_inputs(ref), cell_inputs(gen), classifier_params, seed, threads, standardise=False
        ),
    }
    return {
        "n_generated": len(gen["energy"]),
        "shower_shapes": distances,
        "distance_summary": summarise_distances(distances),
        "worst_separation_power": worst(powers),
        "classifier": clf,
    }


def validate(
    particle,
    inputs,
    generated: dict,
    metas: dict,
    timings: dict,
    train_fraction,
    classifier,
    seed,
    threads,
    output,
) -> dict:
    """Every generator of ``generated`` ({name: showers file}) against the reference test
    split: shower shapes, separation powers, classifier AUCs and JSDs, training time and
    time per shower -> metrics.json."""
    from lhcml.calo.validation import ClassifierParams, validate_metrics

    params = ClassifierParams.from_mapping(classifier)
    _, ref = split(read_many(inputs), train_fraction)
    ref_shapes = shower_shapes(ref)
    metrics = {"particle": particle, "n_reference": len(ref["energy"]), "generators": {}}
    for name, path in generated.items():
        gen = read_showers(path)
        if not np.array_equal(np.float32(ref["energy"]), np.float32(gen["energy"])):
            raise ValueError(f"{path}: energies do not match the reference test split")
        entry = evaluate_generator(ref, ref_shapes, gen, params, seed, threads)
        meta = read_json(metas[name])
        entry["training"] = {
            "n_train": meta["n_train"],
            "epochs": meta["params"]["epochs"],
            "train_seconds": meta["timing"]["train_seconds"],
        }
        entry["timing"] = read_json(timings[name])["timing"]
        metrics["generators"][name] = entry
        clf, w = entry["classifier"], entry["worst_separation_power"]
        log.info(
            "%s %s: AUC high-level %.3f +- %.3f (JSD %.3f), cells %.3f +- %.3f (JSD %.3f); "
            "worst separation powers %s",
            particle,
            name,
            clf["high_level"]["auc"],
            clf["high_level"]["auc_err"],
            clf["high_level"]["jsd"],
            clf["cells"]["auc"],
            clf["cells"]["auc_err"],
            clf["cells"]["jsd"],
            ", ".join(f"{f} {v:.3f}" for f, v in w),
        )
    validate_metrics(metrics)
    write_json(output, metrics)
    return metrics


def make_plots(
    particle,
    inputs,
    generated: dict,
    gan_meta_path,
    flow_meta_path,
    metrics_path,
    train_fraction,
    outputs: dict,
) -> None:
    from lhcml.calo import plots

    _, ref = split(read_many(inputs), train_fraction)
    gens = {name: read_showers(path) for name, path in generated.items()}
    metrics = read_json(metrics_path)["generators"]
    plots.plot_shower_shapes(
        particle,
        shower_shapes(ref),
        {n: shower_shapes(g) for n, g in gens.items()},
        metrics,
        outputs["shapes_pdf"],
        outputs["shapes_png"],
    )
    plots.plot_mean_images(particle, ref, gens, outputs["images_pdf"], outputs["images_png"])
    plots.plot_timing(
        particle,
        {n: m["timing"] for n, m in metrics.items()},
        outputs["timing_pdf"],
        outputs["timing_png"],
    )
    plots.plot_training(
        particle,
        read_json(gan_meta_path)["history"],
        read_json(flow_meta_path)["history"],
        outputs["training_pdf"],
        outputs["training_png"],
    )
    plots.plot_metrics(particle, metrics, outputs["metrics_pdf"], outputs["metrics_png"])
    log.info("%s: plots written", particle)
