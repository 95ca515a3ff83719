"""Snakemake script: draw the pseudo-datasets from the test split at inference.lumi_fb."""

from lhcml.inference.workflow import make_pseudodata
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
make_pseudodata(
    feature_paths={s: snakemake.input[s] for s in ("train", "val", "test")},
    roles=snakemake.params.roles,
    lumi_fb=snakemake.params.lumi_fb,
    weights_lumi_fb=snakemake.params.weights_lumi_fb,
    mu_inj=snakemake.params.mu_inj,
    injection=snakemake.params.injection,
    seed=snakemake.params.seed,
    z=snakemake.params.supply_sigma,
    out_table=snakemake.output.table,
    out_meta=snakemake.output.meta,
)
