"""Snakemake script: the binned measurement of one tagger (fit, impacts, toys, scans).

Serves rules inference_fit (with the closure fits on the test split) and inference_fit_l1
(input ``l1``: the emulated L1 trigger applied upstream, no closure fits)."""

from lhcml.inference.measurement import measure_tagger
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
inp = snakemake.input
jes = None
if hasattr(inp, "jes_features_up"):  # named inputs present only when jes > 0
    jes = {d: (inp[f"jes_features_{d}"], inp[f"jes_scores_{d}"]) for d in ("up", "down")}
closure = None
if hasattr(inp, "test_features"):
    closure = {
        "features": inp.test_features,
        "scores": inp.test_scores,
        "pseudodata": inp.pseudodata,
    }
measure_tagger(
    tagger=snakemake.wildcards.fittagger,
    template_features=inp.template_features,
    template_scores=inp.template_scores,
    pseudodata_meta=inp.pseudodata_meta,
    ams_path=inp.ams,
    cfg=snakemake.params.cfg,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    out_fit=snakemake.output.fit,
    out_impacts=snakemake.output.impacts,
    out_toys=snakemake.output.toys,
    out_curves=snakemake.output.curves,
    jes=jes,
    closure=closure,
    l1=getattr(inp, "l1", None),
)
