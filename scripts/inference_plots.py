"""Snakemake script: mass fits, toy pulls, impacts, scans, AMS, injection, tagger choice."""

from lhcml.inference.plot_steps import make_plots
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
out = snakemake.output


def pairs(pdf, png):
    return list(zip(pdf, png, strict=True))


make_plots(
    taggers=snakemake.params.taggers,
    fit_paths=snakemake.input.fits,
    toys_paths=snakemake.input.toys,
    curves_paths=snakemake.input.curves,
    impacts_paths=snakemake.input.impacts,
    ams_paths=snakemake.input.ams,
    summary_path=snakemake.input.summary,
    fit_plots=pairs(out.fit_pdf, out.fit_png),
    toys_plots=pairs(out.toys_pdf, out.toys_png),
    impacts_plots=pairs(out.impacts_pdf, out.impacts_png),
    ams_plot=(out.ams_pdf, out.ams_png),
    injection_plot=(out.injection_pdf, out.injection_png),
    scans_plot=(out.scans_pdf, out.scans_png),
    choice_plot=(out.choice_pdf, out.choice_png),
)
