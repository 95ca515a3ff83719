"""The timeline (Gantt) of the last workflow run, from Snakemake's benchmark files."""

import os

import pytest

from lhcml.summary import benchmark_table, last_run_timeline
from lhcml.summary_plots import plot_timeline

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _job(root, rel, seconds, end):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:{int(seconds):02d}\t100\t1\t1\t1\t0\t0\t1\t1\n")
    os.utime(path, (end, end))


def test_last_run_timeline_times_lanes_and_old_jobs(tmp_path):
    # an earlier run, kept by Snakemake
    _job(tmp_path, "generate_chunk/qcd/0.tsv", 30.0, end=1_000.0)
    _job(tmp_path, "generate_chunk/qcd/1.tsv", 10.0, end=5_010.0)  # 5000 .. 5010
    _job(tmp_path, "generate_chunk/vjets/0.tsv", 20.0, end=5_022.0)  # 5002 .. 5022
    _job(tmp_path, "skim_sample/qcd.tsv", 5.0, end=5_017.0)  # 5012 .. 5017: after the first job
    _job(tmp_path, "taggers_train/bdt.tsv", 8.0, end=5_030.0)  # 5022 .. 5030: after both
    rows = benchmark_table(tmp_path)
    assert len(rows) == 5
    timeline = last_run_timeline(rows)
    got = [(j["job"], j["start"], j["end"], j["lane"]) for j in timeline]
    assert got == [
        ("qcd/1", pytest.approx(0.0), pytest.approx(10.0), 0),
        ("vjets/0", pytest.approx(2.0), pytest.approx(22.0), 1),
        ("qcd", pytest.approx(12.0), pytest.approx(17.0), 0),
        ("bdt", pytest.approx(22.0), pytest.approx(30.0), 0),
    ]
    # a gap shorter than gap_s keeps the earlier job in the same run
    assert len(last_run_timeline(rows, gap_s=5_000.0)) == 5
    assert last_run_timeline([]) == []
    plot_timeline(rows, tmp_path / "timeline.png")
    assert (tmp_path / "timeline.png").stat().st_size > 10_000
