"""Snakemake script: merge and split the trigger data set (lhcml.trigger)."""

from lhcml.logs import log_to_file
from lhcml.trigger.workflow import build_dataset

log_to_file(snakemake.log[0])
build_dataset(
    feature_paths=list(snakemake.input.features),
    fractions=snakemake.params.split,
    seed=snakemake.params.seed,
    outputs={s: snakemake.output[s] for s in ("train", "val", "test")},
    summary_path=snakemake.output.summary,
)
