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
include: "rules/taggers.smk"
include: "rules/decorrelation.smk"
include: "rules/calo.smk"
include: "rules/trigger.smk"
include: "rules/datamc.smk"
include: "rules/inference.smk"
include: "rules/report.smk"


# Jobs that only read and write a few small JSON/CSV files run in the Snakemake process's
# machine, never as cluster jobs: a queue wait would cost more than the job.
localrules:
    report_benchmarks,
    report_summary,
    report_page,
    inference_summary,
    trigger_scan_summary,


rule all:
    default_target: True
    input:
        rules.report.input,
