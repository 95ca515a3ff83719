"""Snakemake script: summarise the per-rule benchmark files (table, per-rule plot and the
timeline of the last run)."""

from lhcml.logs import log_to_file
from lhcml.summary import benchmark_table, write_benchmark_csv
from lhcml.summary_plots import plot_rule_times, plot_timeline

log_to_file(snakemake.log[0])
rows = benchmark_table(snakemake.params.benchmark_dir)
write_benchmark_csv(rows, snakemake.output.table)
plot_rule_times(rows, snakemake.output.plot)
plot_timeline(rows, snakemake.output.timeline)
