"""Real CMS NanoAOD through the workflow (coffea's test files; see docs/real-data.md).

One workflow run of a config whose samples file holds only real files (simulation with and
without ``Runs``, PFNano, NanoAOD v15, collision data, a file where nothing passes) runs
skim -> features -> cut-based tagger scores -> data vs simulation plots; the tests read its
outputs. The zero-event file, non-finite inputs and a generated-plus-real config each get a
small run of their own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot
import vector
import yaml

from lhcml.generate.nanoaod_writer import write_nanoaod
from lhcml.skim import SkimInputError
from lhcml.skim.processor import CUTFLOW_STEPS, Selection
from lhcml.skim.run import skim_sample

from conftest import ROOT, snakemake_command

CI = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
GOLDEN = ROOT / "config" / "opendata" / "golden_2018_test.json"
MET_FILTERS = [
    "Flag_goodVertices",
    "Flag_globalSuperTightHalo2016Filter",
    "Flag_HBHENoiseFilter",
    "Flag_BadPFMuonFilter",
]
DATA_HLT = [
    "HLT_Mu17_TrkIsoVVL_Mu8_TrkIsoVVL_DZ_Mass3p8",
    "HLT_DoubleMu4_Mass8_DZ_PFHT350",
    "HLT_Mu50",
]
SKIM = {
    "fatjet_pt_min": 200.0,
    "fatjet_abs_eta_max": 2.4,
    "msoftdrop_min": 0.0,
    "msoftdrop_max": 300.0,
    "max_constituents": 1000,
}
LUMI_FB = 2.0


def snakemake(workdir: Path, config: Path, *args: str, check: bool = True):
    cmd = snakemake_command(workdir, *args, config=config)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


def write_config(folder: Path, samples: dict, **overrides) -> Path:
    """A config (ci.yaml's keys) in ``folder`` with its samples file next to it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "samples.yaml").write_text(yaml.safe_dump(samples))
    config = {
        **CI,
        "samples": "samples.yaml",
        "lumi_fb": LUMI_FB,
        "skim": SKIM,
        "train": {**CI["train"], "taggers": ["tau21", "n2"]},
        "decorrelate": {**CI["decorrelate"], "taggers": ["ddt_tau21"]},
        "datamc": {"taggers": ["tau21", "n2"], "working_points": {"tau21": -0.45, "n2": -0.2}},
    }
    config.update(overrides)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def real_samples(files: dict) -> dict:
    return {
        "qcd_pfnano": {
            "role": "background",
            "files": [str(files["pfnano.root"])],
            "xsec_pb": 3.0,
            "jet_id": 2,
            "met_filters": MET_FILTERS,
        },
        "tt_v12": {
            "role": "other",
            "files": [str(files["nano_tt_v12.root"])],
            "xsec_pb": 833.9,
            "jet_id": 2,
            "met_filters": MET_FILTERS,
        },
        "tt_v15": {"role": "other", "files": [str(files["nano_tt_v15.root"])], "xsec_pb": 833.9},
        "dy": {"role": "other", "files": [str(files["nano_dy.root"])], "xsec_pb": 6077.22},
        "data": {
            "role": "data",
            "files": [str(files["nano_dimuon.root"])],
            "golden_json": str(GOLDEN),
            "hlt_paths": DATA_HLT,
            "jet_id": 2,
            "met_filters": MET_FILTERS,
        },
    }


@pytest.fixture(scope="module")
def real_run(real_nanoaod, tmp_path_factory):
    folder = tmp_path_factory.mktemp("realdata")
    config = write_config(folder / "cfg", real_samples(real_nanoaod))
    work = folder / "work"
    snakemake(work, config, "datamc")
    return work, config


def cutflow(work: Path, sample: str) -> dict:
    return json.loads((work / "results" / "skim" / f"{sample}.cutflow.json").read_text())


def events(flow: dict) -> list[int]:
    return [s["events"] for s in flow["steps"]]


def test_real_files_only_plan_no_generation(real_run):
    work, config = real_run
    # the training features need the 4 simulated samples only, never the data
    for target, skims in (("skim", 5), ("features", 4), ("datamc", 5)):
        proc = snakemake(work, config, "-n", "--forceall", target)
        assert not re.search(r"^generate_chunk\s+\d+", proc.stdout, re.M), target
        assert re.search(rf"^skim_sample\s+{skims}$", proc.stdout, re.M), target


def test_simulation_with_runs_pfnano(real_run, real_nanoaod):
    flow = cutflow(real_run[0], "qcd_pfnano")
    assert flow["sumw"] == pytest.approx(10.0)  # Runs/genEventSumw
    assert flow["steps"][0]["weighted"] == pytest.approx(3.0 * LUMI_FB * 1000.0)
    # simulation: no data-quality lines (golden JSON, trigger)
    steps = [s for s in CUTFLOW_STEPS if s not in ("golden_json", "hlt")]
    assert [s["name"] for s in flow["steps"]] == steps
    # one leading jet has msoftdrop = -2e-5 GeV (float noise): outside [0, 300)
    assert events(flow) == [10, 10, 10, 10, 10, 10, 9]


def test_simulation_without_runs_uses_genweight(real_run, real_nanoaod):
    flow = cutflow(real_run[0], "tt_v12")
    weights = uproot.open(real_nanoaod["nano_tt_v12.root"])["Events"]["genWeight"].array(
        library="np"
    )
    assert flow["sumw"] == pytest.approx(float(np.sum(weights, dtype=np.float64)))
    # normalised to xsec x lumi before the selection
    assert flow["steps"][0]["weighted"] == pytest.approx(833.9 * LUMI_FB * 1000.0)
    log = (real_run[0] / "results" / "logs" / "skim" / "tt_v12.log").read_text()
    assert "without a Runs tree" in log
    assert "sum of genWeight" in log


def test_pfnano_constituents_carry_the_puppi_weights(real_run):
    jets = ak.from_parquet(real_run[0] / "results" / "skim" / "qcd_pfnano.parquet")
    p4 = vector.zip(
        {"pt": jets.pfc_pt, "eta": jets.pfc_eta, "phi": jets.pfc_phi, "mass": jets.pfc_mass}
    )
    total = ak.sum(p4, axis=1)
    # the PUPPI jet's m/pT (its pT and mass carry the same JEC factor) is the constituents'
    # only with the weights applied (unweighted: 8 % off for the leading jet)
    ratio = (total.mass / total.pt).to_numpy() / (jets.fj_mass / jets.fj_pt).to_numpy()
    assert np.abs(ratio - 1).max() < 0.005
    # the residual is the jet energy correction, one factor of about 0.93 for every jet
    scale = (total.pt / jets.fj_pt).to_numpy()
    assert 0.9 < scale.min() <= scale.max() < 0.95


def test_v15_constituents_as_stored(real_run, real_nanoaod):
    jets = ak.from_parquet(real_run[0] / "results" / "skim" / "tt_v15.parquet")
    assert len(jets) == cutflow(real_run[0], "tt_v15")["steps"][-1]["events"] > 10
    raw = uproot.open(real_nanoaod["nano_tt_v15.root"])["Events"].arrays(
        ["event", "FatJet_pt", "FatJetPFCand_jetIdx", "FatJetPFCand_pfCandIdx", "PFCand_pt"]
    )
    i = int(np.flatnonzero(raw["event"].to_numpy() == jets["event"][0])[0])
    lead = int(np.argmax(raw["FatJet_pt"][i].to_numpy()))
    idx = raw["FatJetPFCand_pfCandIdx"][i][raw["FatJetPFCand_jetIdx"][i] == lead]
    expected = np.sort(raw["PFCand_pt"][i][idx].to_numpy())[::-1]
    assert jets["pfc_pt"][0].to_list() == pytest.approx(expected.tolist())  # already PUPPI


def test_collision_data(real_run):
    work, _ = real_run
    flow = cutflow(work, "data")
    assert [s["name"] for s in flow["steps"]] == list(CUTFLOW_STEPS)  # every line
    assert events(flow) == [40, 40, 19, 19, 3, 3, 2, 2, 2]
    assert flow["xsec_pb"] is None
    assert flow["steps"][-1]["weighted"] == 2.0  # weight 1
    # never in the training tables; scored by the taggers trained on simulation
    for split in ("train", "val", "test"):
        table = ak.from_parquet(work / "results" / "features" / f"{split}.parquet")
        assert "data" not in set(table["sample"].to_list())
    features = ak.from_parquet(work / "results" / "features" / "samples" / "data.parquet")
    scores = ak.from_parquet(work / "results" / "scores" / "tau21" / "samples" / "data.parquet")
    assert len(scores) == 2
    assert np.allclose(scores["score"], -features["tau21"])
    log = (work / "results" / "logs" / "datamc" / "plots.log").read_text()
    assert "msd_inclusive: 2 data jets, 2 simulated" in log  # normalised to the data jets
    assert "simulation: all jets" in log  # cut-based taggers learn nothing
    plots = sorted(p.name for p in (work / "results" / "plots" / "datamc").glob("*.png"))
    assert len(plots) == 18
    assert "score_n2_pass_tau21.png" in plots


def test_d2_recomputed_from_constituents_or_reported_missing(real_run, real_nanoaod):
    work, _ = real_run
    pfnano = ak.from_parquet(work / "results" / "skim" / "qcd_pfnano.parquet")
    d2 = pfnano["fj_d2b1"].to_numpy()
    # PFNano: rebuilt from the constituents (0 for a jet groomed to two particles: no e3)
    assert np.isfinite(d2).all()
    assert (d2 >= 0).all()
    assert (d2 > 0).sum() >= 8
    n2 = pfnano["fj_n2b1"].to_numpy()  # the file's own N2 (same grooming): same ballpark
    assert 0.02 < np.median(n2) < 0.5
    assert 0.3 < np.median(d2) < 10
    assert cutflow(work, "qcd_pfnano")["missing_features"] == {}
    assert cutflow(work, "tt_v15")["missing_features"] == {}  # v15 constituents
    v12 = cutflow(work, "tt_v12")["missing_features"]
    assert list(v12) == ["d2"]
    assert list(v12["d2"]) == [str(real_nanoaod["nano_tt_v12.root"])]
    v12_d2 = ak.from_parquet(work / "results" / "skim" / "tt_v12.parquet")["fj_d2b1"]
    assert np.isnan(v12_d2.to_numpy()).all()


def test_nothing_passing(real_run):
    work, _ = real_run
    assert events(cutflow(work, "dy")) == [40, 0, 0, 0, 0]
    table = ak.from_parquet(work / "results" / "features" / "samples" / "dy.parquet")
    assert len(table) == 0


def test_data_quality_selection_errors_and_mask(real_nanoaod, tmp_path):
    data = real_nanoaod["nano_dimuon.root"]
    other = tmp_path / "golden.json"
    other.write_text('{"315267": [[1, 204]], "315268": [[1, 1000]]}')

    def skim(path, name, xsec_pb, selection):  # weight 1 (data) without xsec_pb
        parquet, cutflow = tmp_path / f"{name}.parquet", tmp_path / f"{name}.json"
        skim_sample([path], name, xsec_pb, 1.0, SKIM, parquet, cutflow, selection=selection)
        return json.loads(cutflow.read_text())

    flow = skim(data, "d", None, Selection(golden_json=str(other)))
    assert events(flow)[:2] == [40, 0]  # lumi section 205 is not certified there
    with pytest.raises(
        SkimInputError, match=r"nano_dimuon\.root: tree 'Events' has no branch 'HLT_Nope'"
    ):
        skim(data, "e", None, Selection(hlt_paths=("HLT_Nope",)))
    with pytest.raises(
        SkimInputError, match=r"nano_tt_v15\.root: tree 'Events' has no branch 'FatJet_jetId'"
    ):
        skim(real_nanoaod["nano_tt_v15.root"], "f", 1.0, Selection(jet_id=2))


def test_zero_event_file_says_it_has_no_events(real_nanoaod, tmp_path):
    empty = real_nanoaod["nano_dy_empty.root"]  # no Runs tree either
    config = write_config(
        tmp_path / "cfg", {"dy_empty": {"role": "other", "files": [str(empty)], "xsec_pb": 1.0}}
    )
    proc = snakemake(tmp_path / "work", config, "skim", "--show-failed-logs", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert f"{empty}: has no events" in out
    assert "Runs" not in out.split("has no events")[1][:80]
    assert not (tmp_path / "work" / "results" / "skim" / "dy_empty.parquet").exists()


def _copy_with(source: Path, target: Path, branch: str, entry: int, value: float) -> int:
    """A copy of a NanoAOD file's skim branches with ``branch[entry][0] = value``."""
    with uproot.open(source) as f:
        tree = f["Events"]
        keep = ("run", "luminosityBlock", "event", "genWeight", "FatJet", "GenPart")
        names = [k for k in tree.keys() if k.split("_")[0] in keep]  # noqa: SIM118 (uproot)
        arrays = tree.arrays(names)
    flat = {k: ak.to_numpy(arrays[k]) for k in ("run", "luminosityBlock", "event", "genWeight")}
    collections = {}
    for name in ("FatJet", "GenPart"):
        fields = {k.removeprefix(f"{name}_"): arrays[k] for k in names if k.startswith(f"{name}_")}
        if name == "FatJet":
            values = ak.to_list(fields[branch.removeprefix("FatJet_")])
            values[entry][0] = value
            fields[branch.removeprefix("FatJet_")] = ak.values_astype(ak.Array(values), np.float32)
        collections[name] = ak.zip(fields)
    write_nanoaod(
        target,
        flat,
        collections,
        {
            "run": np.ones(1, np.uint32),
            "genEventCount": np.ones(1, np.int64),
            "genEventSumw": np.ones(1),
        },
    )
    return int(flat["event"][entry])


@pytest.mark.parametrize(("branch", "value"), [("FatJet_pt", np.inf), ("FatJet_tau2", np.nan)])
def test_non_finite_values_stop_the_skim(real_nanoaod, tmp_path, branch, value):
    source = real_nanoaod["nano_tt_v12.root"]
    jets = uproot.open(source)["Events"]["nFatJet"].array(library="np")
    entry = int(np.flatnonzero(jets > 0)[3])
    broken = tmp_path / "broken.root"
    event = _copy_with(Path(source), broken, branch, entry, value)
    config = write_config(
        tmp_path / "cfg", {"tt": {"role": "other", "files": [str(broken)], "xsec_pb": 1.0}}
    )
    proc = snakemake(tmp_path / "work", config, "skim", "--show-failed-logs", check=False)
    assert proc.returncode != 0
    assert (
        f"broken.root[0:200]: branch '{branch}' has 1 non-finite value(s) (NaN or inf), "
        f"first in event {event}"
    ) in proc.stdout + proc.stderr
    assert not (tmp_path / "work" / "results" / "skim" / "tt.parquet").exists()


def test_generated_plus_real_samples(ci_run, real_nanoaod, tmp_path):
    """Generated ci samples beside real files and data: only the generated ones are
    generated, data stays out of the training tables, the taggers trained on the generated
    jets score the data."""
    work = tmp_path / "work"
    # the ci run's generated events (mtimes kept: not regenerated); everything else is redone
    shutil.copytree(ci_run / "results" / "generated", work / "results" / "generated")
    samples = yaml.safe_load((ROOT / "config" / "ci-samples.yaml").read_text())
    real = real_samples(real_nanoaod)
    samples.update(tt_v12=real["tt_v12"], data=real["data"])
    # d2 is no NanoAOD branch and nano_tt_v12 stores no constituents to rebuild it from
    train = {**CI["train"], "taggers": ["bdt", "tau21"]}

    def configure():  # the config with the current training features
        return write_config(
            tmp_path / "cfg",
            samples,
            skim=CI["skim"],
            train=train,
            datamc={"taggers": ["bdt", "tau21"]},
        )

    config = configure()
    proc = snakemake(work, config, "features", "--show-failed-logs", check=False)
    assert proc.returncode != 0
    assert (
        f"feature 'd2' is missing from {real['tt_v12']['files'][0]} (sample 'tt_v12': no "
        "branch FatJet_d2b1 and no jet constituents"
    ) in proc.stdout + proc.stderr
    assert "tagger(s) bdt need it" in proc.stdout + proc.stderr
    train["features"] = [f for f in CI["train"]["features"] if f != "d2"]
    config = configure()
    plan = snakemake(work, config, "-n", "datamc").stdout
    assert not re.search(r"^generate_chunk\s+\d+", plan, re.M), plan  # job stats
    assert re.search(r"^features_build\s+1$", plan, re.M), plan
    snakemake(work, config, "datamc")
    train = ak.from_parquet(work / "results" / "features" / "train.parquet")
    assert set(train["sample"].to_list()) == {"qcd", "vjets", "ttbar", "tt_v12"}
    scores = ak.from_parquet(work / "results" / "scores" / "bdt" / "samples" / "data.parquet")
    assert len(scores) == cutflow(work, "data")["steps"][-1]["events"]
    assert ((scores["score"].to_numpy() >= 0) & (scores["score"].to_numpy() <= 1)).all()
    log = (work / "results" / "logs" / "datamc" / "plots.log").read_text()
    assert "simulation: test-split jets only" in log  # the BDT learnt from the others
    assert (work / "results" / "plots" / "datamc" / "score_bdt_pass_bdt.png").stat().st_size > 0


def test_config_setting_only_samples_replaces_the_sample_set(real_nanoaod, tmp_path):
    """As from the checkout: config/config.yaml is read first and merged key by key with the
    user's config, which sets only `samples` - no default sample survives, no generation."""
    shutil.copytree(ROOT / "config", tmp_path / "config")  # the working directory's defaults
    user = tmp_path / "mine"
    user.mkdir()
    (user / "samples.yaml").write_text(yaml.safe_dump(real_samples(real_nanoaod)))
    (user / "only-samples.yaml").write_text("samples: samples.yaml\n")
    proc = snakemake(tmp_path, user / "only-samples.yaml", "-n", "skim", "features")
    assert not re.search(r"^generate_chunk\s+\d+", proc.stdout, re.M), proc.stdout
    assert re.search(r"^skim_sample\s+5$", proc.stdout, re.M), proc.stdout
    assert "sample=qcd\n" not in proc.stdout
    assert "sample=qcd_pfnano" in proc.stdout
    # a stage whose config refers to samples the file lacks says so when targeted
    proc = snakemake(tmp_path, user / "only-samples.yaml", "-n", "trigger", check=False)
    assert proc.returncode != 0
    assert "config key 'trigger.classes': sample" in proc.stdout + proc.stderr
