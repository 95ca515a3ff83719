"""What the Snakemake scripts of rules/calo.smk call (free of Snakemake, testable alone)."""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.calo import PARTICLES, energyflow, shapeflow
from lhcml.calo.energyflow import LayerEnergyFlow
from lhcml.calo.gan import GanParams, generate, params_dict, train
from lhcml.calo.io import read_many, subset, write_showers
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
