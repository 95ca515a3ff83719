"""The calo validation's workflow step (scripts/calo_validate.py): the classifier tests need
scikit-learn (:mod:`lhcml.calo.validation`), which the other calo jobs do not."""

from __future__ import annotations

import logging

import numpy as np

from lhcml.calo.io import read_many, read_showers
from lhcml.calo.showershapes import shower_shapes
from lhcml.calo.validation import (
    ClassifierParams,
    cell_inputs,
    classifier_auc,
    feature_distances,
    high_level_inputs,
    separation_powers,
    summarise_distances,
    validate_metrics,
    worst,
)
from lhcml.calo.workflow import split
from lhcml.io import read_json, write_json

log = logging.getLogger("lhcml.calo")


def evaluate_generator(ref, ref_shapes, gen, classifier_params, seed, threads) -> dict:
    """Shower-shape distances and separation powers, and the two classifier tests."""
    gen_shapes = shower_shapes(gen)
    distances = feature_distances(ref_shapes, gen_shapes)
    powers = separation_powers(ref_shapes, gen_shapes)
    for f, d in distances.items():
        d["separation_power"] = powers[f]
    clf = {
        "high_level": classifier_auc(
            high_level_inputs(ref, ref_shapes),
            high_level_inputs(gen, gen_shapes),
            classifier_params,
            seed,
            threads,
        ),
        "cells": classifier_auc(
            cell_inputs(ref), cell_inputs(gen), classifier_params, seed, threads, standardise=False
        ),
    }
    return {
        "n_generated": len(gen["energy"]),
        "shower_shapes": distances,
        "distance_summary": summarise_distances(distances),
        "worst_separation_power": worst(powers),
        "classifier": clf,
    }


def validate(
    particle,
    inputs,
    generated: dict,
    metas: dict,
    timings: dict,
    train_fraction,
    classifier,
    seed,
    threads,
    output,
) -> dict:
    """Every generator of ``generated`` ({name: showers file}) against the reference test
    split: shower shapes, separation powers, classifier AUCs and JSDs, training time and
    time per shower -> metrics.json."""
    params = ClassifierParams.from_mapping(classifier)
    _, ref = split(read_many(inputs), train_fraction)
    ref_shapes = shower_shapes(ref)
    metrics = {"particle": particle, "n_reference": len(ref["energy"]), "generators": {}}
    for name, path in generated.items():
        gen = read_showers(path)
        if not np.array_equal(np.float32(ref["energy"]), np.float32(gen["energy"])):
            raise ValueError(f"{path}: energies do not match the reference test split")
        entry = evaluate_generator(ref, ref_shapes, gen, params, seed, threads)
        meta = read_json(metas[name])
        entry["training"] = {
            "n_train": meta["n_train"],
            "epochs": meta["params"]["epochs"],
            "train_seconds": meta["timing"]["train_seconds"],
        }
        entry["timing"] = read_json(timings[name])["timing"]
        metrics["generators"][name] = entry
        clf, w = entry["classifier"], entry["worst_separation_power"]
        log.info(
            "%s %s: AUC high-level %.3f +- %.3f (JSD %.3f), cells %.3f +- %.3f (JSD %.3f); "
            "worst separation powers %s",
            particle,
            name,
            clf["high_level"]["auc"],
            clf["high_level"]["auc_err"],
            clf["high_level"]["jsd"],
            clf["cells"]["auc"],
            clf["cells"]["auc_err"],
            clf["cells"]["jsd"],
            ", ".join(f"{f} {v:.3f}" for f, v in w),
        )
        for kind, result in clf.items():
            if not result["converged"]:
                log.warning(
                    "%s %s: the %s classifier's validation loss was still falling at "
                    "its cap of %d epochs: its AUC is a lower bound; raise "
                    "calo.classifier.epochs",
                    particle,
                    name,
                    kind,
                    result["epochs_run"],
                )
    validate_metrics(metrics)
    write_json(output, metrics)
    return metrics
