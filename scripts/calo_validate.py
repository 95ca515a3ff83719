"""Snakemake script: the CaloChallenge evaluation of every generator of a particle
(shower shapes, separation powers, classifier AUCs and JSDs, timing) -> metrics.json."""

from lhcml.calo.validation_steps import validate
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
generators = snakemake.params.generators
validate(
    particle=snakemake.wildcards.particle,
    inputs=snakemake.input.reference,
    generated=dict(zip(generators, snakemake.input.generated, strict=True)),
    metas=dict(zip(generators, snakemake.input.meta, strict=True)),
    timings=dict(zip(generators, snakemake.input.timing, strict=True)),
    train_fraction=snakemake.params.train_fraction,
    classifier=snakemake.params.classifier,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    output=snakemake.output.metrics,
)
