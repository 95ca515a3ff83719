"""Snakemake script: the xgboost trigger BDT, converted with conifer and emulated in C++."""

from lhcml.logs import log_to_file
from lhcml.trigger.bdt_steps import run_bdt

log_to_file(snakemake.log[0])
run_bdt(
    train_path=snakemake.input.train,
    test_path=snakemake.input.test,
    float_meta_path=snakemake.input.float_meta,
    model_path=snakemake.output.model,
    project_dir=snakemake.output.project,
    scores_path=snakemake.output.scores,
    result_path=snakemake.output.result,
    params=snakemake.params.bdt,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
)
