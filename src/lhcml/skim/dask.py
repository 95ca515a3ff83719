"""Dask clusters for the skim: a local process cluster, or Slurm jobs via dask-jobqueue.

``skim.executor: dask`` in the config runs the coffea processor with
:class:`coffea.processor.DaskExecutor` on the client opened here. The chunks are reduced
in a fixed order by :func:`lhcml.skim.processor.assemble`, so the output is identical to
the single-process (``iterative``) skim.

Config (``skim.dask``)::

    cluster: local | slurm
    workers: 2                 # local worker processes, or Slurm jobs (one worker each)
    slurm:                     # dask_jobqueue.SLURMCluster arguments (needs `make setup-cluster`)
      queue: debug
      account: null
      cores: 1
      memory: 2GB
      walltime: "00:30:00"
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping

log = logging.getLogger("lhcml.skim")

#: How long to wait for the first worker (a Slurm job may queue) before giving up, in s.
WORKER_START_TIMEOUT_S = 600

#: Where the Slurm jobs of the Dask workers write their logs (relative to the working
#: directory, like every other log of the workflow), instead of slurm-<id>.out files in it.
WORKER_LOG_DIR = "results/logs/dask"

#: Defaults of the ``skim.dask`` config section.
DEFAULT_DASK = {
    "cluster": "local",
    "workers": 2,
    "slurm": {
        "queue": "debug",
        "account": None,
        "cores": 1,
        "memory": "2GB",
        "walltime": "00:30:00",
    },
}


@contextlib.contextmanager
def dask_client(options: Mapping | None = None) -> Iterator:
    """Yield a ``distributed.Client`` on the configured cluster; close both afterwards."""
    # only for skim.executor "dask": the skim jobs of the other executors skip its ~0.8 s
    from dask.distributed import Client, LocalCluster  # noqa: PLC0415

    opts = {**DEFAULT_DASK, **dict(options or {})}
    opts["slurm"] = {**DEFAULT_DASK["slurm"], **dict(opts.get("slurm") or {})}

    workers = int(opts["workers"])
    if opts["cluster"] == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    elif opts["cluster"] == "slurm":
        try:
            from dask_jobqueue import SLURMCluster  # noqa: PLC0415 (optional: make setup-cluster)
        except ImportError as err:
            raise RuntimeError(
                "skim.dask.cluster 'slurm' needs dask-jobqueue: run `make setup-cluster`"
            ) from err
        slurm = opts["slurm"]
        cluster = SLURMCluster(
            queue=slurm["queue"],
            account=slurm["account"],
            cores=int(slurm["cores"]),
            processes=1,
            memory=slurm["memory"],
            walltime=slurm["walltime"],
            scheduler_options={"dashboard_address": None},
            log_directory=WORKER_LOG_DIR,
        )
        cluster.scale(jobs=workers)
    else:
        raise ValueError(f"unknown skim.dask.cluster {opts['cluster']!r}; choose local or slurm")
    log.info("dask: %s cluster with %d worker(s)", opts["cluster"], workers)
    try:
        with Client(cluster) as client:
            # On a batch system the worker jobs start when the scheduler has room: begin
            # with the first one; the others take chunks as they join.
            client.wait_for_workers(1, timeout=WORKER_START_TIMEOUT_S)
            log.info(
                "dask: %d of %d worker(s) up", len(client.scheduler_info()["workers"]), workers
            )
            yield client
    finally:
        cluster.close()
