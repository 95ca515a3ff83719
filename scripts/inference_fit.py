"""Snakemake script: the zfit mass fit of one tagger, its significance, toys and scans."""

from lhcml.inference.workflow import fit_tagger
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
fit_tagger(
    tagger=snakemake.wildcards.fittagger,
    test_features=snakemake.input.test_features,
    test_scores=snakemake.input.test_scores,
    template_features=snakemake.input.template_features,
    template_scores=snakemake.input.template_scores,
    pseudodata_table=snakemake.input.pseudodata,
    pseudodata_meta=snakemake.input.pseudodata_meta,
    ams_path=snakemake.input.ams,
    fit_range=snakemake.params.fit_range,
    order=snakemake.params.order,
    n_toys=snakemake.params.toys,
    mu_limits=snakemake.params.mu_limits,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    out_fit=snakemake.output.fit,
    out_toys=snakemake.output.toys,
    out_curves=snakemake.output.curves,
)
