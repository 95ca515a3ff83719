"""Snakemake script: results/results.md from results/summary.json (see lhcml.summary)."""

from lhcml.logs import log_to_file
from lhcml.summary import write_results_page

log_to_file(snakemake.log[0])
write_results_page(snakemake.input.summary, snakemake.output.page)
