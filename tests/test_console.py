"""A helpful console: a failed job shows the error from its log on the terminal.

Snakemake reads the workflow profile ``profiles/default`` by itself; its
``show-failed-logs`` prints the failed job's log below Snakemake's error. Without it the
terminal shows only ``CalledProcessError ... message: None`` and the log's path.
"""

import subprocess
import sys
from pathlib import Path

from conftest import ROOT, snakemake_command


def _run_calo_train_on_a_broken_file(tmp_path):
    bad = tmp_path / "broken.h5"
    bad.write_text("not an HDF5 file")
    target = "results/models/calo/eplus/meta.json"
    cmd = snakemake_command(
        tmp_path, target, "--config", f"calo={{files: {{eplus: [{bad}]}}}}", cores=1
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    return bad, proc.stdout + proc.stderr


def test_a_failed_job_prints_the_error_from_its_log(tmp_path):
    bad, out = _run_calo_train_on_a_broken_file(tmp_path)
    log = tmp_path / "results" / "logs" / "calo" / "train" / "eplus.log"
    assert "CaloFormatError" in log.read_text()
    # the error naming the file reaches the terminal, not only the log's path (without
    # the profile, `--workflow-profile none`, the terminal has neither)
    assert "CaloFormatError" in out, out[-3000:]
    assert f"{bad}: cannot open" in out, out[-3000:]


def _condor_config_seen(env: dict) -> str:
    """CONDOR_CONFIG as a Python that has the .pth of `make setup-cluster` sees it."""
    code = (
        "import os, site; "
        f"site.addsitedir({str(ROOT / 'tools' / 'cluster')!r}); "
        "print(os.environ.get('CONDOR_CONFIG'))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def test_no_condor_warning_on_local_starts(tmp_path):
    """The HTCondor bindings (loaded by Snakemake's plugin registry on every start once the
    cluster extras are installed) warn when no HTCondor configuration exists, then use
    /dev/null. The .pth file sets that value first, so they stay quiet; a site's own
    setting is kept."""
    configs = ("/etc/condor/condor_config", "/usr/local/etc/condor_config")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if any(Path(p).is_file() for p in configs):
        assert _condor_config_seen(env) == "None"  # a real HTCondor host: untouched
    else:
        assert _condor_config_seen(env) == "/dev/null"
    assert _condor_config_seen({**env, "CONDOR_CONFIG": "/site/condor"}) == "/site/condor"
