# Stage 4: boosted W/Z vs QCD taggers (DESIGN.md section 3.3, lhcml.taggers).
#
#   train_{bdt,dnn,deepsets,cutbased} -> score_tagger -> evaluate_tagger -> plot_taggers
#   results/models/{tagger}/   results/scores/{tagger}/{split}.parquet
#   results/metrics/{tagger}.json   results/plots/taggers/
#
# Training uses the train split (early stopping on val); metrics and plots use the test
# split only. Scoring is its own step, so later stages read scores and never retrain.

wildcard_constraints:
    tagger="|".join(TAGGERS),


rule train_bdt:
    input:
        train=FEATURE_TABLES["train"],
        val=FEATURE_TABLES["val"],
    output:
        model=f"{RESULTS}/models/bdt/model.json",
        meta=f"{RESULTS}/models/bdt/meta.json",
    params:
        tagger="bdt",
        features=TRAIN["features"],
        hyper=TRAIN["bdt"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/train/bdt.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/bdt.tsv"
    threads: TRAIN["threads"]
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/train_tagger.py"


rule train_dnn:
    input:
        train=FEATURE_TABLES["train"],
        val=FEATURE_TABLES["val"],
    output:
        model=f"{RESULTS}/models/dnn/model.keras",
        meta=f"{RESULTS}/models/dnn/meta.json",
    params:
        tagger="dnn",
        features=TRAIN["features"],
        hyper=TRAIN["dnn"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/train/dnn.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/dnn.tsv"
    threads: TRAIN["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/train_tagger.py"


rule train_deepsets:
    input:
        train=FEATURE_TABLES["train"],
        val=FEATURE_TABLES["val"],
    output:
        model=f"{RESULTS}/models/deepsets/model.keras",
        meta=f"{RESULTS}/models/deepsets/meta.json",
    params:
        tagger="deepsets",
        features=TRAIN["features"],
        hyper=TRAIN["deepsets"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/train/deepsets.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/deepsets.tsv"
    threads: TRAIN["threads"]
    resources:
        mem_mb=6000,
        runtime=120,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/train_tagger.py"


# The cut-based baselines fit nothing; the "model" records the variable (score = -variable).
rule train_cutbased:
    input:
        train=FEATURE_TABLES["train"],
        val=FEATURE_TABLES["val"],
    output:
        model=f"{RESULTS}/models/{{tagger}}/model.json",
        meta=f"{RESULTS}/models/{{tagger}}/meta.json",
    wildcard_constraints:
        tagger="|".join(CUT_TAGGERS),
    params:
        tagger=lambda w: w.tagger,
        features=[],
        hyper={},
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/train/{{tagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{tagger}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/train_tagger.py"


rule score_tagger:
    input:
        unpack(tagger_model),
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
        **({"bdt_meta": rules.train_bdt.output.meta} if "bdt" in TAGGERS else {}),
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
