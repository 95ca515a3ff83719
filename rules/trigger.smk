# Branch: L1-trigger jet tagger on an FPGA (DESIGN.md section 5, lhcml.trigger).
#
#   trigger_features (sample) -> trigger_dataset -> trigger_train (model)
#   results/trigger/features/  results/trigger/dataset/  results/trigger/models/{model}/
#   -> trigger_profile (float) -> trigger_hls (model) -> trigger_evaluate -> trigger_plots
#      results/trigger/hls/     results/trigger/hls4ml_prj/{model}/
#      results/trigger/metrics.json   results/plots/trigger/
#
# Five classes (gluon, quark, W, Z, top) with the 16 hls4ml-benchmark features of
# mMDT-groomed jets; float Keras, QKeras and pruned networks 16-64-32-32-5; hls4ml
# conversion, compile() and bit-accurate emulation on the test split.


wildcard_constraints:
    tmodel="|".join(TRIGGER_MODELS),


rule trigger_features:
    input:
        jets=f"{RESULTS}/skim/{{sample}}.parquet",
    output:
        features=f"{TRIGGER_DIR}/features/{{sample}}.parquet",
    params:
        classes=TRIGGER["classes"],
        max_jets_per_class=TRIGGER["max_jets_per_class"],
        seed=config["seed"],
        grooming=TRIGGER["grooming"],
    log:
        f"{RESULTS}/logs/trigger/features_{{sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_features/{{sample}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_features.py"


rule trigger_dataset:
    input:
        samples_present=trigger_samples_present,
        features=expand(rules.trigger_features.output.features, sample=TRIGGER_SAMPLES),
    output:
        **TRIGGER_SPLITS,
        summary=f"{TRIGGER_DIR}/dataset/summary.json",
    params:
        split=config["features"]["split"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/trigger/dataset.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_dataset.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_dataset.py"


rule trigger_train:
    input:
        **TRIGGER_SPLITS,
    output:
        model=f"{TRIGGER_DIR}/models/{{tmodel}}/model.h5",
        meta=f"{TRIGGER_DIR}/models/{{tmodel}}/meta.json",
        scores=f"{TRIGGER_DIR}/scores/{{tmodel}}/keras.parquet",
    params:
        network=TRIGGER["network"],
        quantisation=TRIGGER["qkeras"],
        pruning=TRIGGER["pruning"],
        clip=TRIGGER["clip"],
        seed=TRIGGER["seed"],
    log:
        f"{RESULTS}/logs/trigger/train_{{tmodel}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_train/{{tmodel}}.tsv"
    threads: TRIGGER["threads"]
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_train.py"


rule trigger_profile:
    input:
        model=f"{TRIGGER_DIR}/models/{{tmodel}}/model.h5",
        meta=f"{TRIGGER_DIR}/models/{{tmodel}}/meta.json",
        train=TRIGGER_SPLITS["train"],
    output:
        precision=f"{TRIGGER_DIR}/hls/{{tmodel}}.profile.json",
        pdf=f"{TRIGGER_PLOTS}/profiling_{{tmodel}}.pdf",
        png=report(
            f"{TRIGGER_PLOTS}/profiling_{{tmodel}}.png",
            caption="../report/trigger_profiling.rst",
            category="Trigger",
            subcategory="hls4ml",
        ),
    wildcard_constraints:
        tmodel="|".join(TRIGGER_PROFILED) or "none",
    params:
        hls=TRIGGER["hls"],
    log:
        f"{RESULTS}/logs/trigger/profile_{{tmodel}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_profile/{{tmodel}}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_profile.py"


# hls4ml writes and compiles (g++, tens of seconds) the project, then emulates the test set.
rule trigger_hls:
    input:
        unpack(trigger_hls_input),
    output:
        project=directory(f"{TRIGGER_DIR}/hls4ml_prj/{{tmodel}}"),
        scores=f"{TRIGGER_DIR}/scores/{{tmodel}}/hls4ml.parquet",
        result=f"{TRIGGER_DIR}/hls/{{tmodel}}.json",
    params:
        hls=TRIGGER["hls"],
        seed=TRIGGER["seed"],
    log:
        f"{RESULTS}/logs/trigger/hls_{{tmodel}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_hls/{{tmodel}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_hls.py"


rule trigger_evaluate:
    input:
        test=TRIGGER_SPLITS["test"],
        dataset=rules.trigger_dataset.output.summary,
        metas=expand(rules.trigger_train.output.meta, tmodel=TRIGGER_MODELS),
        keras=expand(rules.trigger_train.output.scores, tmodel=TRIGGER_MODELS),
        hls=expand(rules.trigger_hls.output.scores, tmodel=TRIGGER_HLS_MODELS),
        results=expand(rules.trigger_hls.output.result, tmodel=TRIGGER_HLS_MODELS),
    output:
        metrics=f"{TRIGGER_DIR}/metrics.json",
    params:
        models=TRIGGER_MODELS,
        hls_models=TRIGGER_HLS_MODELS,
    log:
        f"{RESULTS}/logs/trigger/evaluate.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_evaluate.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_evaluate.py"


rule trigger_plots:
    input:
        test=TRIGGER_SPLITS["test"],
        metrics=rules.trigger_evaluate.output.metrics,
        keras=expand(rules.trigger_train.output.scores, tmodel=TRIGGER_MODELS),
        hls=expand(rules.trigger_hls.output.scores, tmodel=TRIGGER_HLS_MODELS),
    output:
        **trigger_plot_outputs(),
    params:
        models=TRIGGER_MODELS,
        hls_models=TRIGGER_HLS_MODELS,
        plot_dir=lambda w, output: os.path.dirname(output.bops_pdf),
    log:
        f"{RESULTS}/logs/trigger/plots.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_plots.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_plots.py"


rule trigger:
    input:
        rules.trigger_evaluate.output.metrics,
        rules.trigger_plots.output,
        expand(rules.trigger_profile.output, tmodel=TRIGGER_PROFILED),
        expand(rules.trigger_hls.output.project, tmodel=TRIGGER_HLS_MODELS),


SUMMARY_INPUTS["trigger"] = [rules.trigger_evaluate.output.metrics]
STAGE_OUTPUTS.extend(rules.trigger.input)
