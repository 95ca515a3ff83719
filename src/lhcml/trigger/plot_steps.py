"""The trigger branch's workflow steps that draw plots (scripts/trigger_profile.py,
trigger_plots.py, trigger_scan_summary.py, trigger_l1.py), apart from
:mod:`lhcml.trigger.workflow` so that the other trigger jobs do not import matplotlib."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lhcml.io import atomic_path, read_json, write_json
from lhcml.trigger import dataset, estimates, hls, l1, metrics, models, plots, scan
from lhcml.trigger.workflow import (
    CLASSES,
    PROB_COLUMNS,
    _probs,
    class_targets,
    read_table,
    scan_row,
    w_z_score,
)

log = logging.getLogger("lhcml.trigger")


def profile_float(
    model_path,
    meta_path,
    train_path,
    precision_path,
    plot_base,
    hls_params,
    profile_jets,
    threads=1,
) -> dict:
    """Profile the float model on training jets; write the chosen types and the plot."""
    models.setup_keras(threads=threads)
    model = models.load_model(model_path, threads)
    prep = models.Preprocessor.from_dict(read_json(meta_path)["preprocessing"])
    x = prep.transform(models.feature_matrix(read_table(train_path)))[: int(profile_jets)]
    p = {**hls.DEFAULT_HLS, **hls_params}
    prof = hls.profile_precisions(model, x, width=p["float_width"], guard_bits=p["guard_bits"])
    prof["jets"] = int(len(x))
    for layer, types in prof["precision"].items():
        log.info("%s: %s", layer, types)
    plots.profiling_plot(prof["stats"], prof["precision"], plot_base)
    write_json(precision_path, prof)
    return prof


def plot(test_path, keras_scores: dict, hls_scores: dict, metrics_path, plot_dir) -> None:
    """ROC curves per class (Keras solid, hls4ml dashed) and accuracy vs BOPs."""
    target = class_targets(read_table(test_path))
    curves = {}
    for name, path in keras_scores.items():
        rows, probs = _probs(path)
        curves[(name, "keras")] = metrics.per_class_roc(target[rows], probs, CLASSES)
    for name, path in hls_scores.items():
        rows, probs = _probs(path)
        curves[(name, "hls4ml")] = metrics.per_class_roc(target[rows], probs, CLASSES)
    os.makedirs(plot_dir, exist_ok=True)
    plots.roc_per_class(curves, read_json(metrics_path), CLASSES, Path(plot_dir))
    plots.accuracy_vs_bops(read_json(metrics_path), Path(plot_dir) / "accuracy_vs_bops")


def summarise_scan(
    test_path,
    float_meta_path,
    float_scores_path,
    group_results,
    group_scores,
    choice,
    output,
    table_path,
    plot_base,
    metrics_path=None,
) -> dict:
    """Merge the scan jobs: per point the emulated metrics, the Pareto front (BOPs vs
    accuracy) and the chosen design (:func:`lhcml.trigger.scan.choose`); writes the JSON,
    a CSV table and the Pareto plot. With ``metrics_path`` (results/trigger/metrics.json) the
    hls4ml emulations of the trained models (float, quantisation-aware QKeras, pruned) are
    added as references (``trained_models``), not as scan points."""
    target = class_targets(read_table(test_path))
    frows, fprobs = _probs(float_scores_path)
    reference = metrics.model_metrics(target[frows], fprobs, CLASSES)
    # group i holds points i, i + n, i + 2n, ... (lhcml.trigger.scan.group_points): restore
    # the order of the configuration
    groups = [read_json(path)["points"] for path in group_results]
    records = [None] * sum(len(g) for g in groups)
    for i, group in enumerate(groups):
        records[i :: len(groups)] = group
    scores = pd.concat([read_table(p) for p in group_scores], ignore_index=True)
    models.require_columns(scores, ["point", "row", *PROB_COLUMNS], needed_by="the scan")
    for record in records:
        sel = scores[scores["point"] == record["name"]]
        if sel.empty:
            raise ValueError(
                f"scan point {record['name']!r} has no emulated outputs in "
                f"{', '.join(map(str, group_scores))}"
            )
        rows = sel["row"].to_numpy(np.int64)
        record["emulated"] = metrics.model_metrics(
            target[rows], sel[PROB_COLUMNS].to_numpy(), CLASSES
        )
    cost = np.array([r["estimates"]["bops"] for r in records])
    acc = np.array([r["emulated"]["accuracy"] for r in records])
    front = scan.pareto_front(cost, acc)
    for record, on in zip(records, front, strict=True):
        record["pareto"] = bool(on)
    c = {**scan.DEFAULT_SCAN["choice"], **choice}
    chosen = scan.choose(
        records, reference["accuracy"], float(c["max_accuracy_loss"]), int(c["max_ii"])
    )
    out = {
        "float": {**reference, "bops": read_json(float_meta_path)["bops"]["total"]},
        "choice": {
            **c,
            "rule": "fewest BOPs with emulated accuracy >= float - "
            "max_accuracy_loss and II <= max_ii; ties: lower da4ml LUT estimate, "
            "then distributed_arithmetic, Latency, Resource",
        },
        "chosen": chosen,
        "estimator": estimates.da4ml_version(),
        "points": records,
    }
    if metrics_path:
        trained = read_json(metrics_path)["models"]
        out["trained_models"] = {
            name: {
                "accuracy": m["hls4ml"]["accuracy"],
                "bops": m["bops"],
                "bits": (m["quantisation"] or {}).get("bits"),
            }
            for name, m in trained.items()
            if "hls4ml" in m
        }
    write_json(output, out)
    table = pd.DataFrame([scan_row(r) for r in records])
    with atomic_path(table_path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    plots.pareto(out, plot_base)
    log.info("scan: %d points, chosen %s\n%s", len(records), chosen, table.to_string())
    return out


def skim_class_counts(skim_path, classes: dict, sample: str) -> dict[str, int]:
    """Skimmed jets (= events) of ``sample`` per trigger class taken from it."""

    try:
        labels = pq.read_table(skim_path, columns=["label"]).column("label").to_numpy(False)
    except Exception as err:
        raise ValueError(f"{skim_path}: cannot read the column 'label' ({err})") from err
    wanted = dataset.classes_of_sample(classes, sample)
    counts = {c: int(np.sum(labels == lab)) for c, lab in wanted.items()}
    counts["_all"] = int(len(labels))
    return counts


def run_l1(
    test_path,
    skim_path,
    cutflow_path,
    scan_path,
    scan_scores,
    float_scores,
    bdt_scores,
    classes,
    params,
    output,
    curves_path,
    plot_base,
) -> dict:
    """L1 rate and W/Z efficiency at the target rate of every design (results/trigger/l1.json;
    the rate and efficiency curves in ``curves_path``)."""
    p = {**l1.DEFAULT_L1, **params}
    test = read_table(test_path)
    models.require_columns(test, ["class", "pt"], needed_by="the L1 rate")
    cls = test["class"].to_numpy(object)
    pt = test["pt"].to_numpy(np.float64)
    cutflow = read_json(cutflow_path)
    sigma, n_gen = cutflow.get("xsec_pb"), int(cutflow["steps"][0]["events"])
    if not sigma:
        raise ValueError(f"{cutflow_path}: no generated cross section (xsec_pb)")
    samples = {classes[c]["sample"] for c in p["background_classes"]}
    if len(samples) != 1:
        raise ValueError(
            "config key 'trigger.l1.background_classes': the classes must come "
            f"from one sample, got {sorted(samples)}"
        )
    sample = samples.pop()
    counts = skim_class_counts(skim_path, classes, sample)
    weight = l1.qcd_weights(cls, counts, n_gen, p["background_classes"])
    taggers = {"float (Keras)": _probs(float_scores), "BDT (conifer)": _probs(bdt_scores)}
    scan = read_json(scan_path)
    frame = pd.concat([read_table(s) for s in scan_scores], ignore_index=True)
    for name, sel in frame.groupby("point", sort=False):
        taggers[name] = (sel["row"].to_numpy(np.int64), sel[PROB_COLUMNS].to_numpy())
    results = {}
    for name, (rows, probs) in taggers.items():
        score = w_z_score(probs, p["signal_classes"])
        results[name] = l1.evaluate_tagger(score, pt[rows], cls[rows], weight[rows], p, sigma)
    labelled = sum(counts[c] for c in p["background_classes"])
    out = {
        "params": p,
        "sample": sample,
        "xsec_pb": sigma,
        "generated_events": n_gen,
        "skim_counts": counts,
        "unlabelled_fraction": 1.0 - labelled / max(counts["_all"], 1),
        "formula": "R = f_BX (1 - exp(-L sigma eps / f_BX)), eps = fraction of generated QCD "
        "events whose skimmed leading jet passes pT and score cuts",
        "assumptions": [
            "only the generated QCD phase space (pT-hat above the generator cut) contributes",
            "the L1 jet is the skim's leading large-R jet (offline pT, no pile-up); events "
            "failing the skim and QCD jets without a gluon/quark label never fire",
            "W/Z, top and other processes are neglected in the rate",
        ],
        "chosen": scan["chosen"],
        "designs": results,
    }
    curves = {name: r.pop("curve") for name, r in results.items()}
    write_json(output, out)
    write_json(curves_path, curves)
    plots.efficiency_vs_rate(out, curves, scan, plot_base)
    for name, r in results.items():
        log.info(
            "%s: threshold %.4g, rate %.4g kHz, W/Z efficiency %.4f (pT only: %.4g kHz, %.4f)",
            name,
            r["threshold"],
            r["rate_khz"],
            r["signal_efficiency"],
            r["pt_only_rate_khz"],
            r["pt_only_signal_efficiency"],
        )
    return out
