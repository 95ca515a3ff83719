"""Snakemake script: feature tables and the train/val/test split (see lhcml.features)."""

from lhcml.features.availability import check_features_available
from lhcml.features.io import write_feature_tables
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
check_features_available(
    dict(zip(snakemake.params.samples, snakemake.input.cutflows, strict=True)),
    snakemake.params.needs,
)
write_feature_tables(
    jet_files=dict(zip(snakemake.params.samples, snakemake.input.jets, strict=True)),
    roles=snakemake.params.roles,
    n_constituents=snakemake.params.n_constituents,
    fractions=snakemake.params.split,
    seed=snakemake.params.seed,
    outputs={k: snakemake.output[k] for k in ("train", "val", "test")},
    summary_path=snakemake.output.summary,
)
