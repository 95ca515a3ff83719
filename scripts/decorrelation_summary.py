"""Snakemake script: R50 and 1/JSD of every tagger and lambda-scan point; MD metrics."""

from lhcml.decorrelation.workflow import summarise, write_summary
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
scans = {}
for method, lams in params.scans.items():
    files = inp[f"scan_{method}"]  # (scores, meta) per lambda
    scans[method] = [(float(lam), files[2 * i], files[2 * i + 1]) for i, lam in enumerate(lams)]
summary, metrics = summarise(
    features_path=inp.features,
    tagger_scores=dict(zip(params.taggers, inp.scores, strict=True)),
    md_taggers=dict(zip(params.md_taggers, inp.metas, strict=True)),
    scans=scans,
    binning=params.binning,
    n_bootstrap=params.bootstrap,
    seed=params.seed,
    efficiencies=params.qcd_efficiencies,
)
write_summary(
    snakemake.output.summary,
    summary,
    dict(zip(params.md_taggers, snakemake.output.metrics, strict=True)),
    metrics,
)
