"""Snakemake script: shower shapes, mean images, timing and training plots of one particle."""

from lhcml.calo.workflow import make_plots
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
make_plots(
    particle=snakemake.wildcards.particle,
    inputs=snakemake.input.reference,
    generated_path=snakemake.input.generated,
    meta_path=snakemake.input.meta,
    metrics_path=snakemake.input.metrics,
    train_fraction=snakemake.params.train_fraction,
    outputs=dict(snakemake.output.items()),
)
