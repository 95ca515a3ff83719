"""L1 trigger tagger inference: hls4ml's bit-accurate C++ emulation of the firmware
(``hls_model.predict``) vs the Keras / QKeras model it was converted from
(``model.predict``, batches of 4096), on the whole trigger test split, per model in
``trigger.hls_models``.

The trained models of ``make run`` (results/trigger/models/{model}/) are converted with the
same hls4ml configuration as the trigger_hls rule (:mod:`lhcml.trigger.hls`; the float
model with its profiled types, results/trigger/hls/{model}.profile.json) into a temporary
directory and compiled once; conversion and g++ compilation are reported separately, not
counted as inference. The argmax agreement of the two outputs is given beside the times."""

from __future__ import annotations

import os
import tempfile
import time

import yaml
from common import median_seconds, table

from lhcml.io import read_json
from lhcml.trigger import hls, metrics, models
from lhcml.trigger.workflow import read_table

TITLE = "L1 trigger inference: hls4ml emulation vs Keras/QKeras"


def inputs(trigger_dir: str, name: str) -> dict:
    """The files one model's benchmark reads (the trigger_hls rule's inputs)."""
    folder = os.path.join(trigger_dir, "models", name)
    out = {"model": os.path.join(folder, "model.h5"), "meta": os.path.join(folder, "meta.json")}
    if name.startswith("float"):  # trigger_profile's types (rules/common.smk TRIGGER_PROFILED)
        out["precision"] = os.path.join(trigger_dir, "hls", f"{name}.profile.json")
    return out


def bench_model(hls4ml, name, files, test_path, params, threads, repeats, workdir) -> dict:
    """Convert and compile one model, then median times of both inferences on the test set."""
    model = models.load_model(files["model"], threads)
    prep = models.Preprocessor.from_dict(read_json(files["meta"])["preprocessing"])
    x = prep.transform(models.feature_matrix(read_table(test_path)))
    precisions = read_json(files["precision"])["precision"] if "precision" in files else None
    config = hls.hls_config(hls4ml, model, params, precisions)
    start = time.perf_counter()
    hls_model = hls.convert(hls4ml, model, config, os.path.join(workdir, name), params)
    convert_s = time.perf_counter() - start
    compile_s = hls.compile_model(hls_model)
    hls.emulate(hls_model, x[:1])  # untimed warm-up of both
    models.predict(model, x[:1])
    t_hls, _, emulated = median_seconds(lambda: hls.emulate(hls_model, x), repeats)
    t_keras, _, keras_out = median_seconds(lambda: models.predict(model, x), repeats)
    return {
        "model": name, "jets": int(len(x)),
        "hls4ml_emulation_seconds": t_hls, "keras_predict_seconds": t_keras,
        "ratio": t_hls / t_keras, "convert_seconds": convert_s, "compile_seconds": compile_s,
        "argmax_agreement": metrics.agreement(keras_out, emulated)["argmax_agreement"],
    }  # fmt: skip


def run(args) -> dict | None:
    with open(args.config) as f:
        cfg = yaml.safe_load(f)["trigger"]
    trigger_dir = os.path.join(args.results, "trigger")
    test_path = os.path.join(trigger_dir, "dataset", "test.parquet")
    files = {name: inputs(trigger_dir, name) for name in cfg["hls_models"]}
    needed = [test_path, *(p for f in files.values() for p in f.values())]
    if not cfg["hls_models"] or not all(os.path.exists(p) for p in needed):
        return None
    threads = cfg.get("threads", 1)
    tf, _ = models.setup_keras(seed=cfg.get("seed"), threads=threads)  # before hls4ml
    hls4ml = hls.import_hls4ml()
    params = {**hls.DEFAULT_HLS, **cfg.get("hls", {})}
    with tempfile.TemporaryDirectory(prefix="lhcml-bench-hls-") as workdir:
        rows = [bench_model(hls4ml, name, f, test_path, params, threads, args.repeats, workdir)
                for name, f in files.items()]  # fmt: skip
    tf_threads = tf.config.threading.get_intra_op_parallelism_threads()
    result = {"threads": tf_threads, "backend": params["backend"], "rows": rows}
    lines = [
        f"{rows[0]['jets']} test jets per call; TensorFlow with {tf_threads} thread(s), the "
        f"emulation single-threaded; {params['backend']} backend, {params['io_type']}; medians "
        f"of {args.repeats} calls after a warm-up.",
        "",
        *table(
            [
                "model",
                "hls4ml emulation s",
                "(Q)Keras predict s",
                "emulation / Keras",
                "argmax agreement",
            ],
            [
                [
                    r["model"],
                    r["hls4ml_emulation_seconds"],
                    r["keras_predict_seconds"],
                    r["ratio"],
                    r["argmax_agreement"],
                ]
                for r in rows
            ],
        ),
        "",
        "Building the emulation, once per model (not inference): "
        + "; ".join(
            f"{r['model']}: convert {r['convert_seconds']:.1f} s, compile (g++) "
            f"{r['compile_seconds']:.1f} s"
            for r in rows
        )
        + ".",
    ]
    return {"title": TITLE, "results": result, "lines": lines}
