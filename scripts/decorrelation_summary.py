"""Snakemake script: R50 and 1/JSD of every tagger and lambda-scan point; MD metrics."""

from lhcml.decorrelation.workflow import scan_points, summarise, write_summary
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
tagger_scores = dict(zip(params.taggers, inp.scores, strict=True))
md_metas = dict(zip(params.md_taggers, inp.metas, strict=True))
scans = {
    method: scan_points(
        lams, scan_dir, params.main_lambdas[method], tagger_scores[method], md_metas[method]
    )
    for (method, lams), scan_dir in zip(params.scans.items(), inp.scan_dirs, strict=True)
}
summary, metrics = summarise(
    features_path=inp.features,
    tagger_scores=tagger_scores,
    md_taggers=md_metas,
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
