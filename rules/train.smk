# Stage 4: boosted W/Z vs QCD taggers (docs/physics.md "Taggers", lhcml.taggers).
#
#   train_tagger -> score_tagger -> evaluate_tagger -> plot_taggers
#   results/models/{tagger}/{model/,meta.json}   results/scores/{tagger}/{split}.parquet
#   results/metrics/{tagger}.json   results/plots/taggers/
#
# Training uses the train split (early stopping on val); metrics and plots use the test
# split only. Scoring is its own step, so later stages read scores and never retrain.


include: "helpers/train.smk"


wildcard_constraints:
    tagger="|".join(TAGGERS),


rule train_tagger:
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
        f"{RESULTS}/logs/train/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{tagger}}.tsv"
    threads: lambda w: TRAIN["threads"] if w.tagger in ML_TAGGERS else 1
    resources:
        mem_mb=lambda w: TRAIN_MEM_MB.get(w.tagger, 2000),
        runtime=lambda w: TRAIN_RUNTIME.get(w.tagger, 10),
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/train_tagger.py"


rule score_tagger:
    input:
        model=rules.train_tagger.output.model,
        meta=rules.train_tagger.output.meta,
        **FEATURE_TABLES,
    output:
        **{s: f"{RESULTS}/scores/{{tagger}}/{s}.parquet" for s in SPLITS},
    log:
        f"{RESULTS}/logs/score/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/score/{{tagger}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/score_tagger.py"


rule evaluate_tagger:
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
        f"{RESULTS}/logs/evaluate/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{tagger}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/evaluate_tagger.py"


# One job for all plots: each plotting process pays for importing matplotlib and awkward.
rule plot_taggers:
    input:
        metrics=expand(rules.evaluate_tagger.output.metrics, tagger=TAGGERS),
        scores=expand(rules.evaluate_tagger.input.scores, tagger=TAGGERS),
        features=FEATURE_TABLES["test"],
        **({"bdt_meta": f"{RESULTS}/models/bdt/meta.json"} if "bdt" in TAGGERS else {}),
    output:
        **plot_outputs(),
    params:
        taggers=TAGGERS,
        msd_range=[config["skim"]["msoftdrop_min"], config["skim"]["msoftdrop_max"]],
    log:
        f"{RESULTS}/logs/plots/taggers.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_taggers.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/plot_taggers.py"


rule train:
    input:
        expand(rules.evaluate_tagger.output.metrics, tagger=TAGGERS),
        rules.plot_taggers.output,


# Scores of every tagger on every split: what later stages read instead of retraining.
rule scores:
    input:
        expand(rules.score_tagger.output, tagger=TAGGERS),


SUMMARY_INPUTS["train"] = expand(rules.evaluate_tagger.output.metrics, tagger=TAGGERS)
STAGE_OUTPUTS.extend(rules.train.input)
STAGE_OUTPUTS.extend(rules.scores.input)
