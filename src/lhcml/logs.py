"""Logging for workflow jobs: everything a job says goes to its rule's ``log:`` file."""

from __future__ import annotations

import logging
import sys


def log_to_file(path: str | None, level: int = logging.INFO) -> None:
    """Send ``logging`` records, warnings and stderr (progress bars) to ``path``.

    With ``path`` None the job logs to stderr. The format is
    ``time level logger: message``.
    """
    if path:
        stream = open(path, "w", buffering=1)  # noqa: SIM115 (lives as long as the job)
        sys.stderr = stream
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.captureWarnings(True)
