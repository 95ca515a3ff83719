"""Snakemake script: ROC curves, score distributions, QCD mass sculpting, BDT importance."""

from lhcml.logs import log_to_file
from lhcml.taggers.plot_steps import make_plots

log_to_file(snakemake.log[0])
out = snakemake.output
bdt_meta = snakemake.input.get("bdt_meta")
make_plots(
    taggers=snakemake.params.taggers,
    metrics_paths=snakemake.input.metrics,
    score_paths=snakemake.input.scores,
    features_path=snakemake.input.features,
    roc_plot=[out.roc_pdf, out.roc_png],
    score_plots=list(zip(out.scores_pdf, out.scores_png, strict=True)),
    msd_plots=list(zip(out.msd_pdf, out.msd_png, strict=True)),
    msd_range=snakemake.params.msd_range,
    bdt_meta=bdt_meta,
    importance_plot=[out.importance_pdf, out.importance_png] if bdt_meta else None,
)
