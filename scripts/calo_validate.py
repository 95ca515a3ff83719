"""Snakemake script: shower-shape distances, classifier AUCs and timing -> metrics.json."""

from lhcml.calo.workflow import validate
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
validate(
    particle=snakemake.wildcards.particle,
    inputs=snakemake.input.reference,
    generated_path=snakemake.input.generated,
    meta_path=snakemake.input.meta,
    timing_path=snakemake.input.timing,
    train_fraction=snakemake.params.train_fraction,
    classifier=snakemake.params.classifier,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    output=snakemake.output.metrics,
)
