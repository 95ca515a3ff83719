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
from lhcml.tables import read_parquet
from lhcml.trigger import bops as bops_mod
from lhcml.trigger import dataset, hls, metrics, models, pruning
from lhcml.trigger.features import TRIGGER_FEATURES, trigger_features

log = logging.getLogger("lhcml.trigger")

CLASSES = dataset.CLASSES
PROB_COLUMNS = [f"p_{c}" for c in CLASSES]


def read_table(path) -> pd.DataFrame:
    """A parquet table, with an error naming the file if it cannot be read (read by
    pyarrow from the path: see :func:`lhcml.tables.read_parquet`)."""
    try:
        return pq.read_table(os.fspath(path)).to_pandas()
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
        jets = read_parquet(skim_path)
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


def class_targets(table) -> np.ndarray:
    """The class index (0 .. len(CLASSES) - 1) of every jet of a trigger table."""
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
    y = {s: class_targets(t) for s, t in tables.items()}
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
    target = class_targets(read_table(test_path))
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


# --- Design-space scan (lhcml.trigger.scan) -------------------------------------------------


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


# --- L1 rate and efficiency (lhcml.trigger.l1) ----------------------------------------------


def w_z_score(probs: np.ndarray, signal_classes) -> np.ndarray:
    """The W/Z score: the sum of the signal classes' softmax outputs."""
    return probs[:, [CLASSES.index(c) for c in signal_classes]].sum(axis=1)


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
        jets = read_parquet(skim_paths[sample])
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
    qmodel, precision = models.design_model(model, keras, point, x_prof, p["guard_bits"])
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
