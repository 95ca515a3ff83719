"""Snakemake script: hls4ml conversion, compile() and emulation of one trigger model."""

from lhcml.logs import log_to_file
from lhcml.trigger.workflow import run_hls

log_to_file(snakemake.log[0])
run_hls(
    name=snakemake.wildcards.tmodel,
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    test_path=snakemake.input.test,
    precision_path=snakemake.input.get("precision"),
    project_dir=snakemake.output.project,
    scores_path=snakemake.output.scores,
    result_path=snakemake.output.result,
    hls_params=snakemake.params.hls,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
)
