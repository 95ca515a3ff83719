"""Logging for workflow jobs: everything a job says goes to its rule's ``log:`` file."""

from __future__ import annotations

import logging
import os
import sys


def log_to_file(path: str | None, level: int = logging.INFO) -> None:
    """Send ``logging`` records, warnings, stdout and stderr (progress bars) to ``path``.

    The process's file descriptors 1 and 2 are redirected too, so what C++ libraries print
    (TensorFlow's and XLA's start-up lines, hls4ml's compiler) lands in the log and not on
    the terminal of the Snakemake run. With ``path`` None the job logs to stderr. The
    format is ``time level logger: message``.
    """
    if path:
        stream = open(path, "w", buffering=1)  # noqa: SIM115 (lives as long as the job)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
        sys.stdout = stream
        sys.stderr = stream
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.captureWarnings(True)
