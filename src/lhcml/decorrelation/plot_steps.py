"""The decorrelation plots' workflow step (scripts/decorrelation_plots.py), apart from
:mod:`lhcml.decorrelation.workflow` so that the training jobs do not import matplotlib."""

from __future__ import annotations

import logging

from lhcml.decorrelation import plots
from lhcml.decorrelation.jsd import thresholds_at_background_efficiency
from lhcml.decorrelation.workflow import _test_arrays
from lhcml.io import read_json
from lhcml.tables import read_table

log = logging.getLogger("lhcml.decorrelation")


def make_plots(
    summary_path,
    features_path,
    tagger_scores: dict,
    plane_paths,
    spectra_paths,
    binning: dict,
    msd_range,
) -> None:
    """The R50 vs 1/JSD plane and the QCD mass spectra at fixed QCD efficiencies."""
    summary = read_json(summary_path)
    plots.plot_plane(summary, *plane_paths)
    features = read_table(features_path)
    efficiencies = summary["jsd"]["qcd_efficiencies"]
    for tagger, paths in spectra_paths.items():
        y, score, msd, w = _test_arrays(features, tagger_scores[tagger])
        cuts = thresholds_at_background_efficiency(y, score, w, efficiencies)
        entry = summary["taggers"][tagger]
        plots.plot_spectra(
            tagger, y, score, msd, w, cuts, entry["jsd_at_qcd_efficiency"], msd_range, *paths
        )
    log.info("decorrelation plots written for %s", ", ".join(spectra_paths))
