# Helpers shared by the workflow: config validation, sample bookkeeping, input functions,
# the names several stages share. A stage's own helpers are in rules/helpers/<stage>.smk.

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

from lhcml.config import (  # noqa: E402
    ConfigError,
    samples_config_dir,
    schema_defaults,
    validate_config,
)

try:
    validate_config(
        config,
        command_line=workflow.config_settings.overwrite_config,
        config_dir=samples_config_dir(
            config.get("samples"),
            [*workflow.configfiles, *workflow.overwrite_configfiles],
            workflow.config_settings.config,
        ),
    )
except ConfigError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None


RESULTS = "results"

# Scheduling: among the jobs that are ready, Snakemake starts those of highest `priority:`
# first (then those with the largest inputs). On a few cores a run ends when its longest
# chain of dependent jobs ends, so the rules on the longest chains say so: PRIORITY_LONGEST
# for the shape flows' chain (calo_simulate, calo_train_flow) and the generation -> skim ->
# trigger scan chain, PRIORITY_LONG for the other jobs of more than a few seconds that
# later jobs wait for; plots, summaries and quick jobs keep the default 0. A cluster's queue
# ignores it. docs/performance.md ("Job priorities") has the measurements, and
# tools/replay_schedule.py replays a run's log to check the choice after a change.
PRIORITY_LONGEST = 2
PRIORITY_LONG = 1

# Each stage's .smk file registers here what the publishing step (rules/report.smk) needs -
# its small metrics files for results/summary.json, and its final outputs (so that every
# benchmark file exists before they are summarised).
SUMMARY_INPUTS = {}
STAGE_OUTPUTS = []
SAMPLES = list(config["samples"])
GENERATED = [s for s in SAMPLES if "process" in config["samples"][s]]
REAL = [s for s in SAMPLES if "files" in config["samples"][s]]
#: Collision data: skimmed, featurised and scored, never used to train or calibrate.
DATA = [s for s in SAMPLES if config["samples"][s]["role"] == "data"]
#: Simulated samples (generated here or NanoAOD files): the taggers' training inputs.
SIMULATED = [s for s in SAMPLES if s not in DATA]


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
            "golden_json": [],
        }
    spec = config["samples"][wildcards.sample]
    local = [f for f in spec["files"] if not is_remote(f)]
    golden = [spec["golden_json"]] if spec.get("golden_json") else []
    return {"events": local, "meta": [], "golden_json": golden}


def skim_selection(sample):
    """The data-quality selection of a sample (lhcml.skim.Selection fields), {} if none."""
    spec = config["samples"][sample]
    keys = ("golden_json", "hlt_paths", "met_filters", "jet_id")
    return {k: spec[k] for k in keys if k in spec}


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


# --- Names shared by several stages ------------------------------------------------

from lhcml.tables import SPLITS
from lhcml.taggers import CUT_BASED_TAGGERS

#: The feature tables of each split (rules/features.smk), read by the later stages.
FEATURE_TABLES = {s: f"{RESULTS}/features/{s}.parquet" for s in SPLITS}


def report_png(path, caption, category, subcategory=None):
    """A PNG flagged for the HTML report, with its caption report/{caption}.rst."""
    return report(
        path,
        caption=f"../report/{caption}.rst",
        category=category,
        subcategory=subcategory,
    )


def tagger_feature_needs():
    """Tagger -> the high-level features it reads (for the missing-feature check of the
    features stage; the DeepSets network reads constituents and train.deepsets.jet_features).

    A function, called when jobs are planned: TAGGERS and MD_TAGGERS come from the
    helpers of rules/taggers.smk and rules/decorrelation.smk, included after this file."""
    return {
        **{t: TRAIN["features"] for t in TAGGERS if t in ("bdt", "dnn")},
        **{t: [t] for t in TAGGERS if t in CUT_BASED_TAGGERS},
        **{
            t: config["decorrelate"]["features"]
            for t in MD_TAGGERS
            if t in ("adversarial", "disco")
        },
    }
