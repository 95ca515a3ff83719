"""A helpful console: a failed job shows the error from its log on the terminal.

Snakemake reads the workflow profile ``profiles/default`` by itself; its
``show-failed-logs`` prints the failed job's log below Snakemake's error. Without it the
terminal shows only ``CalledProcessError ... message: None`` and the log's path.
"""

import subprocess
import sys

from conftest import ROOT


def _run_calo_train_on_a_broken_file(tmp_path, *extra):
    bad = tmp_path / "broken.h5"
    bad.write_text("not an HDF5 file")
    cmd = [
        sys.executable, "-m", "snakemake", "results/models/calo/eplus/meta.json",
        "--snakefile", str(ROOT / "Snakefile"), "--configfile", str(ROOT / "config" / "ci.yaml"),
        "--directory", str(tmp_path), "--cores", "1", *extra,
        "--config", f"calo={{files: {{eplus: [{bad}]}}}}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    return bad, proc.stdout + proc.stderr


def test_a_failed_job_prints_the_error_from_its_log(tmp_path):
    bad, out = _run_calo_train_on_a_broken_file(tmp_path)
    log = tmp_path / "results" / "logs" / "calo" / "train" / "eplus.log"
    assert "CaloFormatError" in log.read_text()
    # the error naming the file reaches the terminal, not only the log's path
    assert "CaloFormatError" in out and f"{bad}: cannot open" in out, out[-3000:]


def test_without_the_workflow_profile_the_terminal_lacks_the_error(tmp_path):
    """The control: what the profile adds (so the test above can fail)."""
    _, out = _run_calo_train_on_a_broken_file(tmp_path, "--workflow-profile", "none")
    assert "CaloFormatError" not in out
