"""Fast calorimeter simulation: time per shower of the trained GAN and its layer-energy flow
(``make run``'s results/models/calo/{particle}/generator.keras and energy_flow.npz) vs the
reference shower simulator, per
particle and batch size (``calo.timing.batch_sizes``), TensorFlow with ``calo.threads``.

The timing functions are the ones of the calo_generate rule (:mod:`lhcml.calo.timing`: one
untimed warm-up, wall time divided by the batch; the GAN time includes the latent sampling,
the decoding to GeV and the flow's layer energies). Here every batch size, the large ones included, is timed in
``--repeats`` independent runs and the median kept."""

from __future__ import annotations

import os
import statistics

import yaml
from common import table

from lhcml.calo.showersim import SimulatorParams
from lhcml.calo.timing import time_gan, time_reference
from lhcml.calo.workflow import load_energy_flow, load_generator
from lhcml.io import read_json

TITLE = "Calorimeter showers: GAN vs reference simulator"


def medians(timer, repeats: int) -> dict[str, float]:
    """{batch: median over ``repeats`` runs of ``timer(run_index)``'s seconds per shower}."""
    runs = [timer(r) for r in range(repeats)]
    return {b: statistics.median(run[b] for run in runs) for b in runs[0]}


def bench_particle(particle, generator, latent_dim, sim, e_range, batch_sizes, seed, repeats,
                   flow=None):  # fmt: skip
    """One table row per batch size: median seconds per shower of both, and the speed-up."""
    ref = medians(lambda r: time_reference(particle, sim, e_range, batch_sizes, seed + r, 1),
                  repeats)  # fmt: skip
    gan = medians(lambda r: time_gan(generator, latent_dim, e_range, batch_sizes, seed + r, 1,
                                     flow), repeats)  # fmt: skip
    return [
        {"particle": particle, "batch": int(b), "reference_seconds_per_shower": ref[b],
         "gan_seconds_per_shower": gan[b], "speedup": ref[b] / gan[b]}
        for b in ref
    ]  # fmt: skip


def run(args) -> dict | None:
    with open(args.config) as f:
        cfg = yaml.safe_load(f).get("calo", {})
    models_dir = os.path.join(args.results, "models", "calo")
    particles = [
        p
        for p in cfg.get("particles", [])
        if os.path.exists(os.path.join(models_dir, p, "generator.keras"))
        and os.path.exists(os.path.join(models_dir, p, "meta.json"))
    ]
    if not particles:
        return None
    batch_sizes = cfg.get("timing", {}).get("batch_sizes", [1, 100, 10000])
    e_range = [cfg.get("energy_min", 1.0), cfg.get("energy_max", 100.0)]
    sim = SimulatorParams.from_mapping(cfg.get("simulator", {}))
    seed, threads = cfg.get("seed", 0), cfg.get("threads", 1)

    rows = []
    for particle in particles:
        meta = read_json(os.path.join(models_dir, particle, "meta.json"))
        generator = load_generator(os.path.join(models_dir, particle, "generator.keras"),
                                   seed, threads)  # fmt: skip
        flow_path = os.path.join(models_dir, particle, "energy_flow.npz")
        flow = load_energy_flow(flow_path if os.path.exists(flow_path) else None)
        rows += bench_particle(particle, generator, meta["params"]["latent_dim"], sim, e_range,
                               batch_sizes, seed, args.repeats, flow)  # fmt: skip
    import tensorflow as tf  # configured by load_generator (the first set-up in a process wins)

    threads = tf.config.threading.get_intra_op_parallelism_threads()
    result = {"threads": threads, "energy_range_gev": e_range, "rows": rows}
    lines = [
        f"Incident energies uniform in {e_range[0]:g}-{e_range[1]:g} GeV; GAN on TensorFlow "
        f"with {threads} thread(s), the simulator single-threaded NumPy; time per shower = wall "
        f"time of a batch / batch size, medians of {args.repeats} runs per batch size.",
        "",
        *table(
            ["particle", "batch", "reference ms/shower", "GAN + flow ms/shower", "speed-up"],
            [
                [
                    r["particle"],
                    r["batch"],
                    1e3 * r["reference_seconds_per_shower"],
                    1e3 * r["gan_seconds_per_shower"],
                    r["speedup"],
                ]
                for r in rows
            ],
        ),
    ]
    return {"title": TITLE, "results": result, "lines": lines}
