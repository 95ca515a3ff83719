# Helpers of rules/trigger.smk: its config section, names and input functions.

from lhcml.trigger import CLASSES as TRIGGER_CLASSES

TRIGGER = config["trigger"]
TRIGGER_DIR = f"{RESULTS}/trigger"
TRIGGER_PLOTS = f"{RESULTS}/plots/trigger"
TRIGGER_MODELS = TRIGGER["models"]
TRIGGER_HLS_MODELS = TRIGGER["hls_models"]
TRIGGER_SAMPLES = sorted({spec["sample"] for spec in TRIGGER["classes"].values()})
TRIGGER_PROFILED = [m for m in TRIGGER_HLS_MODELS if m.startswith("float")]



def trigger_samples_present(wildcards=None):
    """Checked when a trigger job is planned (not at parse time: a config with only real
    files must still run `snakemake skim`)."""
    for s in TRIGGER_SAMPLES:
        if s not in SAMPLES:
            raise WorkflowError(
                f"invalid configuration: config key 'trigger.classes': sample {s!r} is not "
                f"in samples ({', '.join(SAMPLES)})"
            )
    return []


for _m in TRIGGER_HLS_MODELS:
    if _m not in TRIGGER_MODELS:
        raise WorkflowError(
            f"invalid configuration: config key 'trigger.hls_models': {_m!r} is not in "
            f"trigger.models ({', '.join(TRIGGER_MODELS)})"
        )

TRIGGER_SPLITS = {s: f"{TRIGGER_DIR}/dataset/{s}.parquet" for s in SPLITS}


def trigger_hls_input(wildcards):
    folder = f"{TRIGGER_DIR}/models/{wildcards.tmodel}"
    out = {
        "model": f"{folder}/model.h5",
        "meta": f"{folder}/meta.json",
        "test": TRIGGER_SPLITS["test"],
    }
    if wildcards.tmodel in TRIGGER_PROFILED:
        out["precision"] = f"{TRIGGER_DIR}/hls/{wildcards.tmodel}.profile.json"
    return out


def trigger_plot_outputs():
    def png(name, caption, subcategory):
        return report_png(f"{TRIGGER_PLOTS}/{name}.png", caption, "Trigger", subcategory)

    return {
        "roc_pdf": expand(f"{TRIGGER_PLOTS}/roc_{{cls}}.pdf", cls=TRIGGER_CLASSES),
        "roc_png": [png(f"roc_{c}", "trigger_roc", "ROC curves") for c in TRIGGER_CLASSES],
        "bops_pdf": f"{TRIGGER_PLOTS}/accuracy_vs_bops.pdf",
        "bops_png": png("accuracy_vs_bops", "trigger_bops", "Accuracy vs BOPs"),
    }
