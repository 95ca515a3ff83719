# Helpers of rules/taggers.smk: its config section, names and input functions.

from lhcml.taggers import ML_TAGGERS

TRAIN = config["train"]
TAGGERS = TRAIN["taggers"]

#: Training resources per tagger: the constituent network needs the most.
TRAIN_MEM_MB = {"bdt": 4000, "dnn": 4000, "deepsets": 6000}
TRAIN_RUNTIME = {"bdt": 30, "dnn": 60, "deepsets": 120}


def train_params(tagger):
    """The training settings of a tagger: inputs and hyperparameters of the ML taggers;
    the cut-based baselines fit nothing (their "model" records the variable)."""
    if tagger in ML_TAGGERS:
        return {"features": TRAIN["features"], "hyper": TRAIN[tagger]}
    return {"features": [], "hyper": {}}


PLOTS = f"{RESULTS}/plots/taggers"


def plot_outputs():
    """Named outputs of taggers_plots: PDFs, and PNGs flagged for the HTML report."""

    def png(name, caption, subcategory):
        return report_png(f"{PLOTS}/{name}.png", caption, "Taggers", subcategory)

    out = {
        "roc_pdf": f"{PLOTS}/roc.pdf",
        "roc_png": png("roc", "roc", "ROC curves"),
        "scores_pdf": [f"{PLOTS}/scores_{t}.pdf" for t in TAGGERS],
        "scores_png": [png(f"scores_{t}", "scores", "Score distributions") for t in TAGGERS],
        "msd_pdf": [f"{PLOTS}/msd_sculpting_{t}.pdf" for t in TAGGERS],
        "msd_png": [
            png(f"msd_sculpting_{t}", "msd_sculpting", "QCD mass sculpting") for t in TAGGERS
        ],
    }
    if "bdt" in TAGGERS:
        out["importance_pdf"] = f"{PLOTS}/bdt_importance.pdf"
        out["importance_png"] = png("bdt_importance", "bdt_importance", "BDT")
    return out
