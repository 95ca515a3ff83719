"""Snakemake script: data vs simulation stacks (see lhcml.datamc)."""

from pathlib import Path

from lhcml.datamc_plots import plot_data_vs_simulation
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
samples = snakemake.params.samples
taggers = snakemake.params.taggers
scores = iter(snakemake.input.scores)  # expand order: tagger, then sample
plot_data_vs_simulation(
    features=dict(zip(samples, snakemake.input.features, strict=True)),
    scores={t: {s: next(scores) for s in samples} for t in taggers},
    data_samples=snakemake.params.data,
    data_lumi_fb=snakemake.params.data_lumi_fb,
    lumi_fb=snakemake.params.lumi_fb,
    test_fraction=snakemake.params.test_fraction,
    working_points=snakemake.params.working_points,
    test_split_only=snakemake.params.test_split_only,
    out_dir=Path(snakemake.output.png[0]).parent,
)
