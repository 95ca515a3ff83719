"""Snakemake script: simulate one chunk of reference showers (see lhcml.calo.showersim)."""

from lhcml.calo.workflow import simulate_chunk
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
simulate_chunk(
    particle=snakemake.wildcards.particle,
    chunk=snakemake.wildcards.chunk,
    n_events=snakemake.params.n_events,
    e_range=snakemake.params.e_range,
    sim_params=snakemake.params.simulator,
    seed=snakemake.params.seed,
    output=snakemake.output.showers,
)
