"""``make bench``: the report's figures matched to the committed baseline's."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from compare import compare, figures, targets

BASE = {
    "generation": [
        {"process": "qcd", "mpi": False, "bare_pythia_ev_s": 400.0, "ratio": 0.30},
        {"process": "qcd", "mpi": True, "bare_pythia_ev_s": 90.0, "ratio": 0.60},
    ],
    "inference": {"zfit_seconds": 2.0, "ratio": 10.0},
    "e2e": {"rules": [["generate", 19, 748.0]]},
}


def test_figures_are_named_by_what_they_are():
    got = figures(BASE)
    assert got == {
        "generation/qcd/mpi=off/bare_pythia_ev_s": 400.0,
        "generation/qcd/mpi=off/ratio": 0.30,
        "generation/qcd/mpi=on/bare_pythia_ev_s": 90.0,
        "generation/qcd/mpi=on/ratio": 0.60,
        "inference/zfit_seconds": 2.0,
        "inference/ratio": 10.0,
        "e2e/rules/generate/1": 19.0,
        "e2e/rules/generate/2": 748.0,
    }


def test_compare_flags_ratios_that_moved_the_wrong_way():
    current = {
        # rows in another order, keys sorted (as JSON gives them): matched by name
        "generation": [
            {"bare_pythia_ev_s": 45.0, "mpi": True, "process": "qcd", "ratio": 0.50},
            {"process": "qcd", "mpi": False, "bare_pythia_ev_s": 200.0, "ratio": 0.80},
        ],
        "inference": {"zfit_seconds": 1.0, "ratio": 12.0},
        "skim": {"ratio": 0.7},
    }
    rows = {r["key"]: r for r in compare(figures(current), figures(BASE), tolerance=0.1)}
    assert rows["generation/qcd/mpi=off/ratio"]["verdict"] == "better"
    assert rows["generation/qcd/mpi=off/ratio"]["change"] == pytest.approx(0.8 / 0.3 - 1)
    assert rows["generation/qcd/mpi=on/ratio"]["verdict"] == "worse"  # 0.6 -> 0.5
    assert rows["inference/ratio"]["verdict"] == "worse"  # a time ratio: lower is better
    assert rows["generation/qcd/mpi=on/bare_pythia_ev_s"]["verdict"] == ""  # not a ratio
    assert rows["inference/zfit_seconds"]["baseline"] == 2.0
    assert rows["skim/ratio"]["verdict"] == "new"
    assert rows["skim/ratio"]["baseline"] is None
    small = compare({"inference/ratio": 10.5}, {"inference/ratio": 10.0}, tolerance=0.1)
    assert small[0]["verdict"] == ""  # within the noise tolerance


def test_targets_of_the_speed_issue():
    rows = targets(
        {
            "generation/qcd/mpi=on/ratio_cpu": 0.85,
            "skim/ratio": 0.5,
            "inference/ratio": 2.5,
            "taggers/ratio": 9.0,
        }
    )
    assert [(r["key"], r["met"]) for r in rows] == [
        ("generation/qcd/mpi=on/ratio_cpu", True),
        ("skim/ratio", False),
        ("inference/ratio", True),
    ]
