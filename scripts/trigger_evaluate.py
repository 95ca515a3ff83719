"""Snakemake script: results/trigger/metrics.json (accuracy, AUCs, agreement, BOPs)."""

from lhcml.logs import log_to_file
from lhcml.trigger.workflow import evaluate

log_to_file(snakemake.log[0])
models, hls_models = snakemake.params.models, snakemake.params.hls_models
evaluate(
    test_path=snakemake.input.test,
    dataset_path=snakemake.input.dataset,
    keras_models={
        m: {"meta": meta, "scores": scores}
        for m, meta, scores in zip(
            models, snakemake.input.metas, snakemake.input.keras, strict=True
        )
    },
    hls_models={
        m: {"scores": scores, "result": result}
        for m, scores, result in zip(
            hls_models, snakemake.input.hls, snakemake.input.results, strict=True
        )
    },
    output=snakemake.output.metrics,
)
