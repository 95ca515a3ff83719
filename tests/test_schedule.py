"""lhcml.schedule: a run's jobs read from Snakemake's log and replayed on a few cores."""

from __future__ import annotations

import datetime as dt

import pytest

from lhcml.schedule import (
    bottom_levels,
    dependencies,
    durations,
    list_schedule,
    read_run_log,
    replay,
)

T0 = dt.datetime(2026, 12, 7, 10, 0, 0)

# A run on 2 cores in a poor order: four 2-s fillers first, then the 10-s job L beside the
# chain A -> B -> C (2 s each; B writes a directory, C reads a file inside it).
# (rule, start, end, inputs, outputs, priority)
JOBS = [
    ("filler", 0, 2, [], ["f1"], 0),
    ("filler", 0, 2, [], ["f2"], 0),
    ("filler", 2, 4, [], ["f3"], 0),
    ("filler", 2, 4, [], ["f4"], 0),
    ("chain_a", 4, 6, [], ["a.txt"], 1),
    ("long", 4, 14, [], ["l.txt"], 1),
    ("chain_b", 6, 8, ["a.txt"], ["b"], 1),
    ("chain_c", 8, 10, ["b/part.txt", "external.txt"], ["c.txt"], 1),
]


def _stamp(seconds: int) -> str:
    """Snakemake's time stamp line, e.g. ``[Mon Dec  7 10:00:02 2026]``."""
    return f"[{(T0 + dt.timedelta(seconds=seconds)).ctime()}]"


def write_log(path, jobs=JOBS):
    """A Snakemake 9 log of ``jobs`` (job ids from 1), events in time order."""
    events = []
    for k, (rule, start, end, inputs, outputs, priority) in enumerate(jobs, start=1):
        block = [f"localrule {rule}:"]
        if inputs:
            block.append(f"    input: {', '.join(inputs)}")
        block += [f"    output: {', '.join(outputs)}", f"    jobid: {k}"]
        block.append(f"    benchmark: benchmarks/{k}.tsv")
        if priority:
            block.append(f"    priority: {priority}")
        events.append((start, 1, [_stamp(start), *block]))
        events.append((end, 0, [_stamp(end), f"Finished jobid: {k} (Rule: {rule})"]))
    lines = ["Building DAG of jobs...", "Select jobs to execute..."]
    for _, _, block in sorted(events, key=lambda e: (e[0], e[1])):
        lines += block
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def run(tmp_path):
    log = write_log(tmp_path / "run.snakemake.log")
    return read_run_log(log), tmp_path


def test_the_log_gives_each_job_with_its_files_times_and_priority(run):
    jobs, _ = run
    assert [j.rule for j in jobs][:2] == ["filler", "filler"]
    assert len(jobs) == 8
    c = next(j for j in jobs if j.rule == "chain_c")
    assert c.inputs == ["b/part.txt", "external.txt"]
    assert c.outputs == ["c.txt"]
    assert (c.end - c.start).total_seconds() == 2
    assert (c.priority, c.threads) == (1, 1)
    assert c.benchmark == f"benchmarks/{c.jobid}.tsv"


def test_jobs_are_linked_through_files_and_directories(run):
    jobs, _ = run
    ids = {j.rule: j.jobid for j in jobs if j.rule != "filler"}
    deps = dependencies(jobs)
    assert deps[ids["chain_b"]] == {ids["chain_a"]}
    assert deps[ids["chain_c"]] == {ids["chain_b"]}  # inside the directory b/
    assert deps[ids["long"]] == deps[ids["chain_a"]] == set()


def test_the_replay_reproduces_the_run_and_finds_the_better_order(run):
    jobs, workdir = run
    r = replay(jobs, durations(jobs, workdir), cores=2)
    assert r["work"] == pytest.approx(24.0)
    assert r["critical_path"] == pytest.approx(10.0)
    assert r["lower_bound"] == pytest.approx(12.0)
    # the run's own order: L starts at 4 s and ends the run at 14 s, as in the log
    assert r["as_run"] == pytest.approx(14.0)
    # L and the chain first (their priority, or their longest remaining path): the bound
    assert r["priorities"] == pytest.approx(12.0)
    assert r["longest_path_first"] == pytest.approx(12.0)


def test_benchmark_files_give_the_durations(run):
    jobs, workdir = run
    (workdir / "benchmarks").mkdir()
    long_job = next(j for j in jobs if j.rule == "long")
    (workdir / "benchmarks" / f"{long_job.jobid}.tsv").write_text(
        "s\th:m:s\tmax_rss\n12.5\t0:00:12\t100\n"
    )
    d = durations(jobs, workdir)
    assert d[long_job.jobid] == 12.5  # the benchmark's s, not the log's whole seconds
    assert sorted(set(d.values()) - {12.5}) == [2.0]
    r = replay(jobs, d, cores=2)
    assert r["lower_bound"] == pytest.approx(26.5 / 2)
    # L (0-12.5 s) beside the chain (0-6 s) and three fillers; the fourth ends at 14 s
    assert r["longest_path_first"] == pytest.approx(14.0)


def test_threads_and_bottom_levels():
    duration = {1: 4.0, 2: 1.0, 3: 1.0}
    deps = {1: set(), 2: {1}, 3: set()}
    assert bottom_levels(duration, deps) == {1: 5.0, 2: 1.0, 3: 1.0}
    # job 1 takes both cores: job 3 waits for it whatever the order
    span = list_schedule(duration, deps, {1: 2, 2: 1, 3: 1}, cores=2, rank=lambda j: -j)
    assert span == pytest.approx(5.0)
    # one core: the jobs run one after another
    assert list_schedule(duration, deps, {1: 1, 2: 1, 3: 1}, 1, lambda j: -j) == 6.0


def test_a_log_without_finished_jobs_is_an_error_naming_it(tmp_path):
    log = tmp_path / "dry.snakemake.log"
    log.write_text("Building DAG of jobs...\nJob stats:\n")
    with pytest.raises(ValueError, match=r"dry\.snakemake\.log"):
        read_run_log(log)


def test_a_dependency_cycle_is_an_error():
    with pytest.raises(ValueError, match="cycle"):
        bottom_levels({1: 1.0, 2: 1.0}, {1: {2}, 2: {1}})
