"""Snakemake script: generate one chunk of a sample (see lhcml.generate.chunk)."""

from lhcml.generate.chunk import generate_chunk
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
sample = snakemake.params.sample
generate_chunk(
    process=sample["process"],
    n_events=snakemake.params.n_events,
    chunk=int(snakemake.wildcards.chunk),
    master_seed=snakemake.params.master_seed,
    sample_seed=sample["seed"],
    pthat_min=sample["pthat_min"],
    mpi=sample["mpi"],
    ecm=snakemake.params.generator["ecm"],
    extra_settings=snakemake.params.generator["extra_settings"],
    detector=snakemake.params.detector,
    reconstruction=snakemake.params.reconstruction,
    out_root=snakemake.output.events,
    out_meta=snakemake.output.meta,
)
