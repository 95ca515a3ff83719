"""Snakemake script: distributions of the tagger inputs (see lhcml.features.plots)."""

from pathlib import Path

from lhcml.features.plots import plot_feature
from lhcml.logs import log_to_file
from lhcml.tables import read_parquet

log_to_file(snakemake.log[0])
tables = [read_parquet(path) for path in snakemake.input]
for png in snakemake.output:
    plot_feature(tables, Path(png).stem, Path(png).with_suffix(""), snakemake.params.lumi_fb)
