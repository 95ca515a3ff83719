# Branch: L1-trigger jet tagger on an FPGA (docs/trigger.md, lhcml.trigger).
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


include: "helpers/trigger.smk"


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
    priority: PRIORITY_LONGEST
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
    priority: PRIORITY_LONGEST
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
    priority: PRIORITY_LONGEST
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
    priority: PRIORITY_LONG
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
    priority: PRIORITY_LONG
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


# --- Design-space scan, BDT on the FPGA, L1 rate (lhcml.trigger.scan, .bdt, .l1) ---------
#
#   trigger_scan (group) -> trigger_scan_summary -> trigger_l1 -> trigger_decisions
#   results/trigger/scan/   results/trigger/l1.json   results/trigger/l1_decisions.parquet
#   trigger_bdt: results/trigger/bdt/ (xgboost, conifer C++ emulation)

from lhcml.trigger.scan import design_points, group_points  # noqa: E402

if "float" not in TRIGGER_MODELS:
    raise WorkflowError(
        "invalid configuration: config key 'trigger.models': the design-space scan starts "
        "from the float model, add 'float'"
    )
try:
    TRIGGER_SCAN_GROUPS = group_points(
        design_points(TRIGGER["scan"]), TRIGGER["scan"]["groups"]
    )
except ValueError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None
TRIGGER_SCAN_DIR = f"{TRIGGER_DIR}/scan"
# the analysis's jets that get an L1 decision: pseudo-data (test) and templates
TRIGGER_DECISION_SPLITS = ["test", config["inference"]["template_split"]]
TRIGGER_FLOAT = f"{TRIGGER_DIR}/models/float"
TRIGGER_BG_SAMPLE = sorted(
    {TRIGGER["classes"][c]["sample"] for c in TRIGGER["l1"]["background_classes"]}
)[0]


# Each job loads TensorFlow and the float model once and compiles its points (g++, tens of
# seconds each); the groups run in parallel.
rule trigger_scan:
    input:
        model=f"{TRIGGER_FLOAT}/model.h5",
        meta=f"{TRIGGER_FLOAT}/meta.json",
        train=TRIGGER_SPLITS["train"],
        test=TRIGGER_SPLITS["test"],
    output:
        result=f"{TRIGGER_SCAN_DIR}/group{{group}}.json",
        scores=f"{TRIGGER_SCAN_DIR}/group{{group}}.parquet",
    params:
        points=lambda w: TRIGGER_SCAN_GROUPS[int(w.group)],
        hls=TRIGGER["hls"],
        profile_jets=TRIGGER["scan"]["profile_jets"],
        work_dir=lambda w: f"{TRIGGER_SCAN_DIR}/.work{w.group}",
        seed=TRIGGER["seed"],
    wildcard_constraints:
        group=r"\d+",
    log:
        f"{RESULTS}/logs/trigger/scan_{{group}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_scan/{{group}}.tsv"
    threads: 1
    priority: PRIORITY_LONGEST
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_scan.py"


rule trigger_scan_summary:
    input:
        test=TRIGGER_SPLITS["test"],
        float_meta=f"{TRIGGER_FLOAT}/meta.json",
        float_scores=f"{TRIGGER_DIR}/scores/float/keras.parquet",
        metrics=rules.trigger_evaluate.output.metrics,
        results=expand(rules.trigger_scan.output.result, group=range(len(TRIGGER_SCAN_GROUPS))),
        scores=expand(rules.trigger_scan.output.scores, group=range(len(TRIGGER_SCAN_GROUPS))),
    output:
        summary=f"{TRIGGER_SCAN_DIR}/scan.json",
        table=f"{TRIGGER_SCAN_DIR}/scan.csv",
        pdf=f"{TRIGGER_PLOTS}/scan_pareto.pdf",
        png=report(
            f"{TRIGGER_PLOTS}/scan_pareto.png",
            caption="../report/trigger_pareto.rst",
            category="Trigger",
            subcategory="Design-space scan",
        ),
    params:
        choice=TRIGGER["scan"]["choice"],
    log:
        f"{RESULTS}/logs/trigger/scan_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_scan_summary.tsv"
    threads: 1
    priority: PRIORITY_LONG
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_scan_summary.py"


rule trigger_bdt:
    input:
        train=TRIGGER_SPLITS["train"],
        test=TRIGGER_SPLITS["test"],
        float_meta=f"{TRIGGER_FLOAT}/meta.json",
    output:
        model=f"{TRIGGER_DIR}/bdt/xgboost.json",
        project=directory(f"{TRIGGER_DIR}/bdt/conifer_prj"),
        scores=f"{TRIGGER_DIR}/scores/bdt/conifer.parquet",
        result=f"{TRIGGER_DIR}/bdt/bdt.json",
    params:
        bdt=TRIGGER["bdt"],
        seed=TRIGGER["seed"],
    log:
        f"{RESULTS}/logs/trigger/bdt.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_bdt.tsv"
    threads: 1
    priority: PRIORITY_LONG
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_bdt.py"


rule trigger_l1:
    input:
        test=TRIGGER_SPLITS["test"],
        skim=f"{RESULTS}/skim/{TRIGGER_BG_SAMPLE}.parquet",
        cutflow=f"{RESULTS}/skim/{TRIGGER_BG_SAMPLE}.cutflow.json",
        scan=rules.trigger_scan_summary.output.summary,
        scan_scores=rules.trigger_scan_summary.input.scores,
        float_scores=f"{TRIGGER_DIR}/scores/float/keras.parquet",
        bdt_scores=rules.trigger_bdt.output.scores,
    output:
        l1=f"{TRIGGER_DIR}/l1.json",
        curves=f"{TRIGGER_DIR}/l1_curves.json",
        pdf=f"{TRIGGER_PLOTS}/l1_efficiency_vs_rate.pdf",
        png=report(
            f"{TRIGGER_PLOTS}/l1_efficiency_vs_rate.png",
            caption="../report/trigger_l1.rst",
            category="Trigger",
            subcategory="L1 rate",
        ),
    params:
        classes=TRIGGER["classes"],
        l1=TRIGGER["l1"],
    log:
        f"{RESULTS}/logs/trigger/l1.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_l1.tsv"
    group:
        "trigger_l1"
    threads: 1
    priority: PRIORITY_LONG
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_l1.py"


# The chosen design rebuilt (one more g++ compile) and run on the analysis's test jets and
# template jets.
rule trigger_decisions:
    input:
        features=[FEATURE_TABLES[s] for s in TRIGGER_DECISION_SPLITS],
        skims=expand(f"{RESULTS}/skim/{{sample}}.parquet", sample=SAMPLES),
        model=f"{TRIGGER_FLOAT}/model.h5",
        meta=f"{TRIGGER_FLOAT}/meta.json",
        train=TRIGGER_SPLITS["train"],
        trigger_test=TRIGGER_SPLITS["test"],
        scan=rules.trigger_scan_summary.output.summary,
        scan_scores=rules.trigger_scan_summary.input.scores,
        l1=rules.trigger_l1.output.l1,
    output:
        decisions=f"{TRIGGER_DIR}/l1_decisions.parquet",
        summary=f"{TRIGGER_DIR}/l1_decisions.json",
    params:
        splits=TRIGGER_DECISION_SPLITS,
        samples=SAMPLES,
        grooming=TRIGGER["grooming"],
        hls=TRIGGER["hls"],
        profile_jets=TRIGGER["scan"]["profile_jets"],
        work_dir=f"{TRIGGER_DIR}/.decisions_work",
        seed=TRIGGER["seed"],
    log:
        f"{RESULTS}/logs/trigger/decisions.log",
    benchmark:
        f"{RESULTS}/benchmarks/trigger_decisions.tsv"
    group:
        "trigger_l1"
    threads: 1
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/trigger.yaml"
    script:
        "../scripts/trigger_decisions.py"


rule trigger_design:
    input:
        rules.trigger_scan_summary.output,
        rules.trigger_bdt.output,
        rules.trigger_l1.output,
        rules.trigger_decisions.output,


SUMMARY_INPUTS["trigger_design"] = [
    rules.trigger_scan_summary.output.summary,
    rules.trigger_bdt.output.result,
    rules.trigger_l1.output.l1,
]
STAGE_OUTPUTS.extend(rules.trigger_design.input)
