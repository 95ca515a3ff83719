"""Snakemake script: apply a trained tagger to every split, write score tables."""

from lhcml.logs import log_to_file
from lhcml.tables import SPLITS
from lhcml.taggers.workflow import score_splits

log_to_file(snakemake.log[0])
score_splits(
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    feature_paths={s: snakemake.input[s] for s in SPLITS},
    output_paths={s: snakemake.output[s] for s in SPLITS},
    threads=snakemake.threads,
)
