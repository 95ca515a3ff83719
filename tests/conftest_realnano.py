"""Fixtures for tests on real CMS NanoAOD (imported by ``conftest.py``)."""

from __future__ import annotations

import os

import pytest

from realnano import IndexUnreachable, coffea_sample_files

__all__ = ["real_nanoaod"]


@pytest.fixture(scope="session")
def real_nanoaod() -> dict:
    """File name -> path of the real NanoAOD files from the coffea sdist (see ``realnano``).

    Downloaded once with pip and cached under ``tests/.cache/coffea-samples``; skips only
    when pip cannot reach the package index, and never in CI (``LHCML_CI=1``, set by
    ``.ci/run``), where a missing input is a failure.
    """
    try:
        return coffea_sample_files()
    except IndexUnreachable as err:
        message = f"real NanoAOD inputs unavailable: pip cannot reach the package index ({err})"
        if os.environ.get("LHCML_CI") == "1":
            pytest.fail(message)
        pytest.skip(message)
