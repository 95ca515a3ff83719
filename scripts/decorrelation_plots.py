"""Snakemake script: the R50 vs 1/JSD plane and the QCD mass spectra per tagger."""

from lhcml.decorrelation.plot_steps import make_plots
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
out, params = snakemake.output, snakemake.params
make_plots(
    summary_path=snakemake.input.summary,
    features_path=snakemake.input.features,
    tagger_scores=dict(zip(params.taggers, snakemake.input.scores, strict=True)),
    plane_paths=[out.plane_pdf, out.plane_png],
    spectra_paths={
        t: (pdf, png)
        for t, pdf, png in zip(params.taggers, out.spectra_pdf, out.spectra_png, strict=True)
    },
    binning=params.binning,
    msd_range=params.msd_range,
)
