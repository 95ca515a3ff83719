"""Snakemake script: the template split with JES-shifted jets, rescored by one tagger."""

from lhcml.inference.jes import shifted_scores
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
shifted_scores(
    tagger=snakemake.wildcards.fittagger,
    models_dir=snakemake.params.models_dir,
    features_path=snakemake.input.features,
    scale=snakemake.params.scale,
    out_features=snakemake.output.features,
    out_scores=snakemake.output.scores,
    threads=snakemake.threads,
)
