"""Snakemake script: results/summary.json (see lhcml.summary)."""

from lhcml.io import write_json
from lhcml.logs import log_to_file
from lhcml.summary import build_summary

log_to_file(snakemake.log[0])
stage_files = {stage: list(snakemake.input[stage]) for stage in snakemake.params.stages}
summary = build_summary(stage_files, dict(snakemake.params.config))
summary["benchmarks_csv"] = snakemake.input.benchmarks
write_json(snakemake.output[0], summary)
