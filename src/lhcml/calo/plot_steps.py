"""The CaloGAN plots' workflow step (scripts/calo_plots.py), apart from
:mod:`lhcml.calo.workflow` so that the other calo jobs do not import matplotlib."""

from __future__ import annotations

import logging

from lhcml.calo import plots
from lhcml.calo.io import read_many, read_showers
from lhcml.calo.showershapes import shower_shapes
from lhcml.calo.workflow import split
from lhcml.io import read_json

log = logging.getLogger("lhcml.calo")


def make_plots(
    particle,
    inputs,
    generated: dict,
    gan_meta_path,
    flow_meta_path,
    metrics_path,
    train_fraction,
    outputs: dict,
) -> None:
    _, ref = split(read_many(inputs), train_fraction)
    gens = {name: read_showers(path) for name, path in generated.items()}
    metrics = read_json(metrics_path)["generators"]
    plots.plot_shower_shapes(
        particle,
        shower_shapes(ref),
        {n: shower_shapes(g) for n, g in gens.items()},
        metrics,
        outputs["shapes_pdf"],
        outputs["shapes_png"],
    )
    plots.plot_mean_images(particle, ref, gens, outputs["images_pdf"], outputs["images_png"])
    plots.plot_timing(
        particle,
        {n: m["timing"] for n, m in metrics.items()},
        outputs["timing_pdf"],
        outputs["timing_png"],
    )
    plots.plot_training(
        particle,
        read_json(gan_meta_path)["history"],
        read_json(flow_meta_path)["history"],
        outputs["training_pdf"],
        outputs["training_png"],
    )
    plots.plot_metrics(particle, metrics, outputs["metrics_pdf"], outputs["metrics_png"])
    log.info("%s: plots written", particle)
