"""Snakemake script: score one sample's feature table with a trained tagger."""

from lhcml.features.availability import check_features_available
from lhcml.io import read_json
from lhcml.logs import log_to_file
from lhcml.taggers.workflow import score_splits

log_to_file(snakemake.log[0])
meta = read_json(snakemake.input.meta)
check_features_available(
    {snakemake.wildcards.sample: snakemake.input.cutflow},
    {snakemake.wildcards.dtagger: meta["inputs"]},
)
score_splits(
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    feature_paths={"sample": snakemake.input.features},
    output_paths={"sample": snakemake.output.scores},
    threads=snakemake.threads,
)
