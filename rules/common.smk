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
    validate_config(config)
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
