"""The tagger plots' workflow step (scripts/taggers_plots.py): the rule that imports matplotlib.

Apart from :mod:`lhcml.taggers.workflow`, so that the training and scoring jobs do not
import matplotlib.
"""

from __future__ import annotations

import logging

import numpy as np

from lhcml.io import read_json
from lhcml.tables import aligned_scores, read_table
from lhcml.taggers import plots
from lhcml.taggers.inputs import binary_jets, column, select
from lhcml.taggers.metrics import roc_curve

log = logging.getLogger("lhcml.taggers")


def _test_scores(features, score_path) -> tuple[np.ndarray, np.ndarray]:
    """Binary-class mask of the test table and the scores of those jets (rows checked)."""
    sel = binary_jets(features)
    return sel, aligned_scores(features, score_path)[sel]


def plot_tagger(metrics_path, scores_path, features_path, score_plot, msd_plot, msd_range) -> None:
    """Score distributions and the QCD mass before/after the 50%-signal cut (test split)."""
    features = read_table(features_path)
    sel, score = _test_scores(features, scores_path)
    test = select(features, sel)
    y, w = column(test, "y"), column(test, "weight", np.float64)
    metrics = read_json(metrics_path)
    tagger, threshold = metrics["tagger"], metrics["threshold_at_50"]
    plots.plot_scores(tagger, score, y, w, threshold, *score_plot)
    plots.plot_msd_sculpting(
        tagger,
        column(test, "msd", np.float64),
        y,
        w,
        score,
        threshold,
        msd_range,
        *msd_plot,
        eps_b=metrics["eps_b_at_50"],
    )
    log.info("%s: score and mass-sculpting plots written", tagger)


def plot_roc(taggers, metrics_paths, score_paths, features_path, paths) -> None:
    """ROC curves of all taggers on one canvas, with AUC and R50 from the metrics files."""
    features = read_table(features_path)
    curves = {}
    for tagger, metrics_path, score_path in zip(taggers, metrics_paths, score_paths, strict=True):
        sel, score = _test_scores(features, score_path)
        test = select(features, sel)
        eps_s, eps_b, _ = roc_curve(column(test, "y"), score, column(test, "weight", np.float64))
        curves[tagger] = {"eps_s": eps_s, "eps_b": eps_b, **read_json(metrics_path)}
    plots.plot_roc(curves, *paths)
    log.info("ROC curves of %s written", ", ".join(taggers))


def make_plots(
    taggers,
    metrics_paths,
    score_paths,
    features_path,
    roc_plot,
    score_plots,
    msd_plots,
    msd_range,
    bdt_meta=None,
    importance_plot=None,
) -> None:
    """Every tagger plot of the workflow, in one process (imports are paid once).

    ``score_plots`` and ``msd_plots`` hold one list of paths (PDF, PNG) per tagger.
    """
    for metrics_path, scores_path, score_plot, msd_plot in zip(
        metrics_paths, score_paths, score_plots, msd_plots, strict=True
    ):
        plot_tagger(metrics_path, scores_path, features_path, score_plot, msd_plot, msd_range)
    plot_roc(taggers, metrics_paths, score_paths, features_path, roc_plot)
    if bdt_meta is not None and importance_plot:
        plots.plot_importance(read_json(bdt_meta)["feature_importance"], *importance_plot)
        log.info("BDT feature importance written")
