"""The trigger branch's workflow steps: file in, file out (called by scripts/trigger_*.py).

``build_sample_features`` (per sample) -> ``build_dataset`` -> ``train_model`` (per model)
-> ``profile_float`` -> ``run_hls`` (per model) -> ``evaluate`` -> ``plot``.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lhcml.io import atomic_path, read_json, write_json
from lhcml.trigger import bops as bops_mod
from lhcml.trigger import dataset, hls, metrics, models, pruning, scan
from lhcml.trigger.features import TRIGGER_FEATURES, trigger_features

log = logging.getLogger("lhcml.trigger")

CLASSES = dataset.CLASSES
PROB_COLUMNS = [f"p_{c}" for c in CLASSES]


def read_table(path) -> pd.DataFrame:
    """A parquet table, with an error naming the file if it cannot be read."""
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise ValueError(f"{path}: cannot read the table ({err})") from err


def write_table(frame: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


# --- Data ------------------------------------------------------------------------------


def build_sample_features(
    skim_path, sample, classes, max_jets_per_class, seed, grooming, output
) -> None:
    """The trigger features of the configured classes of one sample's skimmed jets."""

    try:
        jets = ak.from_parquet(skim_path)
    except Exception as err:
        raise ValueError(f"{skim_path}: cannot read the skimmed jet table ({err})") from err
    start = time.perf_counter()
    table = dataset.sample_table(
        jets, sample, classes, max_jets_per_class, seed, grooming, path=str(skim_path)
    )
    log.info("%s: features of %d jets in %.1f s", sample, len(table), time.perf_counter() - start)
    write_table(table, output)


def build_dataset(feature_paths, fractions, seed, outputs: dict, summary_path) -> None:
    """Merge the per-sample tables, split them, write the splits and their counts."""
    tables = [read_table(p) for p in feature_paths]
    splits = dataset.split_tables(tables, fractions, seed)
    summary = dataset.counts(splits)
    for name, table in splits.items():
        write_table(table, outputs[name])
        log.info("%s: %d jets %s", name, len(table), summary[name]["per_class"])
    write_json(summary_path, summary)


def _targets(table) -> np.ndarray:
    models.require_columns(table, ["target"], needed_by="the trigger tagger")
    return table["target"].to_numpy(np.int64)


# --- Training ----------------------------------------------------------------------------


def train_model(
    name,
    train_path,
    val_path,
    test_path,
    model_path,
    meta_path,
    scores_path,
    network,
    quantisation,
    pruning_params,
    clip,
    seed,
    threads=1,
) -> dict:
    """Train one trigger model, save it, its metadata (incl. BOPs) and its test outputs."""
    kind, pruned = models.parse_model_name(name)
    _, keras = models.setup_keras(seed=seed, threads=threads)
    tables = {
        s: read_table(p) for s, p in (("train", train_path), ("val", val_path), ("test", test_path))
    }
    x = {s: models.feature_matrix(t) for s, t in tables.items()}
    y = {s: _targets(t) for s, t in tables.items()}
    prep = models.Preprocessor.fit(x["train"], clip)
    data = {s: (prep.transform(x[s]), y[s], dataset.class_weights(y[s])) for s in ("train", "val")}
    net = {**models.DEFAULT_NETWORK, **network}
    model = models.build_model(keras, kind, len(TRIGGER_FEATURES), len(CLASSES), net, quantisation)
    callbacks, start_epoch = [], 0
    if pruned:
        steps = -(-len(y["train"]) // net["batch_size"])
        model, callbacks, start_epoch = pruning.prunable(model, steps, pruning_params)
    log.info(
        "training %s on %d jets %s",
        name,
        len(y["train"]),
        np.bincount(y["train"], minlength=len(CLASSES)).tolist(),
    )
    fit = models.fit(keras, model, data["train"], data["val"], net, callbacks, start_epoch)
    if pruned:
        model = pruning.strip(model)
    models.save_model(model, model_path)

    kernels = models.quantised_kernels(model)
    zeros = pruning.sparsity(kernels)
    quant = {**models.DEFAULT_QUANTISATION, **quantisation} if kind == "qkeras" else None
    shapes = [
        (layer.name, int(layer.input_shape[-1]), int(layer.units))
        for layer in models.dense_layers(model)
    ]
    bops = bops_mod.network_bops(
        bops_mod.describe_layers(
            shapes,
            zeros,
            quant["bits"] if quant else None,
            quant["activation_bits"] if quant else None,
        )
    )
    probs = models.predict(model, prep.transform(x["test"]))
    scores = pd.DataFrame(probs, columns=PROB_COLUMNS)
    scores.insert(0, "row", np.arange(len(probs)))
    write_table(scores, scores_path)
    meta = {
        "model": name,
        "kind": kind,
        "pruned": pruned,
        "inputs": list(TRIGGER_FEATURES),
        "classes": list(CLASSES),
        "preprocessing": prep.to_dict(),
        "network": net,
        "quantisation": quant,
        "pruning": {**pruning.DEFAULT_PRUNING, **pruning_params} if pruned else None,
        "sparsity": zeros,
        "bops": bops,
        "seed": seed,
        "n_train": dict(
            zip(CLASSES, np.bincount(y["train"], minlength=len(CLASSES)).tolist(), strict=True)
        ),
        **fit,
    }
    write_json(meta_path, meta)
    log.info(
        "%s: test accuracy %.4f, BOPs %.4g, sparsity %s",
        name,
        metrics.accuracy(y["test"], probs),
        bops["total"],
        zeros,
    )
    return meta


# --- hls4ml ------------------------------------------------------------------------------


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
    hls.profiling_plot(prof["stats"], prof["precision"], plot_base)
    write_json(precision_path, prof)
    return prof


def emulation_rows(n: int, max_jets: int, seed: int) -> np.ndarray:
    """Test rows run through the emulation: all, or ``max_jets`` drawn without replacement."""
    if max_jets <= 0 or max_jets >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_jets, replace=False))


def run_hls(
    name,
    model_path,
    meta_path,
    test_path,
    precision_path,
    project_dir,
    scores_path,
    result_path,
    hls_params,
    seed,
    threads=1,
) -> dict:
    """Convert one model with hls4ml, compile, emulate on the test jets, maybe synthesise."""
    models.setup_keras(seed=seed, threads=threads)
    hls4ml = hls.import_hls4ml()
    p = {**hls.DEFAULT_HLS, **hls_params}
    model = models.load_model(model_path, threads)
    meta = read_json(meta_path)
    prep = models.Preprocessor.from_dict(meta["preprocessing"])
    x = prep.transform(models.feature_matrix(read_table(test_path)))
    rows = emulation_rows(len(x), int(p["emulation_jets"]), seed)
    precisions = read_json(precision_path)["precision"] if precision_path else None
    config = hls.hls_config(hls4ml, model, p, precisions)

    project_dir = Path(project_dir)
    tmp_dir = project_dir.with_name(f".{project_dir.name}.tmp")
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    start = time.perf_counter()
    hls_model = hls.convert(hls4ml, model, config, tmp_dir, p)
    convert_seconds = time.perf_counter() - start
    compile_seconds = hls.compile_model(hls_model)
    start = time.perf_counter()
    emulated = hls.emulate(hls_model, x[rows])
    predict_seconds = time.perf_counter() - start
    keras_out = models.predict(model, x[rows])
    synthesis = hls.synthesize(hls_model, p["backend"], bool(p["synthesize"]))
    hls.replace_dir(tmp_dir, project_dir)

    scores = pd.DataFrame(emulated, columns=PROB_COLUMNS)
    scores.insert(0, "row", rows)
    write_table(scores, scores_path)
    agree = metrics.agreement(keras_out, emulated)
    result = {
        "model": name,
        "backend": p["backend"],
        "io_type": p["io_type"],
        "part": p["part"],
        "clock_period_ns": p["clock_period"],
        "reuse_factor": int(p["reuse_factor"]),
        "strategy": p["strategy"],
        "project": str(project_dir),
        "emulated_jets": int(len(rows)),
        "agreement": agree,
        "synthesis": synthesis,
        "precision": {k: v.get("Precision") for k, v in config["LayerName"].items()},
        "convert_seconds": convert_seconds,
        "compile_seconds": compile_seconds,
        "predict_seconds": predict_seconds,
    }
    write_json(result_path, result)
    log.info(
        "%s: argmax agreement %.4f, max |diff| %.3g on %d jets; compile %.1f s; %s",
        name,
        agree["argmax_agreement"],
        agree["max_abs_diff"],
        len(rows),
        compile_seconds,
        synthesis,
    )
    return result


# --- Evaluation and plots ------------------------------------------------------------------


def _probs(path) -> tuple[np.ndarray, np.ndarray]:
    frame = read_table(path)
    models.require_columns(frame, ["row", *PROB_COLUMNS], needed_by="the trigger metrics")
    return frame["row"].to_numpy(np.int64), frame[PROB_COLUMNS].to_numpy(np.float64)


def evaluate(test_path, dataset_path, keras_models: dict, hls_models: dict, output) -> dict:
    """results/trigger/metrics.json from every model's test outputs.

    ``keras_models``: ``{name: {"meta": path, "scores": path}}``; ``hls_models``:
    ``{name: {"scores": path, "result": path}}``.
    """
    target = _targets(read_table(test_path))
    out = {
        "classes": list(CLASSES),
        "features": list(TRIGGER_FEATURES),
        "dataset": read_json(dataset_path),
        "models": {},
    }
    for name, paths in keras_models.items():
        meta = read_json(paths["meta"])
        rows, probs = _probs(paths["scores"])
        entry = {
            "keras": metrics.model_metrics(target[rows], probs, CLASSES),
            "bops": meta["bops"]["total"],
            "bops_per_layer": meta["bops"]["layers"],
            "sparsity": meta["sparsity"],
            "quantisation": meta["quantisation"],
            "epochs_run": meta["epochs_run"],
            "best_epoch": meta["best_epoch"],
            "train_seconds": meta["train_seconds"],
        }
        if name in hls_models:
            result = read_json(hls_models[name]["result"])
            hrows, hprobs = _probs(hls_models[name]["scores"])
            entry["hls4ml"] = metrics.model_metrics(target[hrows], hprobs, CLASSES)
            entry["keras_on_emulated_jets"] = metrics.model_metrics(
                target[hrows], probs[hrows], CLASSES
            )
            entry["agreement"] = metrics.agreement(probs[hrows], hprobs)
            entry["synthesis"] = result["synthesis"]
            entry["hls_precision"] = result["precision"]
            entry["compile_seconds"] = result["compile_seconds"]
        out["models"][name] = entry
    models_ = out["models"]
    if "float" in models_:
        ref = models_["float"]["keras"]["accuracy"]
        out["accuracy_over_float"] = {n: m["keras"]["accuracy"] / ref for n, m in models_.items()}
    write_json(output, out)
    return out


def plot(test_path, keras_scores: dict, hls_scores: dict, metrics_path, plot_dir) -> None:
    """ROC curves per class (Keras solid, hls4ml dashed) and accuracy vs BOPs."""
    from lhcml.trigger import plots

    target = _targets(read_table(test_path))
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


# --- Design-space scan (lhcml.trigger.scan) -------------------------------------------------


def run_scan_group(
    points,
    model_path,
    meta_path,
    train_path,
    test_path,
    work_dir,
    result_path,
    scores_path,
    hls_params,
    profile_jets,
    seed,
    threads=1,
) -> list[dict]:
    """Convert, compile and emulate the design ``points`` of one job (TensorFlow, hls4ml and
    the float model loaded once); write their records (JSON) and emulated outputs (parquet,
    columns ``point, row, p_*``). The hls4ml projects are built under ``work_dir`` and
    removed after each point (they are rebuilt from the record if wanted)."""

    _, keras = models.setup_keras(seed=seed, threads=threads)
    hls4ml = hls.import_hls4ml()
    p = {**hls.DEFAULT_HLS, **hls_params}
    model = models.load_model(model_path, threads)
    prep = models.Preprocessor.from_dict(read_json(meta_path)["preprocessing"])
    x_prof = prep.transform(models.feature_matrix(read_table(train_path)))[: int(profile_jets)]
    x = prep.transform(models.feature_matrix(read_table(test_path)))
    rows = emulation_rows(len(x), int(p["emulation_jets"]), seed)
    reference = models.predict(model, x[rows])
    records, frames = [], []
    work_dir = Path(work_dir)
    for point in points:
        start = time.perf_counter()
        qmodel, precision = scan.design_model(model, keras, point, x_prof, p["guard_bits"])
        params = {**p, "strategy": point["strategy"], "reuse_factor": point["reuse_factor"]}
        config = hls.hls_config(hls4ml, qmodel, params, precision)
        project = work_dir / point["name"]
        if project.exists():
            shutil.rmtree(project)
        hls_model = hls.convert(hls4ml, qmodel, config, project, params)
        compile_seconds = hls.compile_model(hls_model)
        emulated = hls.emulate(hls_model, x[rows])
        quantised_keras = models.predict(qmodel, x[rows])
        synthesis = hls.synthesize(hls_model, p["backend"], bool(p["synthesize"]))
        est = scan.estimates(qmodel, precision, point)
        da_costs = {
            layer.name: float(layer.attributes["da_kernel_cost"])
            for layer in hls_model.get_layers()
            if "da_kernel_cost" in layer.attributes
        }
        if da_costs:  # what hls4ml's own distributed-arithmetic pass solved
            est["da4ml"]["hls4ml_kernel_lut"] = sum(da_costs.values())
        shutil.rmtree(project, ignore_errors=True)
        record = {
            **point,
            "precision": precision,
            "estimates": est,
            "synthesis": synthesis,
            "agreement_vs_float": metrics.agreement(reference, emulated),
            "agreement_vs_quantised_keras": metrics.agreement(quantised_keras, emulated),
            "compile_seconds": compile_seconds,
            "seconds": time.perf_counter() - start,
        }
        records.append(record)
        frame = pd.DataFrame(emulated, columns=PROB_COLUMNS)
        frame.insert(0, "row", rows)
        frame.insert(0, "point", point["name"])
        frames.append(frame)
        log.info(
            "%s: argmax agreement with float %.4f, BOPs %.4g, da4ml LUT %.0f (%.0f s)",
            point["name"],
            record["agreement_vs_float"]["argmax_agreement"],
            est["bops"],
            est["da4ml"]["lut"],
            record["seconds"],
        )
        del hls_model
    shutil.rmtree(work_dir, ignore_errors=True)
    write_table(pd.concat(frames, ignore_index=True), scores_path)
    write_json(result_path, {"points": records})
    return records


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
    from lhcml.trigger import plots, scan

    target = _targets(read_table(test_path))
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
        "estimator": scan.da4ml_version(),
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


def scan_row(record: dict) -> dict:
    """One line of the scan table (results/trigger/scan/scan.csv)."""
    est = record["estimates"]
    return {
        "point": record["name"],
        "bits": record["bits"],
        "reuse_factor": record["reuse_factor"],
        "pruning": record["pruning"],
        "strategy": record["strategy"],
        "accuracy": record["emulated"]["accuracy"],
        **{f"auc_{c}": record["emulated"]["auc"][c] for c in CLASSES},
        "argmax_agreement_vs_float": record["agreement_vs_float"]["argmax_agreement"],
        "bops": est["bops"],
        "da4ml_lut_estimate": est["da4ml"]["lut"],
        "da4ml_adder_depth_estimate": est["da4ml"]["adder_depth"],
        "multipliers": est["analytic"]["multipliers"],
        "ii_cycles": est["analytic"]["ii_cycles"],
        "synthesized": record["synthesis"]["synthesized"],
        "pareto": record.get("pareto"),
    }


# --- The BDT on the FPGA (lhcml.trigger.bdt) -----------------------------------------------


def run_bdt(
    train_path,
    test_path,
    float_meta_path,
    model_path,
    project_dir,
    scores_path,
    result_path,
    params,
    seed,
    threads=1,
) -> dict:
    """Train the xgboost trigger BDT, convert it with conifer, emulate it on the test jets."""
    import conifer

    from lhcml.trigger import bdt

    p = {**bdt.DEFAULT_BDT, **params}
    prep = models.Preprocessor.from_dict(read_json(float_meta_path)["preprocessing"])
    train, test = read_table(train_path), read_table(test_path)
    x_train = prep.transform(models.feature_matrix(train))
    y_train = _targets(train)
    x = prep.transform(models.feature_matrix(test))
    target = _targets(test)
    start = time.perf_counter()
    model = bdt.train(x_train, y_train, dataset.class_weights(y_train), p, seed, threads)
    train_seconds = time.perf_counter() - start
    with atomic_path(model_path) as tmp:
        model.get_booster().save_model(str(tmp))
    reference = bdt.margins(model, x)
    project_dir = Path(project_dir)
    tmp_dir = project_dir.with_name(f".{project_dir.name}.tmp")
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir(parents=True)
    cmodel = bdt.convert(model, tmp_dir, p["precision"])
    emulated, compile_seconds = bdt.compile_and_emulate(cmodel, x)
    hls.replace_dir(tmp_dir, project_dir)
    probs = bdt.softmax(emulated)
    scores = pd.DataFrame(probs, columns=PROB_COLUMNS)
    scores.insert(0, "row", np.arange(len(x)))
    write_table(scores, scores_path)
    result = {
        "model": "bdt",
        "library": f"xgboost {__import__('xgboost').__version__}",
        "converter": f"conifer {conifer.__version__} (cpp backend, g++)",
        "params": p,
        "size": bdt.size(model),
        "train_seconds": train_seconds,
        "compile_seconds": compile_seconds,
        "project": str(project_dir),
        "xgboost": metrics.model_metrics(target, bdt.softmax(reference), CLASSES),
        "conifer": metrics.model_metrics(target, probs, CLASSES),
        "agreement": metrics.agreement(bdt.softmax(reference), probs),
        "margin_agreement": metrics.agreement(reference, emulated),
        "resources": {
            "estimate": None,
            "reason": "da4ml models dense arithmetic only; "
            "conifer reports resources only from Vivado/Vitis synthesis",
        },
    }
    write_json(result_path, result)
    log.info(
        "BDT: xgboost accuracy %.4f, conifer %.4f, argmax agreement %.4f, max |dp| %.3g",
        result["xgboost"]["accuracy"],
        result["conifer"]["accuracy"],
        result["agreement"]["argmax_agreement"],
        result["agreement"]["max_abs_diff"],
    )
    return result


# --- L1 rate and efficiency (lhcml.trigger.l1) ----------------------------------------------


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


def w_z_score(probs: np.ndarray, signal_classes) -> np.ndarray:
    """The W/Z score: the sum of the signal classes' softmax outputs."""
    return probs[:, [CLASSES.index(c) for c in signal_classes]].sum(axis=1)


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
    from lhcml.trigger import l1, plots

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


# --- The emulated L1 decision of the analysis's test jets -----------------------------------

KEYS = ["sample", "run", "luminosityBlock", "event"]


def analysis_trigger_features(keys: pd.DataFrame, skim_paths: dict, grooming) -> pd.DataFrame:
    """The trigger features and the jet pT of the analysis jets ``keys`` (columns
    :data:`KEYS`), from each sample's skim (constituents); raises ``ValueError`` naming the
    sample when a jet is not in its skim."""

    parts = []
    for sample, sel in keys.groupby("sample", sort=True):
        if sample not in skim_paths:
            raise ValueError(f"analysis test jets of sample {sample!r} but no skim given")
        jets = ak.from_parquet(skim_paths[sample])
        ids = pd.DataFrame({k: ak.to_numpy(jets[k]) for k in KEYS[1:]})
        ids["index"] = np.arange(len(ids))
        merged = sel[KEYS].merge(ids, on=KEYS[1:], how="left", validate="one_to_one")
        if merged["index"].isna().any():
            raise ValueError(
                f"{skim_paths[sample]}: {int(merged['index'].isna().sum())} "
                f"analysis test jets of {sample!r} are not in the skim"
            )
        picked = jets[merged["index"].to_numpy(np.int64)]
        feats = trigger_features(
            picked["pfc_pt"], picked["pfc_eta"], picked["pfc_phi"], picked["pfc_mass"], **grooming
        )
        parts.append(
            merged[KEYS].assign(pt=ak.to_numpy(picked["fj_pt"]).astype(np.float64), **feats)
        )
    return pd.concat(parts, ignore_index=True)


def run_decisions(
    feature_paths,
    skim_paths,
    model_path,
    meta_path,
    train_path,
    trigger_test_path,
    scan_path,
    scan_scores,
    l1_path,
    grooming,
    hls_params,
    profile_jets,
    work_dir,
    output,
    summary_path,
    seed,
    threads=1,
) -> dict:
    """The emulated L1 decision of the chosen design for every jet of the analysis's feature
    tables ``feature_paths`` (``{split: path}``: the test split and the template split).

    Writes ``output`` (parquet: :data:`KEYS`, ``split``, ``l1_pt``, ``l1_score`` = emulated
    p_W + p_Z, ``l1_pass``) and a summary; checks that the jets also in the trigger test
    split get the scan's emulated outputs bit for bit.
    """

    parts = []
    for split, path in feature_paths.items():
        frame = read_table(path)
        models.require_columns(frame, KEYS, needed_by=f"the L1 decision table ({path})")
        parts.append(frame[KEYS].assign(split=split))
    keys = pd.concat(parts, ignore_index=True)
    table = analysis_trigger_features(keys[KEYS], skim_paths, grooming)
    table = table.merge(keys, on=KEYS, how="left", validate="one_to_one")
    summary_scan, l1_res = read_json(scan_path), read_json(l1_path)
    chosen = summary_scan["chosen"]
    point = next(p for p in summary_scan["points"] if p["name"] == chosen)
    _, keras = models.setup_keras(seed=seed, threads=threads)
    hls4ml = hls.import_hls4ml()
    p = {
        **hls.DEFAULT_HLS,
        **hls_params,
        "strategy": point["strategy"],
        "reuse_factor": point["reuse_factor"],
    }
    model = models.load_model(model_path, threads)
    prep = models.Preprocessor.from_dict(read_json(meta_path)["preprocessing"])
    x_prof = prep.transform(models.feature_matrix(read_table(train_path)))[: int(profile_jets)]
    qmodel, precision = scan.design_model(model, keras, point, x_prof, p["guard_bits"])
    config = hls.hls_config(hls4ml, qmodel, p, precision)
    project = Path(work_dir) / chosen
    if project.exists():
        shutil.rmtree(project)
    hls_model = hls.convert(hls4ml, qmodel, config, project, p)
    hls.compile_model(hls_model)
    probs = hls.emulate(hls_model, prep.transform(models.feature_matrix(table)))
    shutil.rmtree(Path(work_dir), ignore_errors=True)

    params = l1_res["params"]
    threshold = l1_res["designs"][chosen]["threshold"]
    score = w_z_score(probs, params["signal_classes"])
    out = table[[*KEYS, "split"]].copy()
    out["l1_pt"] = table["pt"].to_numpy()
    out["l1_score"] = score
    out["l1_pass"] = (out["l1_pt"] > float(params["pt_threshold"])) & (score >= threshold)
    write_table(out, output)

    trig = read_table(trigger_test_path)
    frame = pd.concat([read_table(s) for s in scan_scores], ignore_index=True)
    mine = frame[frame["point"] == chosen]
    ref = trig.loc[mine["row"].to_numpy(np.int64), KEYS].assign(
        ref=w_z_score(mine[PROB_COLUMNS].to_numpy(), params["signal_classes"])
    )
    both = out.merge(ref, on=KEYS, how="inner")
    check = {
        "jets": int(len(both)),
        "max_abs_diff": float(np.abs(both["l1_score"] - both["ref"]).max()) if len(both) else None,
    }
    summary = {
        "design": chosen,
        "threshold": threshold,
        "pt_threshold": params["pt_threshold"],
        "target_rate_khz": params["target_rate_khz"],
        "jets": int(len(out)),
        "pass_fraction": {
            f"{split}/{sample}": float(g["l1_pass"].mean())
            for (split, sample), g in out.groupby(["split", "sample"])
        },
        "check_against_scan": check,
    }
    write_json(summary_path, summary)
    log.info(
        "L1 decisions of %d analysis jets with %s: pass fractions %s; check %s",
        len(out),
        chosen,
        summary["pass_fraction"],
        check,
    )
    if check["jets"] and check["max_abs_diff"] > 1e-9:
        raise RuntimeError(
            f"the rebuilt design {chosen} differs from the scan's emulation "
            f"on {check['jets']} common jets: {check}"
        )
    return summary
