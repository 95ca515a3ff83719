"""Snakemake script: shower shapes, mean images, timing, training and evaluation plots of
one particle, every generator beside the reference."""

from lhcml.calo.plot_steps import make_plots
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
make_plots(
    particle=snakemake.wildcards.particle,
    inputs=snakemake.input.reference,
    generated=dict(zip(snakemake.params.generators, snakemake.input.generated, strict=True)),
    gan_meta_path=snakemake.input.gan_meta,
    flow_meta_path=snakemake.input.flow_meta,
    metrics_path=snakemake.input.metrics,
    train_fraction=snakemake.params.train_fraction,
    outputs=dict(snakemake.output.items()),
)
