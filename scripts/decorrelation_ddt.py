"""Snakemake script: fit the DDT map of a tagger's score, save it, score the splits."""

from lhcml.decorrelation.workflow import train_ddt_and_score
from lhcml.logs import log_to_file
from lhcml.tables import SPLITS

log_to_file(snakemake.log[0])
train_ddt_and_score(
    tagger=snakemake.wildcards.mdtagger,
    base=snakemake.params.base,
    feature_paths={s: snakemake.input[s] for s in SPLITS},
    base_score_paths={s: snakemake.input[f"base_{s}"] for s in SPLITS},
    model_path=snakemake.output.model,
    meta_path=snakemake.output.meta,
    score_paths={s: snakemake.output[s] for s in SPLITS},
    params=snakemake.params.hyper,
    scan_dir=snakemake.output.scan,
    scan_bandwidths=snakemake.params.scan,
    scan_splits=snakemake.params.scan_splits,
)
