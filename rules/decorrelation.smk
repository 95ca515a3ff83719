# Stage 5: mass-decorrelated taggers (docs/physics.md "Mass decorrelation",
# lhcml.decorrelation).
#
#   decorrelation_train (adversarial, disco) -> results/models/{mdtagger}/ + scores, and the
#       lambda scan (results/decorrelation/scan/{mdtagger}/lambda_{lambda}/: scores of the
#       test split and of the inference template split, which rules/inference.smk fits)
#   decorrelation_ddt (ddt_tau21, ddt_bdt: DDT of the taggers' scores) -> models + scores, and the
#       scan of the smooth map's mass bandwidth (.../scan/{mdtagger}/mass_bandwidth_{value}/)
#   decorrelation_summary -> results/decorrelation/summary.json, results/metrics/{mdtagger}.json
#   decorrelation_plots -> results/plots/decorrelation/
#
# Scores are written like the taggers' (results/scores/{name}/{split}.parquet), so later
# stages use any tagger. The network rule scores right after training and trains the scan
# points in the same job: TensorFlow starts once per method (most of a small job's time).


include: "helpers/decorrelation.smk"


rule decorrelation_train:
    input:
        **FEATURE_TABLES,
    output:
        model=f"{RESULTS}/models/{{mdtagger}}/model.keras",
        meta=f"{RESULTS}/models/{{mdtagger}}/meta.json",
        **{s: f"{RESULTS}/scores/{{mdtagger}}/{s}.parquet" for s in SPLITS},
        scan=directory(f"{RESULTS}/decorrelation/scan/{{mdtagger}}"),
    wildcard_constraints:
        mdtagger="|".join(MD_NETWORKS) or "none",
    params:
        method=lambda w: w.mdtagger,
        features=DECOR["features"],
        hyper=lambda w: DECOR[w.mdtagger],
        lam=lambda w: DECOR[w.mdtagger]["lambda"],
        scan=lambda w: DECOR[w.mdtagger]["scan"],
        scan_splits=SCAN_SPLITS,
        seed=DECOR["seed"],
    log:
        f"{RESULTS}/logs/decorrelation/train/{{mdtagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelation_train/{{mdtagger}}.tsv"
    threads: DECOR["threads"]
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_train.py"


rule decorrelation_ddt:
    input:
        **FEATURE_TABLES,
        **{
            f"base_{s}": lambda w, s=s: f"{RESULTS}/scores/{DDT_BASES[w.mdtagger]}/{s}.parquet"
            for s in SPLITS
        },
    output:
        model=f"{RESULTS}/models/{{mdtagger}}/model.json",
        meta=f"{RESULTS}/models/{{mdtagger}}/meta.json",
        **{s: f"{RESULTS}/scores/{{mdtagger}}/{s}.parquet" for s in SPLITS},
        scan=directory(f"{RESULTS}/decorrelation/scan/{{mdtagger}}"),
    wildcard_constraints:
        mdtagger="|".join(MD_DDT) or "none",
    params:
        base=lambda w: DDT_BASES[w.mdtagger],
        hyper=lambda w: {
            "map": DECOR["ddt"]["map"],
            "smooth": DECOR["ddt"]["smooth"],
            "rho_bins": DECOR["ddt"]["rho_bins"],
            "pt_bins": DECOR["ddt"]["pt_bins"],
            "signal_efficiency": DECOR["ddt"]["signal_efficiency"],
        },
        scan=DECOR["ddt"]["scan"],
        scan_splits=SCAN_SPLITS,
    log:
        f"{RESULTS}/logs/decorrelation/ddt/{{mdtagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelation_ddt/{{mdtagger}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_ddt.py"


rule decorrelation_summary:
    input:
        unpack(decorrelation_summary_input),
    output:
        summary=f"{RESULTS}/decorrelation/summary.json",
        metrics=[f"{RESULTS}/metrics/{t}.json" for t in MD_TAGGERS],
    params:
        taggers=DECOR_TAGGERS,
        md_taggers=MD_TAGGERS,
        scans=SCANS,
        scan_parameters=SCAN_PARAMETERS,
        main_lambdas={m: DECOR[m]["lambda"] for m in MD_NETWORKS},
        binning=DECOR["msd_binning"],
        qcd_efficiencies=DECOR["qcd_efficiencies"],
        bootstrap=TRAIN["bootstrap"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/decorrelation/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelation_summary.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_summary.py"


rule decorrelation_plots:
    input:
        summary=rules.decorrelation_summary.output.summary,
        features=FEATURE_TABLES["test"],
        scores=[f"{RESULTS}/scores/{t}/test.parquet" for t in DECOR_TAGGERS],
    output:
        **decorrelation_plot_outputs(),
    params:
        taggers=DECOR_TAGGERS,
        binning=DECOR["msd_binning"],
        msd_range=[config["skim"]["msoftdrop_min"], config["skim"]["msoftdrop_max"]],
    log:
        f"{RESULTS}/logs/decorrelation/plots.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelation_plots.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_plots.py"


rule decorrelation:
    input:
        rules.decorrelation_summary.output,
        rules.decorrelation_plots.output,


SUMMARY_INPUTS["decorrelation"] = [rules.decorrelation_summary.output.summary]
STAGE_OUTPUTS.extend(rules.decorrelation.input)
