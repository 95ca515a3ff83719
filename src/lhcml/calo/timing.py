"""Time per shower of the reference simulator and of a generator, per batch size, same machine.

Each measurement simulates (or generates) ``batch`` showers with incident energies uniform
in the configured range and divides the wall time (``time.perf_counter``) by ``batch``;
batches below 1000 showers are repeated and the median is kept. Each measurement follows
an untimed call: of one shower for the simulator, of the same batch size for a generator
(the shape flow's sampling is compiled by XLA once per batch size). The GAN time includes
the latent sampling, the decoding of the cells to GeV and the layer energies of the flow;
it runs with the rule's thread count, as does the (single-threaded, NumPy) simulator.
These are wall-clock numbers: they live in the ``timing`` section of the metrics, which
results/summary.json leaves out.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.calo.gan import generate
from lhcml.calo.showersim import simulate

log = logging.getLogger("lhcml.calo.timing")


def _repeats(batch: int, repeats: int) -> int:
    return repeats if batch < 1000 else 1


def time_per_shower(
    run, batch_sizes, repeats: int = 5, warm_up_each: bool = False
) -> dict[str, float]:
    """{str(batch): median seconds per shower of ``run(batch)``} after one untimed
    ``run(1)``, or with ``warm_up_each`` one untimed ``run(batch)`` before each batch size
    (for samplers compiled once per batch size, as the shape flow's)."""
    if not warm_up_each:
        run(1)
    out = {}
    for batch in batch_sizes:
        if warm_up_each:
            run(batch)
        times = []
        for _ in range(_repeats(batch, repeats)):
            start = time.perf_counter()
            run(batch)
            times.append((time.perf_counter() - start) / batch)
        out[str(batch)] = float(np.median(times))
    return out


def time_reference(particle, params, e_range, batch_sizes, seed: int, repeats: int = 5) -> dict:

    rng = np.random.default_rng(seed)
    return time_per_shower(
        lambda b: simulate(particle, rng.uniform(*e_range, b), rng, params), batch_sizes, repeats
    )


def time_gan(
    generator, latent_dim, e_range, batch_sizes, seed: int, repeats: int = 5, energy_flow=None
) -> dict:
    """Seconds per shower of :func:`lhcml.calo.gan.generate` (with the energy flow if given)."""

    rng = np.random.default_rng(seed)
    return time_per_shower(
        lambda b: generate(
            generator, rng.uniform(*e_range, b), e_range, latent_dim, rng, energy_flow=energy_flow
        ),
        batch_sizes,
        repeats,
    )


def time_sampler(sample, e_range, batch_sizes, seed: int, repeats: int = 5) -> dict:
    """Seconds per shower of ``sample(energy, rng)`` (any generator of the branch)."""
    rng = np.random.default_rng(seed)
    return time_per_shower(
        lambda b: sample(rng.uniform(*e_range, b), rng), batch_sizes, repeats, warm_up_each=True
    )


def timing_report(reference: dict, generated: dict) -> dict:
    """The ``timing`` section: seconds per shower of the reference simulator and of a
    generator, and the generator's speed-up."""
    return {
        "batch_sizes": [int(b) for b in reference],
        "reference_seconds_per_shower": reference,
        "generator_seconds_per_shower": generated,
        "speedup": {b: reference[b] / generated[b] for b in reference},
    }
