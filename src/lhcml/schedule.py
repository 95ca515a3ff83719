"""Replay the jobs of a workflow run as a list schedule on a few cores.

A run on a workstation ends when its longest chain of dependent jobs ends, or when the
cores have done all the work, whichever is later; in between, the order in which
Snakemake starts the ready jobs decides how much of the machine stands idle. This module
reads the jobs of one run from Snakemake's log (rule, inputs, outputs, threads, priority,
start and end), links them through their files, and replays them on ``cores`` cores under
another order. ``tools/replay_schedule.py`` prints the comparison; docs/performance.md
("Job priorities") explains how it chose the rules' ``priority:``.

Conventions: times in seconds; a job's duration is the ``s`` column of its ``benchmark:``
file where it has one (the job's own wall time), else its end minus start in the log (whole
seconds); a job holds ``threads`` cores while it runs.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from dataclasses import dataclass, field
from pathlib import Path

from lhcml.summary import read_benchmark

_TIMESTAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$")
_RULE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
_FIELD = re.compile(r"^\s+(input|output|benchmark|jobid|threads|priority): (.*)$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")


@dataclass
class LoggedJob:
    """One job of a run, as Snakemake's log describes it."""

    jobid: int
    rule: str
    start: dt.datetime
    end: dt.datetime | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    benchmark: str | None = None
    threads: int = 1
    priority: int = 0


def read_run_log(path: str | Path) -> list[LoggedJob]:
    """The finished jobs of the run logged in ``path`` (``.snakemake/log/*.snakemake.log``).

    Raises ValueError naming the file if it holds no finished job (a dry run, ``--quiet``,
    or a run that failed before any job ended).
    """
    blocks: list[dict] = []  # one per job start, in the order of the log
    ends: dict[int, dt.datetime] = {}
    stamp = None
    for line in Path(path).read_text().splitlines():
        if m := _TIMESTAMP.match(line):
            stamp = dt.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := _RULE.match(line):
            blocks.append({"rule": m.group(1), "start": stamp})
        elif blocks and (m := _FIELD.match(line)):
            key, value = m.groups()
            if key in ("input", "output"):
                blocks[-1][key + "s"] = [v.strip() for v in value.split(", ")]
            elif key == "benchmark":
                blocks[-1][key] = value.strip()
            else:
                blocks[-1][key] = int(value)
        elif m := _FINISHED.match(line):
            ends[int(m.group(1))] = stamp
    jobs = [LoggedJob(**b, end=ends[b["jobid"]]) for b in blocks if b.get("jobid") in ends]
    if not jobs:
        raise ValueError(f"{path}: no finished job in this Snakemake log")
    return sorted(jobs, key=lambda j: (j.start, j.jobid))


def dependencies(jobs: list[LoggedJob]) -> dict[int, set[int]]:
    """For each job, the jobs of the same run whose outputs it reads.

    An input inside an output directory (``output/...``) counts as that output.
    """
    producer = {out: job.jobid for job in jobs for out in job.outputs}
    deps: dict[int, set[int]] = {}
    for job in jobs:
        deps[job.jobid] = set()
        for f in job.inputs:
            if f in producer:
                deps[job.jobid].add(producer[f])
            else:
                deps[job.jobid].update(p for o, p in producer.items() if f.startswith(o + "/"))
        deps[job.jobid].discard(job.jobid)
    return deps


def durations(jobs: list[LoggedJob], workdir: str | Path = ".") -> dict[int, float]:
    """Each job's wall time in seconds: its benchmark file's ``s``, else end - start."""
    out = {}
    for job in jobs:
        bench = Path(workdir, job.benchmark) if job.benchmark else None
        record = read_benchmark(bench) if bench is not None and bench.is_file() else None
        if record is not None:
            out[job.jobid] = float(record["s"])
        else:
            out[job.jobid] = (job.end - job.start).total_seconds()
    return out


def bottom_levels(duration: dict[int, float], deps: dict[int, set[int]]) -> dict[int, float]:
    """Each job's longest remaining path: its duration plus the longest chain after it."""
    users = _users(deps)
    order, indegree = [], {j: len(ds) for j, ds in deps.items()}
    queue = [j for j, n in indegree.items() if n == 0]
    while queue:  # topological order (Kahn)
        j = queue.pop()
        order.append(j)
        for u in users[j]:
            indegree[u] -= 1
            if indegree[u] == 0:
                queue.append(u)
    if len(order) != len(deps):
        raise ValueError("the jobs' dependencies form a cycle")
    level: dict[int, float] = {}
    for j in reversed(order):
        level[j] = duration[j] + max((level[u] for u in users[j]), default=0.0)
    return level


def _users(deps: dict[int, set[int]]) -> dict[int, list[int]]:
    """For each job, the jobs that read its outputs."""
    users: dict[int, list[int]] = {j: [] for j in deps}
    for j, ds in deps.items():
        for d in ds:
            users[d].append(j)
    return users


def list_schedule(
    duration: dict[int, float],
    deps: dict[int, set[int]],
    threads: dict[int, int],
    cores: int,
    rank,
) -> float:
    """The span (s) of running the jobs on ``cores`` cores, starting ready jobs by ``rank``.

    Whenever cores are free, the ready jobs (all dependencies done) are tried in
    decreasing ``rank(jobid)`` and each one that fits in the free cores starts, as
    Snakemake's local scheduler does with ``priority:``. A job asking for more than
    ``cores`` threads gets all of them.
    """
    need = {j: min(threads[j], cores) for j in duration}
    waiting = {j: set(ds) for j, ds in deps.items()}
    ready = [j for j, ds in waiting.items() if not ds]
    users = _users(deps)
    running: list[tuple[float, int]] = []
    now, free, done = 0.0, cores, 0
    while done < len(duration):
        ready.sort(key=rank, reverse=True)
        for j in list(ready):
            if need[j] <= free:
                free -= need[j]
                ready.remove(j)
                heapq.heappush(running, (now + duration[j], j))
        if not running:
            raise ValueError("the jobs' dependencies form a cycle")
        now, j = heapq.heappop(running)
        finished = [j]
        while running and running[0][0] == now:
            finished.append(heapq.heappop(running)[1])
        for j in finished:
            free += need[j]
            done += 1
            for u in users[j]:
                waiting[u].discard(j)
                if not waiting[u]:
                    ready.append(u)
    return now


def replay(jobs: list[LoggedJob], duration: dict[int, float], cores: int) -> dict:
    """The run's bounds and its span replayed under three orders.

    Returns ``{jobs, work, cores, lower_bound, critical_path, as_run, priorities,
    longest_path_first}`` (seconds; ``work`` in core-seconds): ``as_run`` starts ready jobs
    in the order the run started them (it checks the replay against the run's real span),
    ``priorities`` by the jobs' ``priority:`` first, ``longest_path_first`` by their
    bottom level (the classic list-scheduling heuristic). ``lower_bound`` is the larger of
    ``work / cores`` and ``critical_path``: no order beats it.
    """
    deps = dependencies(jobs)
    threads = {j.jobid: j.threads for j in jobs}
    started = {j.jobid: k for k, j in enumerate(jobs)}
    prio = {j.jobid: j.priority for j in jobs}
    level = bottom_levels(duration, deps)
    work = sum(duration[j] * min(threads[j], cores) for j in duration)
    critical = max(level.values())

    def span(rank) -> float:
        return list_schedule(duration, deps, threads, cores, rank)

    return {
        "jobs": len(jobs),
        "cores": cores,
        "work": work,
        "critical_path": critical,
        "lower_bound": max(work / cores, critical),
        "as_run": span(lambda j: -started[j]),
        "priorities": span(lambda j: (prio[j], -started[j])),
        "longest_path_first": span(lambda j: level[j]),
    }
