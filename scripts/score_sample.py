"""Snakemake script: score one sample's feature table with a trained tagger."""

from lhcml.logs import log_to_file
from lhcml.taggers.workflow import score_splits

log_to_file(snakemake.log[0])
score_splits(
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    feature_paths={"sample": snakemake.input.features},
    output_paths={"sample": snakemake.output.scores},
    threads=snakemake.threads,
)
