"""Snakemake script: the headline inference numbers per tagger (results/inference/summary.json)."""

from lhcml.inference.workflow import summarize
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
summarize(
    taggers=snakemake.params.taggers,
    fit_paths=snakemake.input.fits,
    ams_paths=snakemake.input.ams,
    pseudodata_meta=snakemake.input.pseudodata,
    out=snakemake.output.summary,
    metrics_paths=snakemake.input.metrics,
    l1_paths=dict(zip(snakemake.params.l1_taggers, snakemake.input.l1_fits, strict=True)),
    scan_paths=snakemake.input.scans,
    decorrelation_summary=snakemake.input.decorrelation or None,
)
