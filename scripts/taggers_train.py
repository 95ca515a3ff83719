"""Snakemake script: train one tagger, write its model and meta.json (see lhcml.taggers)."""

from lhcml.logs import log_to_file
from lhcml.taggers.workflow import train_and_save

log_to_file(snakemake.log[0])
train_and_save(
    tagger=snakemake.params.tagger,
    train_path=snakemake.input.train,
    val_path=snakemake.input.val,
    model_path=snakemake.output.model,
    meta_path=snakemake.output.meta,
    features=snakemake.params.features,
    params=snakemake.params.hyper,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
)
