"""Snakemake script: one generator's showers for the reference test split's energies, and
the time per shower of the reference simulator and the generator per batch size
(lhcml.calo.workflow)."""

from lhcml.calo.workflow import generate_and_time
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
generate_and_time(
    particle=snakemake.wildcards.particle,
    generator=snakemake.wildcards.generator,
    inputs=snakemake.input.reference,
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    train_fraction=snakemake.params.train_fraction,
    sim_params=snakemake.params.simulator,
    e_range=snakemake.params.e_range,
    batch_sizes=snakemake.params.batch_sizes,
    repeats=snakemake.params.repeats,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    showers_path=snakemake.output.showers,
    timing_path=snakemake.output.timing,
    flow_path=snakemake.input.flow,
)
