# Stage 3: tagger input features and the train / validation / test split.


# Only simulated samples enter the training tables: collision data (role: data) is
# featurised per sample in rules/datamc.smk and never trains or calibrates a tagger.


rule build_features:
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
        f"{RESULTS}/logs/features.log",
    benchmark:
        f"{RESULTS}/benchmarks/features.tsv"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/features.py"


FEATURE_PLOTS = ["msd", "pt", "tau21", "tau32", "n2", "d2", "rho", "nconst"]


rule plot_features:
    input:
        rules.build_features.output.train,
        rules.build_features.output.val,
        rules.build_features.output.test,
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
        f"{RESULTS}/logs/plot_features.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_features.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/features.yaml"
    script:
        "../scripts/plot_features.py"


rule features:
    input:
        rules.build_features.output,
        rules.plot_features.output,


SUMMARY_INPUTS["features"] = [rules.build_features.output.summary]
STAGE_OUTPUTS.extend(rules.features.input)
