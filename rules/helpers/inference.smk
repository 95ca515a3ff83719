# Helpers of rules/inference.smk: its config section, names and input functions.

from lhcml.decorrelation import model_file as md_model_file

INFERENCE = config["inference"]
FIT_TAGGERS = INFERENCE["taggers"]
INF = f"{RESULTS}/inference"
INF_PLOTS = f"{RESULTS}/plots/inference"
TEMPLATE_SPLIT = INFERENCE["template_split"]
AMS = INFERENCE["ams"]
# the AMS scan's parameters (inference_ams for the taggers, inference_scan for scan points)
AMS_PARAMS = {
    # the AMS yields' luminosity: its own key if given, else the weights' (documented in
    # the schema: not a second default)
    "lumi_fb": AMS["lumi_fb"] if "lumi_fb" in AMS else config["lumi_fb"],
    "window": AMS["window"],
    "efficiencies": [(i + 1) / AMS["n_cuts"] for i in range(AMS["n_cuts"])],
    "b_r": AMS["b_r"],
    "min_background_jets": AMS["min_background_jets"],
}


SYSTS = INFERENCE["systematics"]
#: Taggers measured again with the emulated L1 trigger applied upstream, and the
#: settings of those fits (the measurement's, with fewer toys and no closure fits).
L1_TAGGERS = INFERENCE["l1_selection"]["taggers"]
#: The settings of one tagger's fit job: the inference section without what only the
#: DAG uses.
FIT_CFG = {k: v for k, v in INFERENCE.items() if k not in ("ams", "taggers", "l1_selection")}
INFERENCE_L1_CFG = {**FIT_CFG, "toys": INFERENCE["l1_selection"]["toys"]}


def jes_models(wildcards):
    """Input function: the saved model(s) that rescore the wildcard's tagger (a DDT map
    needs its base tagger too): a trained tagger's folder ``model/`` (rules/taggers.smk)
    or a decorrelated tagger's model file (rules/decorrelation.smk), with its meta.json."""
    t = wildcards.fittagger
    names = [t, DDT_BASES[t]] if t in DDT_BASES else [t]
    out = []
    for n in names:
        f = md_model_file(n) if n in MD_TAGGERS else "model"
        out += [f"{RESULTS}/models/{n}/{f}", f"{RESULTS}/models/{n}/meta.json"]
    return out


def jes_inputs(wildcards):
    """Input function: the JES-shifted, rescored template split (none if jes is 0)."""
    if not SYSTS["jes"] > 0:
        return {}
    t = wildcards.fittagger
    return {f"jes_{k}_{d}": f"{INF}/{t}/jes_{d}/{k}.parquet"
            for d in ("up", "down") for k in ("features", "scores")}  # fmt: skip


def fit_scores(split):
    """Input function: the score table of the wildcard's tagger on ``split``."""
    return lambda w: f"{RESULTS}/scores/{w.fittagger}/{split}.parquet"


def inference_plot_outputs():
    def png(name, caption, subcategory):
        return report_png(f"{INF_PLOTS}/{name}.png", caption, "Inference", subcategory)

    return {
        "fit_pdf": [f"{INF_PLOTS}/fit_{t}.pdf" for t in FIT_TAGGERS],
        "fit_png": [png(f"fit_{t}", "inference_fit", "Mass fits") for t in FIT_TAGGERS],
        "toys_pdf": [f"{INF_PLOTS}/toys_{t}.pdf" for t in FIT_TAGGERS],
        "toys_png": [png(f"toys_{t}", "inference_toys", "Toy pulls") for t in FIT_TAGGERS],
        "impacts_pdf": [f"{INF_PLOTS}/impacts_{t}.pdf" for t in FIT_TAGGERS],
        "impacts_png": [png(f"impacts_{t}", "inference_impacts", "Impacts") for t in FIT_TAGGERS],
        "scans_pdf": f"{INF_PLOTS}/scans.pdf",
        "scans_png": png("scans", "inference_scans", "Likelihood scans"),
        "choice_pdf": f"{INF_PLOTS}/choice.pdf",
        "choice_png": png("choice", "inference_choice", "Tagger choice"),
        "ams_pdf": f"{INF_PLOTS}/ams.pdf",
        "ams_png": png("ams", "inference_ams", "AMS working points"),
        "injection_pdf": f"{INF_PLOTS}/injection.pdf",
        "injection_png": png("injection", "inference_injection", "Signal injection"),
    }
