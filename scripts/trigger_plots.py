"""Snakemake script: trigger ROC curves per class and accuracy vs BOPs."""

from lhcml.logs import log_to_file
from lhcml.trigger.plot_steps import plot

log_to_file(snakemake.log[0])
plot(
    test_path=snakemake.input.test,
    keras_scores=dict(zip(snakemake.params.models, snakemake.input.keras, strict=True)),
    hls_scores=dict(zip(snakemake.params.hls_models, snakemake.input.hls, strict=True)),
    metrics_path=snakemake.input.metrics,
    plot_dir=snakemake.params.plot_dir,
)
