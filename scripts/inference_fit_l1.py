"""Snakemake script: one tagger's measurement with the emulated L1 trigger applied upstream."""

from lhcml.inference.measurement import measure_tagger
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
inp = snakemake.input
jes = None
if hasattr(inp, "jes_features_up"):  # named inputs present only when jes > 0
    jes = {d: (inp[f"jes_features_{d}"], inp[f"jes_scores_{d}"]) for d in ("up", "down")}
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
    l1=inp.l1,
)
