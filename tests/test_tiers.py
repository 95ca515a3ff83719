"""The test tiers: a test that needs the whole-DAG run is marked ``workflow`` by conftest.py,
so ``make test-fast`` (``-m "not workflow and not cluster"``) never starts that run."""

import subprocess
import sys

from conftest import ROOT

FAST = "not workflow and not cluster"


def _collected(marker: str, *paths: str) -> set[str]:
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", marker, *paths]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 5), proc.stdout + proc.stderr  # 5: nothing selected
    return {line.split("::")[-1] for line in proc.stdout.splitlines() if "::" in line}


def test_tests_using_the_dag_run_are_marked_workflow_and_left_out_of_the_fast_tier():
    files = ("tests/test_report.py", "tests/test_reruns.py")
    fast = _collected(FAST, *files)
    workflow = _collected("workflow", *files)
    # ci_run directly (test_report) and through the DAG run's directory (test_reruns)
    assert "test_summary_has_every_stage_and_provenance" in workflow
    assert "test_nothing_to_do_after_a_complete_run" in workflow
    assert "test_every_rule_that_does_work_has_a_benchmark_file" in fast
    assert "test_until_skim_plans_nothing_beyond_the_skim" in fast
    assert not fast & workflow
