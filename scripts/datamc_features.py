"""Snakemake script: one sample's feature table for the data vs simulation comparison."""

from lhcml.datamc import write_sample_features
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
write_sample_features(
    jets_path=snakemake.input.jets,
    out_path=snakemake.output.features,
    role=snakemake.params.role,
    n_constituents=snakemake.params.n_constituents,
    fractions=snakemake.params.split,
    seed=snakemake.params.seed,
)
