"""Atomic writes: no half-written output, ever."""

import pytest

from lhcml.io import atomic_path, read_json, write_json


def test_output_appears_only_on_success(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("{half")
        raise RuntimeError("crash while writing")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_a_killed_attempt_are_removed(tmp_path):
    stale = tmp_path / ".out.abc123.tmp.json"
    stale.write_text("{half")
    other = tmp_path / ".other.abc123.tmp.json"
    other.write_text("{}")
    write_json(tmp_path / "out.json", {"a": 1})
    assert read_json(tmp_path / "out.json") == {"a": 1}
    assert not stale.exists() and other.exists()


def test_read_json_names_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        read_json(bad)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        read_json(tmp_path / "missing.json")
