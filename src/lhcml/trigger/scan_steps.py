"""The design-space scan's workflow step (scripts/trigger_scan.py): it needs da4ml's
estimates (:mod:`lhcml.trigger.estimates`), which the other trigger jobs do not."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import pandas as pd

from lhcml.io import read_json, write_json
from lhcml.trigger import estimates, hls, metrics, models
from lhcml.trigger.workflow import PROB_COLUMNS, emulation_rows, read_table, write_table

log = logging.getLogger("lhcml.trigger")


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
        qmodel, precision = models.design_model(model, keras, point, x_prof, p["guard_bits"])
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
        est = estimates.estimates(qmodel, precision, point)
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
