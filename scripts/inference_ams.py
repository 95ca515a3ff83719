"""Snakemake script: the AMS scan of one tagger's cut; the best cut defines its pass region."""

from lhcml.inference.workflow import ams_working_point
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
ams_working_point(
    tagger=snakemake.wildcards.fittagger,
    features_path=snakemake.input.features,
    scores_path=snakemake.input.scores,
    pseudodata_meta=snakemake.input.pseudodata,
    lumi_fb=snakemake.params.lumi_fb,
    window=snakemake.params.window,
    efficiencies=snakemake.params.efficiencies,
    b_r=snakemake.params.b_r,
    min_background_jets=snakemake.params.min_background_jets,
    out=snakemake.output.ams,
)
