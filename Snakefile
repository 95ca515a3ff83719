# lhcml: a machine-learning analysis of LHC data, from generated (or real NanoAOD) events
# to published results. See README.md for how to run it and docs/architecture.md for the
# stages and the contract of each results file. Every stage has a named target rule (e.g. `snakemake skim`).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"


wildcard_constraints:
    sample="|".join(SAMPLES),
    chunk=r"\d+",


include: "rules/generate.smk"
include: "rules/skim.smk"
include: "rules/features.smk"
include: "rules/train.smk"
include: "rules/decorrelate.smk"
include: "rules/calo.smk"
include: "rules/trigger.smk"
include: "rules/datamc.smk"
include: "rules/inference.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.input,
