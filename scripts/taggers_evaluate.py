"""Snakemake script: AUC, R50 and their bootstrap errors of one tagger on the test split."""

from lhcml.logs import log_to_file
from lhcml.taggers.workflow import evaluate_tagger, write_metrics

log_to_file(snakemake.log[0])
metrics = evaluate_tagger(
    features_path=snakemake.input.features,
    scores_path=snakemake.input.scores,
    meta_path=snakemake.input.meta,
    n_bootstrap=snakemake.params.bootstrap,
    seed=snakemake.params.seed,
)
write_metrics(snakemake.output.metrics, metrics)
