"""Snakemake script: L1 rate and W/Z efficiency at the target rate of every design."""

import os

from lhcml.logs import log_to_file
from lhcml.trigger.plot_steps import run_l1

log_to_file(snakemake.log[0])
run_l1(
    test_path=snakemake.input.test,
    skim_path=snakemake.input.skim,
    cutflow_path=snakemake.input.cutflow,
    scan_path=snakemake.input.scan,
    scan_scores=list(snakemake.input.scan_scores),
    float_scores=snakemake.input.float_scores,
    bdt_scores=snakemake.input.bdt_scores,
    classes=snakemake.params.classes,
    params=snakemake.params.l1,
    output=snakemake.output.l1,
    curves_path=snakemake.output.curves,
    plot_base=os.path.splitext(snakemake.output.pdf)[0],
)
