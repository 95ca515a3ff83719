"""Bad inputs fail loudly, naming the file, URL, sample or column, and leave no output.

(Truncated files, missing branches, the skim output of zero selected jets and bad config
keys are covered in test_skim.py and test_config.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import awkward as ak
import numpy as np
import pytest
import uproot
import yaml

from lhcml.features import build_feature_table
from lhcml.generate.nanoaod_writer import write_nanoaod
from lhcml.skim.inputs import SkimInputError
from lhcml.skim.run import skim_sample

from conftest import ROOT, run_snakemake

CUTS = {
    "fatjet_pt_min": 300.0,
    "fatjet_abs_eta_max": 2.4,
    "msoftdrop_min": 30.0,
    "msoftdrop_max": 250.0,
}
UNREACHABLE = "root://127.0.0.1:1//store/lhcml/missing.root"


def _empty_copy(source, target):
    """A NanoAOD file with the branches of ``source`` and zero events."""
    with uproot.open(source) as f:
        events = f["Events"].arrays(entry_stop=0)
    flat = {k: np.asarray(events[k]) for k in ("run", "luminosityBlock", "event", "genWeight")}
    collections = {}
    for name in ("FatJet", "GenPart", "PFCands", "FatJetPFCands"):
        fields = [k.removeprefix(f"{name}_") for k in events.fields if k.startswith(f"{name}_")]
        collections[name] = ak.zip({f: events[f"{name}_{f}"] for f in fields})
    runs = {
        "run": np.ones(1, np.uint32),
        "genEventCount": np.zeros(1, np.int64),
        "genEventSumw": np.zeros(1),
    }
    write_nanoaod(target, flat, collections, runs)


def test_unreachable_url_fails_fast_naming_it(tmp_path):
    """Run in a fresh interpreter: XRootD's client library crashes when it is loaded into
    a process that already holds TensorFlow (as pytest's does after the trigger tests)."""
    code = (
        "import json, sys\n"
        "from lhcml.skim.inputs import SkimInputError\n"
        "from lhcml.skim.run import skim_sample\n"
        "url, cuts, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]\n"
        "try:\n"
        "    skim_sample([url], 'remote', 1.0, 1.0, cuts, f'{out}/r.parquet', f'{out}/r.json')\n"
        "except SkimInputError as e:\n"
        "    sys.exit(f'SkimInputError: {e}')\n"
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code, UNREACHABLE, json.dumps(CUTS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert time.monotonic() - start < 90  # bounded XRootD retries, not ~10 minutes
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "SkimInputError:" in proc.stderr, proc.stderr[-3000:]
    assert UNREACHABLE in proc.stderr, proc.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_unreachable_url_in_config_stops_the_workflow(tmp_path, monkeypatch):
    # one short XRootD attempt: the bound with lhcml's defaults is the test above's
    monkeypatch.setenv("XRD_CONNECTIONWINDOW", "1")
    monkeypatch.setenv("XRD_CONNECTIONRETRY", "1")
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    # added beside the generated samples, which other stages' config sections refer to
    samples = yaml.safe_load((ROOT / "config" / "ci-samples.yaml").read_text())
    samples["remote"] = {"role": "other", "files": [UNREACHABLE], "xsec_pb": 1.0}
    (tmp_path / "remote-samples.yaml").write_text(yaml.safe_dump(samples))
    config["samples"] = "remote-samples.yaml"
    (tmp_path / "remote.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(AssertionError) as failure:
        run_snakemake(
            tmp_path,
            "results/skim/remote.parquet",
            "--configfile",
            str(tmp_path / "remote.yaml"),
            "--show-failed-logs",
        )
    assert UNREACHABLE in str(failure.value)
    assert not (tmp_path / "results" / "skim" / "remote.parquet").exists()


def test_zero_event_files(ci_run, tmp_path):
    generated = ci_run / "results" / "generated" / "qcd" / "0.root"
    empty = tmp_path / "empty.root"
    _empty_copy(generated, empty)
    # alone: nothing to normalise or select -> error naming the file
    with pytest.raises(SkimInputError, match=r"empty.root"):
        skim_sample([empty], "e", 1.0, 1.0, CUTS, tmp_path / "e.parquet", tmp_path / "e.json")
    assert not (tmp_path / "e.parquet").exists()
    # beside real events: skipped with a warning, the result equals the file's own skim
    skim_sample(
        [empty, generated], "m", 1.0, 1.0, CUTS, tmp_path / "m.parquet", tmp_path / "m.json"
    )
    skim_sample([generated], "g", 1.0, 1.0, CUTS, tmp_path / "g.parquet", tmp_path / "g.json")
    mixed, alone = ak.from_parquet(tmp_path / "m.parquet"), ak.from_parquet(tmp_path / "g.parquet")
    assert ak.array_equal(mixed.fj_pt, alone.fj_pt)


@pytest.mark.parametrize(
    ("column", "value"),
    [("fj_pt", np.nan), ("fj_tau1", np.inf), ("weight", -np.inf), ("fj_n2b1", np.inf)],
)
def test_non_finite_feature_inputs_are_refused_naming_the_column(ci_run, column, value):
    jets = ak.from_parquet(ci_run / "results" / "skim" / "qcd.parquet")
    broken = ak.to_numpy(jets[column]).copy()
    broken[3] = value
    jets = ak.with_field(jets, broken, column)
    roles = {"qcd": "background"}
    split = {"train": 0.6, "val": 0.2, "test": 0.2}
    with pytest.raises(ValueError, match=r"sample 'qcd': column '\w+'") as err:
        build_feature_table({"qcd": jets}, roles, 30, split, 7)
    assert str(jets.event[3]) in str(err.value)


def test_nan_n2_of_single_particle_jets_is_allowed(ci_run):
    jets = ak.from_parquet(ci_run / "results" / "skim" / "qcd.parquet")
    n2 = ak.to_numpy(jets.fj_n2b1).copy()
    n2[:5] = np.nan
    jets = ak.with_field(jets, n2, "fj_n2b1")
    out = build_feature_table(
        {"qcd": jets}, {"qcd": "background"}, 30, {"train": 0.6, "val": 0.2, "test": 0.2}, 7
    )
    assert sum(int(np.isnan(ak.to_numpy(t.n2)).sum()) for t in out.values()) == 5


def test_sample_with_zero_selected_jets_is_in_the_cutflow_and_merges(ci_run, tmp_path):
    generated = ci_run / "results" / "generated" / "vjets" / "0.root"
    no_jet_cuts = {**CUTS, "fatjet_pt_min": 1.0e5}  # 100 TeV: nothing passes
    skim_sample(
        [generated], "none", 1.0, 1.0, no_jet_cuts, tmp_path / "n.parquet", tmp_path / "n.json"
    )
    cutflow = json.loads((tmp_path / "n.json").read_text())
    assert cutflow["steps"][0]["events"] > 0
    assert cutflow["steps"][-1]["events"] == 0
    empty = ak.from_parquet(tmp_path / "n.parquet")
    qcd = ak.from_parquet(ci_run / "results" / "skim" / "qcd.parquet")
    split = {"train": 0.6, "val": 0.2, "test": 0.2}
    alone = build_feature_table({"qcd": qcd}, {"qcd": "background"}, 30, split, 7)
    merged = build_feature_table(
        {"qcd": qcd, "none": empty}, {"qcd": "background", "none": "signal"}, 30, split, 7
    )
    for name in split:
        assert ak.array_equal(merged[name].pt, alone[name].pt), name
