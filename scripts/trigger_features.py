"""Snakemake script: the 16 trigger features of one sample's jets (lhcml.trigger)."""

from lhcml.logs import log_to_file
from lhcml.trigger.workflow import build_sample_features

log_to_file(snakemake.log[0])
build_sample_features(
    skim_path=snakemake.input.jets,
    sample=snakemake.wildcards.sample,
    classes=snakemake.params.classes,
    max_jets_per_class=snakemake.params.max_jets_per_class,
    seed=snakemake.params.seed,
    grooming=snakemake.params.grooming,
    output=snakemake.output.features,
)
