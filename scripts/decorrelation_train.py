"""Snakemake script: train an adversarial or DisCo tagger, save it, score the splits."""

from lhcml.decorrelation.workflow import train_network_and_score
from lhcml.logs import log_to_file
from lhcml.tables import SPLITS

log_to_file(snakemake.log[0])
out = snakemake.output
train_network_and_score(
    tagger=snakemake.wildcards.mdtagger,
    method=snakemake.params.method,
    feature_paths={s: snakemake.input[s] for s in SPLITS},
    model_path=out.model,
    meta_path=out.meta,
    score_paths={s: out[s] for s in SPLITS},
    features=snakemake.params.features,
    params=snakemake.params.hyper,
    lam=snakemake.params.lam,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    scan_dir=out.scan,
    scan_lambdas=snakemake.params.scan,
    scan_splits=snakemake.params.scan_splits,
)
