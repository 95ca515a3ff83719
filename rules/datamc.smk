# Data vs simulation (lhcml.datamc, docs/real-data.md): the role-data samples are
# featurised per sample (never part of the training split), scored by the taggers trained
# on simulation, and compared with the simulation in stacked histograms.
#
#   datamc_features -> datamc_score -> datamc_plots
#   results/features/samples/{sample}.parquet   results/scores/{dtagger}/samples/{sample}.parquet
#   results/plots/datamc/{variable}_{region}.{png,pdf}


include: "helpers/datamc.smk"


wildcard_constraints:
    dtagger="|".join(DATAMC_TAGGERS) or "(?!)",


rule datamc_features:
    input:
        jets=rules.skim_sample.output.jets,
    output:
        features=f"{RESULTS}/features/samples/{{sample}}.parquet",
    params:
        role=lambda w: config["samples"][w.sample]["role"],
        n_constituents=config["features"]["n_constituents"],
        split=config["features"]["split"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/datamc/features/{{sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/datamc_features/{{sample}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/datamc_features.py"


rule datamc_score:
    input:
        unpack(datamc_model),
        features=rules.datamc_features.output.features,
        cutflow=rules.skim_sample.output.cutflow,
    output:
        scores=f"{RESULTS}/scores/{{dtagger}}/samples/{{sample}}.parquet",
    log:
        f"{RESULTS}/logs/datamc/score/{{dtagger}}/{{sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/datamc_score/{{dtagger}}/{{sample}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/datamc_score.py"


rule datamc_plots:
    input:
        data_present=datamc_data_present,
        features=expand(rules.datamc_features.output.features, sample=SAMPLES),
        scores=expand(rules.datamc_score.output.scores, dtagger=DATAMC_TAGGERS, sample=SAMPLES),
    output:
        png=[
            report(
                f"{DATAMC_PLOTS}/{name}.png",
                caption="../report/datamc.rst",
                category="Data vs simulation",
                subcategory=datamc_region(name),
            )
            for name in DATAMC_PLOT_NAMES
        ],
        pdf=[f"{DATAMC_PLOTS}/{name}.pdf" for name in DATAMC_PLOT_NAMES],
    params:
        samples=SAMPLES,
        data=DATA,
        taggers=DATAMC_TAGGERS,
        data_lumi_fb=data_lumi_fb(),
        lumi_fb=config["lumi_fb"],
        test_fraction=config["features"]["split"]["test"],
        working_points=DATAMC["working_points"],
        test_split_only=DATAMC_TRAINED_HERE,
    log:
        f"{RESULTS}/logs/datamc/plots.log",
    benchmark:
        f"{RESULTS}/benchmarks/datamc_plots.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/datamc_plots.py"


rule datamc:
    input:
        rules.datamc_plots.output,


if DATA:
    STAGE_OUTPUTS.extend(rules.datamc.input)
