# Stage 4: boosted W/Z vs QCD taggers (docs/physics.md "Taggers", lhcml.taggers).
#
#   taggers_train -> taggers_score -> taggers_evaluate -> taggers_plots
#   results/models/{tagger}/{model/,meta.json}   results/scores/{tagger}/{split}.parquet
#   results/metrics/{tagger}.json   results/plots/taggers/
#
# Training uses the train split (early stopping on val); metrics and plots use the test
# split only. Scoring is its own step, so later stages read scores and never retrain.


include: "helpers/taggers.smk"


wildcard_constraints:
    tagger="|".join(TAGGERS),


rule taggers_train:
    input:
        train=FEATURE_TABLES["train"],
        val=FEATURE_TABLES["val"],
    output:
        model=directory(f"{RESULTS}/models/{{tagger}}/model"),
        meta=f"{RESULTS}/models/{{tagger}}/meta.json",
    params:
        tagger=lambda w: w.tagger,
        features=lambda w: train_params(w.tagger)["features"],
        hyper=lambda w: train_params(w.tagger)["hyper"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/taggers/train/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/taggers_train/{{tagger}}.tsv"
    group:
        "tagger"
    threads: lambda w: TRAIN["threads"] if w.tagger in ML_TAGGERS else 1
    priority: PRIORITY_LONG
    resources:
        mem_mb=lambda w: TRAIN_MEM_MB.get(w.tagger, 2000),
        runtime=lambda w: TRAIN_RUNTIME.get(w.tagger, 10),
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/taggers_train.py"


rule taggers_score:
    input:
        model=rules.taggers_train.output.model,
        meta=rules.taggers_train.output.meta,
        **FEATURE_TABLES,
    output:
        **{s: f"{RESULTS}/scores/{{tagger}}/{s}.parquet" for s in SPLITS},
    log:
        f"{RESULTS}/logs/taggers/score/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/taggers_score/{{tagger}}.tsv"
    group:
        "tagger"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/taggers_score.py"


rule taggers_evaluate:
    input:
        features=FEATURE_TABLES["test"],
        scores=f"{RESULTS}/scores/{{tagger}}/test.parquet",
        meta=f"{RESULTS}/models/{{tagger}}/meta.json",
    output:
        metrics=f"{RESULTS}/metrics/{{tagger}}.json",
    params:
        bootstrap=TRAIN["bootstrap"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/taggers/evaluate/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/taggers_evaluate/{{tagger}}.tsv"
    group:
        "tagger"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/taggers_evaluate.py"


# One job for all plots: each plotting process pays for importing matplotlib and awkward.
rule taggers_plots:
    input:
        metrics=expand(rules.taggers_evaluate.output.metrics, tagger=TAGGERS),
        scores=expand(rules.taggers_evaluate.input.scores, tagger=TAGGERS),
        features=FEATURE_TABLES["test"],
        **({"bdt_meta": f"{RESULTS}/models/bdt/meta.json"} if "bdt" in TAGGERS else {}),
    output:
        **plot_outputs(),
    params:
        taggers=TAGGERS,
        msd_range=[config["skim"]["msoftdrop_min"], config["skim"]["msoftdrop_max"]],
    log:
        f"{RESULTS}/logs/taggers/plots.log",
    benchmark:
        f"{RESULTS}/benchmarks/taggers_plots.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/taggers_plots.py"


# The stage's target: every tagger's metrics and plots, and its scores on every split (what
# later stages read instead of retraining).
rule taggers:
    input:
        expand(rules.taggers_evaluate.output.metrics, tagger=TAGGERS),
        expand(rules.taggers_score.output, tagger=TAGGERS),
        rules.taggers_plots.output,


SUMMARY_INPUTS["taggers"] = expand(rules.taggers_evaluate.output.metrics, tagger=TAGGERS)
STAGE_OUTPUTS.extend(rules.taggers.input)
