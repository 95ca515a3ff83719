"""Snakemake script: summarise the per-rule benchmark files (table, per-rule plot and the
timeline of the last run)."""

from lhcml.logs import log_to_file
from lhcml.summary import benchmark_table, plot_rule_times, plot_timeline, write_benchmark_csv

log_to_file(snakemake.log[0])
rows = benchmark_table(snakemake.params.benchmark_dir)
write_benchmark_csv(rows, snakemake.output.table)
plot_rule_times(rows, snakemake.output.plot)
plot_timeline(rows, snakemake.output.timeline)
