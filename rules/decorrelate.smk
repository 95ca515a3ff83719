# Stage 5: mass-decorrelated taggers (DESIGN.md section 3.4, lhcml.decorrelation).
#
#   train_decorrelated (adversarial, disco)  -> results/models/{mdtagger}/ + scores
#   train_ddt (ddt_tau21, ddt_bdt: DDT of the taggers' scores) -> models + scores
#   decorrelation_scan_point (lambda scan of adversarial / disco) -> test scores
#   decorrelation_summary -> results/decorrelation/summary.json, results/metrics/{mdtagger}.json
#   plot_decorrelation -> results/plots/decorrelation/
#
# Scores are written like the taggers' (results/scores/{name}/{split}.parquet), so later
# stages use any tagger. The network rules score right after training: TensorFlow starts
# once per model (it is most of a small job's time).

from lhcml.decorrelation import DDT_BASES, NN_METHODS
from lhcml.decorrelation import model_file as md_model_file

DECOR = config["decorrelate"]
MD_TAGGERS = DECOR["taggers"]
MD_NETWORKS = [t for t in MD_TAGGERS if t in NN_METHODS]
MD_DDT = [t for t in MD_TAGGERS if t in DDT_BASES]
for _t in MD_DDT:
    if DDT_BASES[_t] not in TAGGERS:
        raise WorkflowError(
            f"decorrelate.taggers has {_t}, which transforms the {DDT_BASES[_t]} tagger: "
            f"add {DDT_BASES[_t]} to train.taggers"
        )
DECOR_PLOTS = f"{RESULTS}/plots/decorrelation"
DECOR_TAGGERS = [*TAGGERS, *MD_TAGGERS]


def lambda_name(value):
    """Lambda as it appears in paths: 10.0 -> '10', 0.5 -> '0.5'."""
    return f"{float(value):g}"


def scan_point(method, lam):
    """Test scores and meta.json of one lambda-scan point (the named tagger at its lambda)."""
    if lam == lambda_name(DECOR[method]["lambda"]):
        return (
            f"{RESULTS}/scores/{method}/test.parquet",
            f"{RESULTS}/models/{method}/meta.json",
        )
    folder = f"{RESULTS}/decorrelation/scan/{method}/lambda_{lam}"
    return f"{folder}/test.parquet", f"{folder}/meta.json"


SCANS = {m: [lambda_name(v) for v in DECOR[m]["scan"]] for m in MD_NETWORKS}


def decorrelation_summary_input(wildcards):
    inputs = {
        "features": FEATURE_TABLES["test"],
        "scores": [f"{RESULTS}/scores/{t}/test.parquet" for t in DECOR_TAGGERS],
        "metas": [f"{RESULTS}/models/{t}/meta.json" for t in MD_TAGGERS],
    }
    for m, lams in SCANS.items():
        inputs[f"scan_{m}"] = [p for lam in lams for p in scan_point(m, lam)]
    return inputs


def decorrelation_plot_outputs():
    def png(name, caption, subcategory):
        return report(
            f"{DECOR_PLOTS}/{name}.png",
            caption=f"../report/{caption}.rst",
            category="Decorrelation",
            subcategory=subcategory,
        )

    return {
        "plane_pdf": f"{DECOR_PLOTS}/r50_vs_inv_jsd.pdf",
        "plane_png": png("r50_vs_inv_jsd", "decorrelation_plane", "R50 vs 1/JSD"),
        "spectra_pdf": [f"{DECOR_PLOTS}/msd_spectra_{t}.pdf" for t in DECOR_TAGGERS],
        "spectra_png": [
            png(f"msd_spectra_{t}", "decorrelation_spectra", "QCD mass spectra")
            for t in DECOR_TAGGERS
        ],
    }


rule train_decorrelated:
    input:
        **FEATURE_TABLES,
    output:
        model=f"{RESULTS}/models/{{mdtagger}}/model.keras",
        meta=f"{RESULTS}/models/{{mdtagger}}/meta.json",
        **{s: f"{RESULTS}/scores/{{mdtagger}}/{s}.parquet" for s in SPLITS},
    wildcard_constraints:
        mdtagger="|".join(MD_NETWORKS) or "none",
    params:
        method=lambda w: w.mdtagger,
        features=DECOR["features"],
        hyper=lambda w: DECOR[w.mdtagger],
        lam=lambda w: DECOR[w.mdtagger]["lambda"],
        seed=DECOR["seed"],
    log:
        f"{RESULTS}/logs/decorrelate/{{mdtagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelate/{{mdtagger}}.tsv"
    threads: DECOR["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_train.py"


rule decorrelation_scan_point:
    input:
        **FEATURE_TABLES,
    output:
        model=f"{RESULTS}/decorrelation/scan/{{method}}/lambda_{{lam}}/model.keras",
        meta=f"{RESULTS}/decorrelation/scan/{{method}}/lambda_{{lam}}/meta.json",
        test=f"{RESULTS}/decorrelation/scan/{{method}}/lambda_{{lam}}/test.parquet",
    wildcard_constraints:
        method="|".join(MD_NETWORKS) or "none",
        lam=r"[0-9.e+-]+",
    params:
        method=lambda w: w.method,
        features=DECOR["features"],
        hyper=lambda w: DECOR[w.method],
        lam=lambda w: float(w.lam),
        seed=DECOR["seed"],
    log:
        f"{RESULTS}/logs/decorrelate/scan_{{method}}_{{lam}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelate/scan_{{method}}_{{lam}}.tsv"
    threads: DECOR["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_train.py"


rule train_ddt:
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
    wildcard_constraints:
        mdtagger="|".join(MD_DDT) or "none",
    params:
        base=lambda w: DDT_BASES[w.mdtagger],
        hyper=lambda w: {
            "rho_bins": DECOR["ddt"]["rho_bins"],
            "pt_bins": DECOR["ddt"]["pt_bins"],
            "qcd_efficiency": DECOR["ddt"]["qcd_efficiency"][w.mdtagger],
        },
    log:
        f"{RESULTS}/logs/decorrelate/{{mdtagger}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelate/{{mdtagger}}.tsv"
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
        binning=DECOR["msd_binning"],
        qcd_efficiencies=DECOR["qcd_efficiencies"],
        bootstrap=TRAIN["bootstrap"],
        seed=TRAIN["seed"],
    log:
        f"{RESULTS}/logs/decorrelate/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/decorrelate/summary.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_summary.py"


rule plot_decorrelation:
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
        f"{RESULTS}/logs/plots/decorrelation.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_decorrelation.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/taggers.yaml"
    script:
        "../scripts/decorrelation_plots.py"


rule decorrelate:
    input:
        rules.decorrelation_summary.output,
        rules.plot_decorrelation.output,


SUMMARY_INPUTS["decorrelate"] = [rules.decorrelation_summary.output.summary]
STAGE_OUTPUTS.extend(rules.decorrelate.input)
