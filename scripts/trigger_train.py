"""Snakemake script: train one trigger model (float / QKeras, maybe pruned)."""

from lhcml.logs import log_to_file
from lhcml.trigger.workflow import train_model

log_to_file(snakemake.log[0])
train_model(
    name=snakemake.wildcards.tmodel,
    train_path=snakemake.input.train,
    val_path=snakemake.input.val,
    test_path=snakemake.input.test,
    model_path=snakemake.output.model,
    meta_path=snakemake.output.meta,
    scores_path=snakemake.output.scores,
    network=snakemake.params.network,
    quantisation=snakemake.params.quantisation,
    pruning_params=snakemake.params.pruning,
    clip=snakemake.params.clip,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
)
