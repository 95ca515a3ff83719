"""Skim one sample: check the inputs, normalise, run the processor, write the outputs.

Outputs (both written atomically: to a temporary name in the destination directory, then
``os.replace``; on any error neither is left half-written):

* the jet table, parquet (plain Arrow types), one row per selected event with the columns
  of :data:`lhcml.skim.processor.COLUMNS`; zero rows but the same schema when nothing
  passes;
* the cutflow, JSON::

    {"sample": str, "xsec_pb": float | null, "lumi_fb": float, "sumw": float | null,
     "steps": [{"name": str, "events": int, "weighted": float}, ...]}

  with the steps of the sample's :meth:`lhcml.skim.processor.Selection.steps` in order
  (and the ``selection`` that defined them); ``xsec_pb`` and ``sumw`` are ``null`` for
  collision data. ``missing_features`` maps a feature (``d2``) to the files that can give
  it neither as a branch nor from their constituents (``{feature: {file: reason}}``); the
  stages that need the feature fail naming them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from collections.abc import Mapping, Sequence

import awkward as ak
from coffea import processor
from coffea.processor.executor import FileMeta

from lhcml.io import atomic_path
from lhcml.nanoaod import REQUIRED_EVENT_BRANCHES
from lhcml.skim.dask import dask_client
from lhcml.skim.inputs import (
    EVENTS_TREE,
    SkimInputError,
    inspect_file,
    missing_features,
    sum_gen_weight,
    sum_normalisation,
)
from lhcml.skim.processor import (
    LeadingFatJetProcessor,
    SampleNorm,
    Selection,
    SkimSchema,
    assemble,
    validate_cuts,
)

log = logging.getLogger("lhcml.skim")

#: Executors of :func:`skim_sample`: coffea's iterative and futures executors, and its
#: Dask executor on the cluster of :func:`lhcml.skim.dask.dask_client`.
EXECUTORS = ("iterative", "futures", "dask")


@contextlib.contextmanager
def _executor(name: str, workers: int, dask_options: Mapping | None = None):
    if name == "iterative":
        if workers != 1:
            log.info("executor 'iterative' runs in one process; ignoring workers=%d", workers)
        yield processor.IterativeExecutor(status=False, retries=0)
    elif name == "futures":
        yield processor.FuturesExecutor(workers=max(1, int(workers)), status=False, retries=0)
    elif name == "dask":
        with dask_client(dask_options) as client:
            yield processor.DaskExecutor(client=client, status=False, retries=0)
    else:
        raise ValueError(f"unknown executor {name!r}; choose one of {EXECUTORS}")


def skim_sample(
    files: Sequence[str | os.PathLike],
    sample_name: str,
    xsec_pb: float | None,
    lumi_fb: float,
    cuts: Mapping | None,
    out_parquet: str | os.PathLike,
    out_cutflow: str | os.PathLike,
    executor: str = "iterative",
    workers: int = 1,
    chunksize: int = 100_000,
    sumw: float | None = None,
    dask: Mapping | None = None,
    selection: Selection | None = None,
) -> dict:
    """Skim all files of one sample and write its jet table and cutflow.

    Parameters
    ----------
    files
        The sample's NanoAOD files (paths or URLs), all of them: the normalisation is
        summed over all files.
    sample_name
        Written to the ``sample`` column and the cutflow.
    xsec_pb
        Cross section in pb; ``None`` for real data (every event weighted 1, no
        normalisation read).
    lumi_fb
        Integrated luminosity in fb^-1.
    cuts
        Skim cuts (see :data:`lhcml.skim.processor.DEFAULT_CUTS`).
    out_parquet, out_cutflow
        Output paths (directories are created).
    executor
        ``"iterative"`` (one process), ``"futures"`` (``workers`` local processes) or
        ``"dask"`` (coffea's Dask executor on the cluster described by ``dask``).
    workers
        Number of processes for ``"futures"``.
    dask
        The ``skim.dask`` config for ``executor="dask"`` (see :mod:`lhcml.skim.dask`):
        a local cluster by default, or Slurm jobs through dask-jobqueue.
    chunksize
        Target number of events per chunk.
    sumw
        Sum of ``genWeight`` over all generated events of the sample. By default (``None``)
        it is read from the files' ``Runs`` trees (``genEventSumw``, or the pre-v6
        ``genEventSumw_``); when any file has no ``Runs`` tree, it is the sum of
        ``genWeight`` over all events of all the files (computed once here, logged, and
        written to the cutflow).
    selection
        The data-quality :class:`~lhcml.skim.processor.Selection` (real files); its
        branches are required in every file.

    Returns
    -------
    dict
        ``{"sample", "files", "events", "selected", "sumw", "seconds", "events_per_s"}``:
        events processed, jets kept, the normalisation used, wall time of the whole call
        (checks, processing, writing) and the rate.

    Raises
    ------
    lhcml.skim.SkimInputError
        A bad input file (named in the message), before anything is processed or written.
    ValueError
        Invalid cuts, executor, chunksize or normalisation; no files, or a file listed twice.
    """
    start = time.perf_counter()
    cuts = validate_cuts(cuts)  # configuration errors before any I/O
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    files = [os.fspath(f) for f in files]
    if not files:
        raise ValueError(f"sample {sample_name!r}: no input files")
    duplicates = sorted({f for f in files if files.count(f) > 1})
    if duplicates:
        raise ValueError(f"sample {sample_name!r}: files listed more than once: {duplicates}")
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    selection = selection or Selection()
    need_sumw = xsec_pb is not None and sumw is None
    required = (*REQUIRED_EVENT_BRANCHES, *selection.branches())
    # One open per file: checks, entry counts and (for simulation) the Runs sums.
    infos = [inspect_file(path, required=required, normalisation=need_sumw) for path in files]
    n_events = sum(info.n_events for info in infos)
    log.info("%s: %d file(s), %d events", sample_name, len(files), n_events)
    if n_events == 0:
        which = files[0] if len(files) == 1 else f"all its files {files}"
        raise SkimInputError(
            f"sample {sample_name!r}: {which}: has no events (tree '{EVENTS_TREE}' has 0 "
            "entries); nothing to skim"
        )
    for info in infos:
        if info.n_events == 0:
            log.warning(
                "%s: %s holds no events (kept for the normalisation)", sample_name, info.path
            )

    if xsec_pb is None:
        norm = None
        log.info("%s: collision data, every event weighted 1", sample_name)
    else:
        if sumw is None and all(info.sumw is not None for info in infos):
            sumw = sum_normalisation(infos).sumw
            log.info("%s: sumw = %.8g from the Runs trees", sample_name, sumw)
        elif sumw is None:
            no_runs = [info.path for info in infos if info.sumw is None]
            sumw = sum_gen_weight(files)
            log.info(
                "%s: %s without a Runs tree: sumw = %.8g, the sum of genWeight over all "
                "%d events of the sample",
                sample_name,
                no_runs,
                sumw,
                n_events,
            )
        else:
            log.info("%s: sumw = %.8g as configured", sample_name, sumw)
        norm = SampleNorm(xsec_pb=float(xsec_pb), lumi_fb=float(lumi_fb), sumw=float(sumw))
        log.info(
            "%s: xsec=%g pb, lumi=%g fb^-1, sumw=%g -> weight = %g x genWeight",
            sample_name,
            norm.xsec_pb,
            norm.lumi_fb,
            norm.sumw,
            norm.scale,
        )

    proc = LeadingFatJetProcessor(cuts, {sample_name: norm}, {sample_name: selection})
    with _executor(executor, workers, dask) as executor_instance, warnings.catch_warnings():
        runner = processor.Runner(
            executor=executor_instance,
            schema=SkimSchema,
            chunksize=int(chunksize),
            # Chunking metadata from the inspection above (saves coffea re-reading every
            # file's TTree header), never a stale global cache of a rewritten file.
            metadata_cache={
                FileMeta(sample_name, info.path, EVENTS_TREE): {
                    "numentries": info.n_events,
                    "uuid": info.uuid,
                }
                for info in infos
            },
        )
        # NanoAODSchema overwrites the Photon mass/charge branches of real NanoAOD with 0
        # (for its 4-vector behaviour) and says so per chunk; the skim does not use them.
        warnings.filterwarnings("ignore", r"Branch \w+ already exists", RuntimeWarning)
        output = runner({sample_name: files}, proc, treename=EVENTS_TREE)
    table, steps = assemble(output, sample_name, files, selection.steps())
    processed = steps[0]["events"]
    if processed != n_events:
        raise RuntimeError(
            f"{sample_name}: processed {processed} events but the files hold {n_events}"
        )

    missing = {}
    for info in infos:
        for feature, reason in missing_features(info).items():
            missing.setdefault(feature, {})[info.path] = reason
            log.warning(
                "%s: %s: feature %s unavailable (%s)", sample_name, info.path, feature, reason
            )
    cutflow = {
        "sample": sample_name,
        "missing_features": missing,
        "xsec_pb": None if norm is None else norm.xsec_pb,
        "lumi_fb": float(lumi_fb),
        "sumw": None if norm is None else norm.sumw,
        "selection": {
            "golden_json": selection.golden_json,
            "hlt_paths": list(selection.hlt_paths),
            "met_filters": list(selection.met_filters),
            "jet_id": selection.jet_id,
        },
        "steps": steps,
    }
    # Both temporaries are complete before either is renamed into place.
    with atomic_path(out_parquet) as tmp_parquet, atomic_path(out_cutflow) as tmp_cutflow:
        ak.to_parquet(table, tmp_parquet, extensionarray=False)
        tmp_cutflow.write_text(json.dumps(cutflow, indent=2) + "\n")
    seconds = time.perf_counter() - start
    for step in steps:
        log.info(
            "%s: cutflow %-10s %8d events %14.6g weighted",
            sample_name,
            step["name"],
            step["events"],
            step["weighted"],
        )
    summary = {
        "sample": sample_name,
        "files": len(files),
        "events": processed,
        "selected": len(table),
        "sumw": None if norm is None else norm.sumw,
        "seconds": seconds,
        "events_per_s": processed / seconds if seconds > 0 else float("inf"),
    }
    log.info(
        "%s: %d of %d events selected in %.2f s (%.0f events/s) -> %s, %s",
        sample_name,
        summary["selected"],
        processed,
        seconds,
        summary["events_per_s"],
        out_parquet,
        out_cutflow,
    )
    return summary
