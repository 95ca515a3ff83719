# Stage 3: tagger input features and the train / validation / test split.


# Only simulated samples enter the training tables: collision data (role: data) is
# featurised per sample in rules/datamc.smk and never trains or calibrates a tagger.


rule features_build:
    input:
        jets=expand(rules.skim_sample.output.jets, sample=SIMULATED),
        cutflows=expand(rules.skim_sample.output.cutflow, sample=SIMULATED),
    output:
        train=f"{RESULTS}/features/train.parquet",
        val=f"{RESULTS}/features/val.parquet",
        test=f"{RESULTS}/features/test.parquet",
        summary=f"{RESULTS}/features/summary.json",
    params:
        samples=SIMULATED,
        roles={s: config["samples"][s]["role"] for s in SIMULATED},
        needs=lambda w: tagger_feature_needs(),
        n_constituents=config["features"]["n_constituents"],
        split=config["features"]["split"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/features/build.log",
    benchmark:
        f"{RESULTS}/benchmarks/features_build.tsv"
    threads: 1
    priority: PRIORITY_LONG
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/features_build.py"


FEATURE_PLOTS = ["msd", "pt", "tau21", "tau32", "n2", "d2", "rho", "nconst"]


rule features_plots:
    input:
        rules.features_build.output.train,
        rules.features_build.output.val,
        rules.features_build.output.test,
    output:
        report(
            expand(f"{RESULTS}/plots/features/{{var}}.png", var=FEATURE_PLOTS),
            caption="../report/features.rst",
            category="Features",
        ),
        expand(f"{RESULTS}/plots/features/{{var}}.pdf", var=FEATURE_PLOTS),
    params:
        lumi_fb=config["lumi_fb"],
    log:
        f"{RESULTS}/logs/features/plots.log",
    benchmark:
        f"{RESULTS}/benchmarks/features_plots.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/features_plots.py"


rule features:
    input:
        rules.features_build.output,
        rules.features_plots.output,


SUMMARY_INPUTS["features"] = [rules.features_build.output.summary]
STAGE_OUTPUTS.extend(rules.features.input)
