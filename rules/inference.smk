# Stage 6: statistical inference (docs/inference.md, lhcml.inference).
#
#   inference_pseudodata -> inference_ams (tagger) -> inference_jes (tagger, up/down)
#       -> inference_fit (tagger) -> plots, summary
#   results/inference/pseudodata.{parquet,json}   results/inference/{tagger}/ams.json
#   results/inference/{tagger}/jes_{up,down}/{features,scores}.parquet
#   results/inference/{tagger}/{fit,impacts,toys,curves}.json   results/plots/inference/
#   inference_scan (decorrelated tagger with a scan) -> results/inference/scan/{mdtagger}.json
#
# The measurement (docs/inference.md) is a binned fit at inference.lumi_fb: templates,
# expected yields and the AMS scan come from the template split (validation by default),
# the JES variation from the same split shifted and rescored by the tagger's trained model
# (inference_jes); the closure fits use pseudo-data drawn from the test split, independent
# of training and of the templates. Any tagger whose scores follow the layout of
# results/scores/{tagger}/{split}.parquet can be listed in inference.taggers (the wildcard
# is `fittagger`, not constrained to the tagger names of rules/taggers.smk).

include: "helpers/inference.smk"


rule inference_pseudodata:
    input:
        **FEATURE_TABLES,
    output:
        table=f"{INF}/pseudodata.parquet",
        meta=f"{INF}/pseudodata.json",
    params:
        roles={s: c["role"] for s, c in config["samples"].items()},
        lumi_fb=INFERENCE["closure"]["lumi_fb"],
        weights_lumi_fb=config["lumi_fb"],
        mu_inj=INFERENCE["closure"]["mu_inj"],
        injection=INFERENCE["closure"]["injection"],
        seed=INFERENCE["seed"],
        supply_sigma=INFERENCE["supply_sigma"],
    log:
        f"{RESULTS}/logs/inference/pseudodata.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_pseudodata.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_pseudodata.py"


rule inference_ams:
    input:
        features=FEATURE_TABLES[TEMPLATE_SPLIT],
        scores=fit_scores(TEMPLATE_SPLIT),
        pseudodata=rules.inference_pseudodata.output.meta,
    output:
        ams=f"{INF}/{{fittagger}}/ams.json",
    wildcard_constraints:
        fittagger=r"[A-Za-z0-9_]+",
    params:
        lumi_fb=AMS_PARAMS["lumi_fb"],
        window=AMS_PARAMS["window"],
        efficiencies=AMS_PARAMS["efficiencies"],
        b_r=AMS_PARAMS["b_r"],
        min_background_jets=AMS_PARAMS["min_background_jets"],
    log:
        f"{RESULTS}/logs/inference/{{fittagger}}/ams.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_ams/{{fittagger}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_ams.py"


rule inference_jes:
    input:
        features=FEATURE_TABLES[TEMPLATE_SPLIT],
        models=jes_models,
    output:
        features=f"{INF}/{{fittagger}}/jes_{{direction}}/features.parquet",
        scores=f"{INF}/{{fittagger}}/jes_{{direction}}/scores.parquet",
    wildcard_constraints:
        fittagger=r"[A-Za-z0-9_]+",
        direction="up|down",
    params:
        scale=lambda w: 1.0 + (1 if w.direction == "up" else -1) * SYSTS["jes"],
        models_dir=f"{RESULTS}/models",
    log:
        f"{RESULTS}/logs/inference/{{fittagger}}/jes_{{direction}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_jes/{{fittagger}}_{{direction}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/inference_jes.py"


rule inference_fit:
    input:
        unpack(jes_inputs),
        test_features=FEATURE_TABLES["test"],
        test_scores=fit_scores("test"),
        template_features=FEATURE_TABLES[TEMPLATE_SPLIT],
        template_scores=fit_scores(TEMPLATE_SPLIT),
        pseudodata=rules.inference_pseudodata.output.table,
        pseudodata_meta=rules.inference_pseudodata.output.meta,
        ams=rules.inference_ams.output.ams,
    output:
        fit=f"{INF}/{{fittagger}}/fit.json",
        impacts=f"{INF}/{{fittagger}}/impacts.json",
        toys=f"{INF}/{{fittagger}}/toys.json",
        curves=f"{INF}/{{fittagger}}/curves.json",
    wildcard_constraints:
        fittagger=r"[A-Za-z0-9_]+",
    params:
        cfg=FIT_CFG,
        seed=INFERENCE["seed"],
    log:
        f"{RESULTS}/logs/inference/{{fittagger}}/fit.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_fit/{{fittagger}}.tsv"
    threads: INFERENCE["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_fit.py"


# The same measurement with the trigger branch's emulated L1 selection applied upstream
# (rules/trigger.smk, trigger_decisions): what the trigger costs the analysis.
rule inference_fit_l1:
    input:
        unpack(jes_inputs),
        template_features=FEATURE_TABLES[TEMPLATE_SPLIT],
        template_scores=fit_scores(TEMPLATE_SPLIT),
        pseudodata_meta=rules.inference_pseudodata.output.meta,
        ams=rules.inference_ams.output.ams,
        l1=f"{TRIGGER_DIR}/l1_decisions.parquet",
    output:
        fit=f"{INF}/{{fittagger}}/l1/fit.json",
        impacts=f"{INF}/{{fittagger}}/l1/impacts.json",
        toys=f"{INF}/{{fittagger}}/l1/toys.json",
        curves=f"{INF}/{{fittagger}}/l1/curves.json",
    wildcard_constraints:
        fittagger=r"[A-Za-z0-9_]+",
    params:
        cfg=INFERENCE_L1_CFG,
        seed=INFERENCE["seed"],
    log:
        f"{RESULTS}/logs/inference/{{fittagger}}/fit_l1.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_fit_l1/{{fittagger}}.tsv"
    threads: INFERENCE["threads"]
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_fit.py"


# The decorrelation scans through the fit: each scan point of a decorrelated tagger
# (results/decorrelation/scan/{mdtagger}/, scored on the template split by its training
# job) gets the AMS cut, templates, spurious signal and model of inference_fit, and the
# nominal and stat-only fits (no JES nuisance: that needs a saved model rescored through
# inference_jes; no impacts, scans or toys). R50 and 1/JSD come from the decorrelation
# summary.
rule inference_scan:
    input:
        features=FEATURE_TABLES[TEMPLATE_SPLIT],
        scan_dir=f"{RESULTS}/decorrelation/scan/{{mdtagger}}",
        # a network's own lambda is a scan point without a folder: the tagger's scores
        main_scores=lambda w: (
            f"{RESULTS}/scores/{w.mdtagger}/{TEMPLATE_SPLIT}.parquet"
            if w.mdtagger in MD_NETWORKS
            else []
        ),
        pseudodata=rules.inference_pseudodata.output.meta,
    output:
        scan=f"{INF}/scan/{{mdtagger}}.json",
    wildcard_constraints:
        mdtagger="|".join(SCANS) or "none",
    params:
        parameter=lambda w: SCAN_PARAMETERS[w.mdtagger],
        values=lambda w: SCANS[w.mdtagger],
        main_value=lambda w: DECOR[w.mdtagger]["lambda"] if w.mdtagger in MD_NETWORKS else None,
        split=TEMPLATE_SPLIT,
        cfg=FIT_CFG,
        ams=AMS_PARAMS,
        seed=INFERENCE["seed"],
    log:
        f"{RESULTS}/logs/inference/scan/{{mdtagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_scan/{{mdtagger}}.tsv"
    threads: INFERENCE["threads"]
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_scan.py"


# One job for all plots: each plotting process pays for importing matplotlib.
rule inference_plots:
    input:
        fits=expand(rules.inference_fit.output.fit, fittagger=FIT_TAGGERS),
        toys=expand(rules.inference_fit.output.toys, fittagger=FIT_TAGGERS),
        curves=expand(rules.inference_fit.output.curves, fittagger=FIT_TAGGERS),
        impacts=expand(rules.inference_fit.output.impacts, fittagger=FIT_TAGGERS),
        ams=expand(rules.inference_ams.output.ams, fittagger=FIT_TAGGERS),
        summary=f"{INF}/summary.json",
    output:
        **inference_plot_outputs(),
    params:
        taggers=FIT_TAGGERS,
    log:
        f"{RESULTS}/logs/inference/plots.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_plots.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_plots.py"


rule inference_summary:
    input:
        fits=expand(rules.inference_fit.output.fit, fittagger=FIT_TAGGERS),
        ams=expand(rules.inference_ams.output.ams, fittagger=FIT_TAGGERS),
        pseudodata=rules.inference_pseudodata.output.meta,
        metrics=[f"{RESULTS}/metrics/{t}.json" for t in FIT_TAGGERS],
        l1_fits=expand(rules.inference_fit_l1.output.fit, fittagger=L1_TAGGERS),
        scans=expand(rules.inference_scan.output.scan, mdtagger=list(SCANS)),
        # R50 and 1/JSD of the scan points (joined here, so the scan fits do not depend
        # on every tagger's decorrelation numbers)
        decorrelation=f"{RESULTS}/decorrelation/summary.json" if SCANS else [],
    output:
        summary=f"{INF}/summary.json",
    params:
        taggers=FIT_TAGGERS,
        l1_taggers=L1_TAGGERS,
    log:
        f"{RESULTS}/logs/inference/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_summary.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_summary.py"


rule inference:
    input:
        rules.inference_summary.output,
        rules.inference_plots.output,


SUMMARY_INPUTS["inference"] = rules.inference_summary.output
STAGE_OUTPUTS.extend(rules.inference.input)
