"""Snakemake script: the fits of a decorrelated tagger's scan points (AMS cut, model, fits)."""

from lhcml.decorrelation import scan_points
from lhcml.inference.scanfit import scan_fits
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
points = scan_points(
    params.values,
    inp.scan_dir,
    main_value=params.main_value,
    main_scores=inp.main_scores,
    parameter=params.parameter,
    split=params.split,
)
scan_fits(
    tagger=snakemake.wildcards.mdtagger,
    parameter=params.parameter,
    points=[(value, scores) for value, scores, _ in points],
    features_path=inp.features,
    pseudodata_meta=inp.pseudodata,
    cfg=params.cfg,
    ams=params.ams,
    seed=params.seed,
    threads=snakemake.threads,
    out=snakemake.output.scan,
)
