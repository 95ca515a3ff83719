# Helpers shared by the workflow: config validation, sample bookkeeping, input functions.

import os
import sys

# The workflow always uses the library of this checkout: here (config validation) and in
# every job, which inherits PYTHONPATH (local, --use-conda and cluster jobs, which re-read
# this file), whatever version of lhcml may be installed elsewhere. We set the variable;
# nothing requires the user to define it, so there is no `envvars:` assertion.
LHCML_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, LHCML_SRC)
os.environ.update(
    PYTHONPATH=os.pathsep.join(p for p in (LHCML_SRC, os.environ.get("PYTHONPATH")) if p)
)

from lhcml.config import ConfigError, validate_config  # noqa: E402 (needs the path above)

try:
    validate_config(config, command_line=workflow.config_settings.overwrite_config)
except ConfigError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None


RESULTS = "results"

# Each stage's .smk file registers here what the publishing step (rules/report.smk) needs -
# its small metrics files for results/summary.json, and its final outputs (so that every
# benchmark file exists before they are summarised).
SUMMARY_INPUTS = {}
STAGE_OUTPUTS = []
SAMPLES = list(config["samples"])
GENERATED = [s for s in SAMPLES if "process" in config["samples"][s]]
REAL = [s for s in SAMPLES if "files" in config["samples"][s]]


def events_per_chunk(sample):
    """Events in each chunk of a generated sample (the last chunk takes the remainder)."""
    cfg = config["samples"][sample]
    return -(-cfg["events"] // cfg["chunks"])


def chunk_events(sample, chunk):
    cfg = config["samples"][sample]
    per_chunk = events_per_chunk(sample)
    return min(per_chunk, cfg["events"] - per_chunk * int(chunk))


def generated_files(sample, ext):
    """The chunk files (ext 'root' or 'json') of a generated sample."""
    return [
        f"{RESULTS}/generated/{sample}/{chunk}.{ext}"
        for chunk in range(config["samples"][sample]["chunks"])
    ]


def is_remote(path):
    return "://" in path


def skim_input(wildcards):
    """Local input files of a sample: generated chunks, or the local files of a real sample.

    Remote files (root://, https://) are not Snakemake inputs; they are passed as params.
    """
    if wildcards.sample in GENERATED:
        return {
            "events": generated_files(wildcards.sample, "root"),
            "meta": generated_files(wildcards.sample, "json"),
        }
    local = [f for f in config["samples"][wildcards.sample]["files"] if not is_remote(f)]
    return {"events": local, "meta": []}


def remote_files(wildcards):
    if wildcards.sample in GENERATED:
        return []
    return [f for f in config["samples"][wildcards.sample]["files"] if is_remote(f)]


#: Keys of the `skim` config section that say how to run it rather than what to select.
SKIM_EXECUTION_KEYS = ("executor", "workers", "chunksize", "dask")


def skim_cuts():
    """The selection part of the `skim` config section."""
    return {k: v for k, v in config["skim"].items() if k not in SKIM_EXECUTION_KEYS}


def skim_threads(wildcards):
    """Cores of a skim job: its local worker processes (futures or a local Dask cluster)."""
    skim = config["skim"]
    local = skim["executor"] == "futures" or (
        skim["executor"] == "dask" and skim["dask"]["cluster"] == "local"
    )
    return skim["workers"] if local else 1


# --- Taggers (rules/train.smk) ------------------------------------------------------

from lhcml.taggers import CUT_BASED_TAGGERS, model_file

TRAIN = config["train"]
TAGGERS = TRAIN["taggers"]
SPLITS = ["train", "val", "test"]
FEATURE_TABLES = {s: f"{RESULTS}/features/{s}.parquet" for s in SPLITS}
CUT_TAGGERS = [t for t in TAGGERS if t in CUT_BASED_TAGGERS] or ["none"]


def tagger_model(wildcards):
    """The model and meta.json of a trained tagger."""
    folder = f"{RESULTS}/models/{wildcards.tagger}"
    return {"model": f"{folder}/{model_file(wildcards.tagger)}", "meta": f"{folder}/meta.json"}


PLOTS = f"{RESULTS}/plots/taggers"


def plot_outputs():
    """Named outputs of plot_taggers: PDFs, and PNGs flagged for the HTML report."""

    def png(name, caption, subcategory):
        return report(
            f"{PLOTS}/{name}.png",
            caption=f"../report/{caption}.rst",
            category="Taggers",
            subcategory=subcategory,
        )

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


# --- Mass-decorrelated taggers (rules/decorrelate.smk) -------------------------------

from lhcml.decorrelation import DDT_BASES, NN_METHODS

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


def scan_value_name(value):
    """A scan value (lambda, DDT mass bandwidth) as in paths: 10.0 -> "10", 0.5 -> "0.5"."""
    return f"{float(value):g}"


# R50 vs 1/JSD scans: lambda for the networks, the smooth map's mass bandwidth for the DDTs
SCANS = {m: [scan_value_name(v) for v in DECOR[m]["scan"]] for m in MD_NETWORKS}
SCANS.update({t: [scan_value_name(v) for v in DECOR["ddt"]["scan"]] for t in MD_DDT})
SCAN_PARAMETERS = {m: "lambda" if m in MD_NETWORKS else "mass_bandwidth" for m in SCANS}


def decorrelation_summary_input(wildcards):
    """Test scores of every tagger, the decorrelated taggers' meta, the scan folders."""
    return {
        "features": FEATURE_TABLES["test"],
        "scores": [f"{RESULTS}/scores/{t}/test.parquet" for t in DECOR_TAGGERS],
        "metas": [f"{RESULTS}/models/{t}/meta.json" for t in MD_TAGGERS],
        "scan_dirs": [f"{RESULTS}/decorrelation/scan/{m}" for m in SCANS],
    }


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


# --- CaloGAN branch (rules/calo.smk, lhcml.calo) ------------------------------------

CALO = config.get("calo", {})
CALO_PARTICLES = CALO.get("particles", [])
CALO_FILES = CALO.get("files", {})
CALO_E_RANGE = [CALO.get("energy_min", 1.0), CALO.get("energy_max", 100.0)]


def calo_events_per_chunk():
    return -(-CALO["events"] // CALO["chunks"])


def calo_chunk_events(chunk):
    per_chunk = calo_events_per_chunk()
    return min(per_chunk, CALO["events"] - per_chunk * int(chunk))


def calo_reference(wildcards):
    """Reference showers of a particle: the CaloGAN files of config, or simulated chunks."""
    if wildcards.particle in CALO_FILES:
        return CALO_FILES[wildcards.particle]
    return [
        f"{RESULTS}/calo/reference/{wildcards.particle}/{chunk}.h5"
        for chunk in range(CALO["chunks"])
    ]


CALO_PLOTS = f"{RESULTS}/plots/calo/{{particle}}"


def calo_plot(name, caption, subcategory):
    return report(
        f"{CALO_PLOTS}/{name}.png",
        caption=f"../report/{caption}.rst",
        category="CaloGAN",
        subcategory=subcategory,
    )


# --- L1-trigger branch (rules/trigger.smk) ------------------------------------------

TRIGGER = config["trigger"]
TRIGGER_DIR = f"{RESULTS}/trigger"
TRIGGER_PLOTS = f"{RESULTS}/plots/trigger"
TRIGGER_CLASSES = ["gluon", "quark", "W", "Z", "top"]
TRIGGER_MODELS = TRIGGER["models"]
TRIGGER_HLS_MODELS = TRIGGER["hls_models"]
TRIGGER_SAMPLES = sorted({spec["sample"] for spec in TRIGGER["classes"].values()})
TRIGGER_PROFILED = [m for m in TRIGGER_HLS_MODELS if m.startswith("float")]

for _s in TRIGGER_SAMPLES:
    if _s not in SAMPLES:
        raise WorkflowError(
            f"invalid configuration: config key 'trigger.classes': sample {_s!r} is not in "
            f"samples ({', '.join(SAMPLES)})"
        )
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
        return report(
            f"{TRIGGER_PLOTS}/{name}.png",
            caption=f"../report/{caption}.rst",
            category="Trigger",
            subcategory=subcategory,
        )

    return {
        "roc_pdf": expand(f"{TRIGGER_PLOTS}/roc_{{cls}}.pdf", cls=TRIGGER_CLASSES),
        "roc_png": [png(f"roc_{c}", "trigger_roc", "ROC curves") for c in TRIGGER_CLASSES],
        "bops_pdf": f"{TRIGGER_PLOTS}/accuracy_vs_bops.pdf",
        "bops_png": png("accuracy_vs_bops", "trigger_bops", "Accuracy vs BOPs"),
    }


# --- Inference (rules/inference.smk) -------------------------------------------------

INFERENCE = config["inference"]
FIT_TAGGERS = INFERENCE["taggers"]
INF = f"{RESULTS}/inference"
INF_PLOTS = f"{RESULTS}/plots/inference"
TEMPLATE_SPLIT = INFERENCE["template_split"]
AMS = INFERENCE["ams"]


SYSTS = INFERENCE["systematics"]


def jes_models(wildcards):
    """Input function: the saved model(s) that rescore the wildcard's tagger (a DDT map
    needs its base tagger too)."""
    from lhcml.decorrelation import model_file as md_model_file

    t = wildcards.fittagger
    names = [t, DDT_BASES[t]] if t in DDT_BASES else [t]
    out = []
    for n in names:
        f = md_model_file(n) if n in MD_TAGGERS else model_file(n)
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
        return report(
            f"{INF_PLOTS}/{name}.png",
            caption=f"../report/{caption}.rst",
            category="Inference",
            subcategory=subcategory,
        )

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
