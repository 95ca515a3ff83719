"""The inference plots' workflow step (scripts/inference_plots.py), apart from
:mod:`lhcml.inference.workflow` so that the other inference jobs do not import matplotlib."""

from __future__ import annotations

import logging

from lhcml.inference import plots
from lhcml.io import read_json

log = logging.getLogger("lhcml.inference")


def make_plots(
    taggers,
    fit_paths,
    toys_paths,
    curves_paths,
    impacts_paths,
    ams_paths,
    summary_path,
    fit_plots,
    toys_plots,
    impacts_plots,
    ams_plot,
    injection_plot,
    scans_plot,
    choice_plot,
) -> None:
    """Every inference plot in one process (``*_plots``: one (PDF, PNG) pair per tagger)."""
    fits = {t: read_json(p) for t, p in zip(taggers, fit_paths, strict=True)}
    curves = {t: read_json(p) for t, p in zip(taggers, curves_paths, strict=True)}
    for k, tagger in enumerate(taggers):
        plots.plot_fit(tagger, fits[tagger], curves[tagger], fit_plots[k])
        plots.plot_toys(tagger, read_json(toys_paths[k]), toys_plots[k])
        plots.plot_impacts(tagger, fits[tagger], read_json(impacts_paths[k]), impacts_plots[k])
    plots.plot_ams({t: read_json(p) for t, p in zip(taggers, ams_paths, strict=True)}, ams_plot)
    plots.plot_injection(fits, injection_plot)
    plots.plot_scans(fits, curves, scans_plot)
    plots.plot_choice(read_json(summary_path), choice_plot)
    log.info("inference plots of %s written", ", ".join(taggers))
