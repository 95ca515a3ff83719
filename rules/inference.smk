# Stage 6: statistical inference (docs/inference.md, lhcml.inference).
#
#   inference_pseudodata -> inference_ams (tagger) -> inference_fit (tagger) -> plots, summary
#   results/inference/pseudodata.{parquet,json}   results/inference/{tagger}/ams.json
#   results/inference/{tagger}/{fit,toys,curves}.json   results/plots/inference/
#
# Pseudo-data come from the test split only; the W/Z templates, the expected yields and
# the AMS scan use the template split (validation by default), so the fitted events are
# independent of training and of the model. Any tagger whose scores follow the layout of
# results/scores/{tagger}/{split}.parquet can be listed in inference.taggers (the wildcard
# is `fittagger`, not constrained to the tagger names of rules/train.smk).

rule inference_pseudodata:
    input:
        **FEATURE_TABLES,
    output:
        table=f"{INF}/pseudodata.parquet",
        meta=f"{INF}/pseudodata.json",
    params:
        roles={s: c["role"] for s, c in config["samples"].items()},
        lumi_fb=INFERENCE["lumi_fb"],
        weights_lumi_fb=config["lumi_fb"],
        mu_inj=INFERENCE["mu_inj"],
        injection=INFERENCE["injection"],
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
        lumi_fb=AMS.get("lumi_fb", config["lumi_fb"]),
        window=AMS["window"],
        efficiencies=[(i + 1) / AMS["n_cuts"] for i in range(AMS["n_cuts"])],
        b_r=AMS["b_r"],
        min_background_jets=AMS["min_background_jets"],
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


rule inference_fit:
    input:
        test_features=FEATURE_TABLES["test"],
        test_scores=fit_scores("test"),
        template_features=FEATURE_TABLES[TEMPLATE_SPLIT],
        template_scores=fit_scores(TEMPLATE_SPLIT),
        pseudodata=rules.inference_pseudodata.output.table,
        pseudodata_meta=rules.inference_pseudodata.output.meta,
        ams=rules.inference_ams.output.ams,
    output:
        fit=f"{INF}/{{fittagger}}/fit.json",
        toys=f"{INF}/{{fittagger}}/toys.json",
        curves=f"{INF}/{{fittagger}}/curves.json",
    wildcard_constraints:
        fittagger=r"[A-Za-z0-9_]+",
    params:
        fit_range=INFERENCE["fit_range"],
        order=INFERENCE["background_order"],
        toys=INFERENCE["toys"],
        mu_limits=INFERENCE["mu_limits"],
        seed=INFERENCE["seed"],
    log:
        f"{RESULTS}/logs/inference/{{fittagger}}/fit.log",
    benchmark:
        f"{RESULTS}/benchmarks/inference_fit/{{fittagger}}.tsv"
    threads: INFERENCE["threads"]
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/inference_fit.py"


# One job for all plots: each plotting process pays for importing matplotlib.
rule inference_plots:
    input:
        fits=expand(rules.inference_fit.output.fit, fittagger=FIT_TAGGERS),
        toys=expand(rules.inference_fit.output.toys, fittagger=FIT_TAGGERS),
        curves=expand(rules.inference_fit.output.curves, fittagger=FIT_TAGGERS),
        ams=expand(rules.inference_ams.output.ams, fittagger=FIT_TAGGERS),
    output:
        **inference_plot_outputs(),
    params:
        taggers=FIT_TAGGERS,
    log:
        f"{RESULTS}/logs/plots/inference.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_inference.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/inference.yaml"
    script:
        "../scripts/plot_inference.py"


rule inference_summary:
    input:
        fits=expand(rules.inference_fit.output.fit, fittagger=FIT_TAGGERS),
        ams=expand(rules.inference_ams.output.ams, fittagger=FIT_TAGGERS),
        pseudodata=rules.inference_pseudodata.output.meta,
    output:
        summary=f"{INF}/summary.json",
    params:
        taggers=FIT_TAGGERS,
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
