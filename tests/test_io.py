"""Atomic writes: no half-written output, ever."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lhcml.io import atomic_path, read_json, write_json


def test_output_appears_only_on_success(tmp_path):
    target = tmp_path / "out.json"

    def crash_while_writing():
        with atomic_path(target) as tmp:
            tmp.write_text("{half")
            raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError, match="crash while writing"):
        crash_while_writing()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_a_killed_attempt_are_removed(tmp_path):
    stale = tmp_path / ".out.abc123.tmp.json"
    stale.write_text("{half")
    other = tmp_path / ".other.abc123.tmp.json"
    other.write_text("{}")
    write_json(tmp_path / "out.json", {"a": 1})
    assert read_json(tmp_path / "out.json") == {"a": 1}
    assert not stale.exists()
    assert other.exists()


def test_read_json_names_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"bad.json"):
        read_json(bad)
    with pytest.raises(FileNotFoundError, match=r"missing.json"):
        read_json(tmp_path / "missing.json")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_results_get_the_mode_of_the_umask(tmp_path, umask, mode):
    """mkstemp creates 0600; the renamed output has what the umask allows (group areas)."""
    old = os.umask(umask)
    try:
        write_json(tmp_path / "out.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == mode


def test_log_to_file_catches_what_c_libraries_print(tmp_path):
    """Output written straight to file descriptors 1 and 2 (as TensorFlow's C++ start-up
    lines are) goes to the job's log, not to the terminal."""
    log = tmp_path / "job.log"
    code = (
        "import os, sys; from lhcml.logs import log_to_file; "
        f"log_to_file({str(log)!r}); "
        "os.write(2, b'I0000 cudart_stub.cc: no GPU\\n'); os.write(1, b'fd1 line\\n'); "
        "print('python print'); sys.stderr.write('python stderr\\n')"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")  # this checkout's library
    env = {**os.environ, "PYTHONPATH": src}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert proc.stdout == ""
    assert proc.stderr == ""
    text = log.read_text()
    for line in ("I0000 cudart_stub.cc: no GPU", "fd1 line", "python print", "python stderr"):
        assert line in text
