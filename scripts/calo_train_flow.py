"""Snakemake script: train the shower-shape flow (lhcml.calo.shapeflow) of one particle."""

from lhcml.calo.workflow import train_shape_flow
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
train_shape_flow(
    particle=snakemake.wildcards.particle,
    inputs=snakemake.input.reference,
    train_fraction=snakemake.params.train_fraction,
    e_range=snakemake.params.e_range,
    params=snakemake.params.shape_flow,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    model_path=snakemake.output.model,
    meta_path=snakemake.output.meta,
)
