"""Snakemake script: the chosen design's emulated L1 decision for the analysis's test and template jets."""

from lhcml.logs import log_to_file
from lhcml.trigger.workflow import run_decisions

log_to_file(snakemake.log[0])
run_decisions(
    feature_paths=dict(zip(snakemake.params.splits, snakemake.input.features, strict=True)),
    skim_paths=dict(zip(snakemake.params.samples, snakemake.input.skims, strict=True)),
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    train_path=snakemake.input.train,
    trigger_test_path=snakemake.input.trigger_test,
    scan_path=snakemake.input.scan,
    scan_scores=list(snakemake.input.scan_scores),
    l1_path=snakemake.input.l1,
    grooming=snakemake.params.grooming,
    hls_params=snakemake.params.hls,
    profile_jets=snakemake.params.profile_jets,
    work_dir=snakemake.params.work_dir,
    output=snakemake.output.decisions,
    summary_path=snakemake.output.summary,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
)
