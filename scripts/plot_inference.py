"""Snakemake script: the mass fits, toy pulls, AMS scans and the injection scan."""

from lhcml.inference.workflow import make_plots
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
out = snakemake.output
make_plots(
    taggers=snakemake.params.taggers,
    fit_paths=snakemake.input.fits,
    toys_paths=snakemake.input.toys,
    curves_paths=snakemake.input.curves,
    ams_paths=snakemake.input.ams,
    fit_plots=list(zip(out.fit_pdf, out.fit_png, strict=True)),
    toys_plots=list(zip(out.toys_pdf, out.toys_png, strict=True)),
    ams_plot=(out.ams_pdf, out.ams_png),
    injection_plot=(out.injection_pdf, out.injection_png),
)
