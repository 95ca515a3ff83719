"""Snakemake script: convert, compile and emulate one group of design points of the scan."""

from lhcml.logs import log_to_file
from lhcml.trigger.scan_steps import run_scan_group

log_to_file(snakemake.log[0])
run_scan_group(
    points=snakemake.params.points,
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    train_path=snakemake.input.train,
    test_path=snakemake.input.test,
    work_dir=snakemake.params.work_dir,
    result_path=snakemake.output.result,
    scores_path=snakemake.output.scores,
    hls_params=snakemake.params.hls,
    profile_jets=snakemake.params.profile_jets,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
)
