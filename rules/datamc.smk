# Data vs simulation (lhcml.datamc, docs/real-data.md): the role-data samples are
# featurised per sample (never part of the training split), scored by the taggers trained
# on simulation, and compared with the simulation in stacked histograms.
#
#   sample_features -> score_sample -> plot_datamc
#   results/features/samples/{sample}.parquet   results/scores/{dtagger}/samples/{sample}.parquet
#   results/plots/datamc/{variable}_{region}.{png,pdf}


include: "helpers/datamc.smk"


wildcard_constraints:
    dtagger="|".join(DATAMC_TAGGERS) or "(?!)",


rule sample_features:
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
        f"{RESULTS}/logs/features/samples/{{sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/features/samples/{{sample}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/sample_features.py"


rule score_sample:
    input:
        unpack(datamc_model),
        features=rules.sample_features.output.features,
        cutflow=rules.skim_sample.output.cutflow,
    output:
        scores=f"{RESULTS}/scores/{{dtagger}}/samples/{{sample}}.parquet",
    log:
        f"{RESULTS}/logs/score/{{dtagger}}/samples/{{sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/score/{{dtagger}}/samples/{{sample}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/score_sample.py"


rule plot_datamc:
    input:
        data_present=datamc_data_present,
        features=expand(rules.sample_features.output.features, sample=SAMPLES),
        scores=expand(rules.score_sample.output.scores, dtagger=DATAMC_TAGGERS, sample=SAMPLES),
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
        f"{RESULTS}/logs/plot_datamc.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_datamc.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/plot_datamc.py"


rule datamc:
    input:
        rules.plot_datamc.output,


if DATA:
    STAGE_OUTPUTS.extend(rules.datamc.input)
