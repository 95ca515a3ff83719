"""Snakemake script: merge the scan groups, Pareto front, chosen design, Pareto plot."""

import os

from lhcml.logs import log_to_file
from lhcml.trigger.plot_steps import summarise_scan

log_to_file(snakemake.log[0])
summarise_scan(
    test_path=snakemake.input.test,
    float_meta_path=snakemake.input.float_meta,
    float_scores_path=snakemake.input.float_scores,
    group_results=list(snakemake.input.results),
    group_scores=list(snakemake.input.scores),
    choice=snakemake.params.choice,
    output=snakemake.output.summary,
    table_path=snakemake.output.table,
    plot_base=os.path.splitext(snakemake.output.pdf)[0],
    metrics_path=snakemake.input.metrics,
)
