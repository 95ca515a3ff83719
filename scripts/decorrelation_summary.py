"""Snakemake script: R50 and 1/JSD of every tagger and scan point; the MD metrics."""

from lhcml.decorrelation import scan_points
from lhcml.decorrelation.workflow import summarise, write_summary
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
tagger_scores = dict(zip(params.taggers, inp.scores, strict=True))
md_metas = dict(zip(params.md_taggers, inp.metas, strict=True))
scans = {}
for (tagger, values), scan_dir in zip(params.scans.items(), inp.scan_dirs, strict=True):
    main = params.main_lambdas.get(tagger)  # a network's own lambda is a scan point
    scans[tagger] = scan_points(
        values,
        scan_dir,
        main,
        tagger_scores[tagger],
        md_metas[tagger],
        parameter=params.scan_parameters[tagger],
    )
summary, metrics = summarise(
    features_path=inp.features,
    tagger_scores=tagger_scores,
    md_taggers=md_metas,
    scans=scans,
    binning=params.binning,
    n_bootstrap=params.bootstrap,
    seed=params.seed,
    efficiencies=params.qcd_efficiencies,
    scan_parameters=params.scan_parameters,
)
write_summary(
    snakemake.output.summary,
    summary,
    dict(zip(params.md_taggers, snakemake.output.metrics, strict=True)),
    metrics,
)
