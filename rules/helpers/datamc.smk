# Helpers of rules/datamc.smk: its config section, names and input functions.

from lhcml.datamc import plot_names as datamc_plot_names

DATAMC = config["datamc"]
DATAMC_TAGGERS = TAGGERS if DATAMC["taggers"] is None else DATAMC["taggers"]
DATAMC_PLOTS = f"{RESULTS}/plots/datamc"
DATAMC_PLOT_NAMES = datamc_plot_names(DATAMC_TAGGERS)


def datamc_model(wildcards):
    """A tagger's model and meta.json: from datamc.models, or trained in this run."""
    folder = DATAMC["models"] or f"{RESULTS}/models"
    folder = f"{folder}/{wildcards.dtagger}"
    return {"model": f"{folder}/model", "meta": f"{folder}/meta.json"}


def datamc_data_present(wildcards=None):
    if not DATA:
        raise WorkflowError(
            "the data vs simulation plots need a sample with role: data in the samples file "
            f"({config['samples_file']})"
        )
    if not SIMULATED:
        raise WorkflowError(
            "the data vs simulation plots need simulated samples in the samples file "
            f"({config['samples_file']})"
        )
    return []


def datamc_region(name):
    """The report subcategory of a data vs simulation plot: its region."""
    return "inclusive" if name.endswith("_inclusive") else f"pass {name.rsplit('_pass_', 1)[1]}"


def data_lumi_fb():
    """Summed lumi_fb of the data samples, or None if any is not given."""
    values = [config["samples"][s]["lumi_fb"] for s in DATA]
    return None if any(v is None for v in values) else sum(values)


#: Whether a compared tagger learnt from this run's simulated samples (then the data vs
#: simulation stacks draw only their test split).
DATAMC_TRAINED_HERE = not DATAMC["models"] and any(
    t not in CUT_BASED_TAGGERS for t in DATAMC_TAGGERS
)
