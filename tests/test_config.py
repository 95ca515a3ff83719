"""Config validation: a wrong key or type fails at once, naming the key."""

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from lhcml.config import ConfigError, load_config, samples_config_dir, validate_config

from conftest import ROOT, snakemake_command


@pytest.fixture
def ci_config(tmp_path):
    """config/ci.yaml with its samples file copied into ``tmp_path`` (mutable there)."""
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    samples = yaml.safe_load((ROOT / "config" / "ci-samples.yaml").read_text())
    config["samples"] = str(tmp_path / "samples.yaml")
    config["_samples"] = samples  # edited by the tests, written by _validate
    return config


def _validate(config, **kwargs):
    config = copy.deepcopy(config)
    samples = config.pop("_samples")
    if isinstance(config["samples"], str):
        Path(config["samples"]).write_text(yaml.safe_dump(samples))
    return validate_config(config, **kwargs)


@pytest.mark.parametrize("name", ["config.yaml", "ci.yaml"])
def test_shipped_configs_are_valid(name):
    config = load_config(ROOT / "config" / name)
    assert config["reconstruction"]["fatjet_r"] == 0.8  # default filled in for ci.yaml
    assert config["samples"]["qcd"]["role"] == "background"
    assert Path(config["samples_file"]).parent == ROOT / "config"


def test_opendata_config_is_valid_and_has_no_generated_sample():
    config = load_config(ROOT / "config" / "opendata.yaml")
    assert config["samples"]["data"]["role"] == "data"
    assert all("files" in s for s in config["samples"].values())
    # relative paths are read from the samples file's directory
    assert config["samples"]["qcd"]["files"] == [
        str(ROOT / "tests" / ".cache" / "coffea-samples" / "pfnano.root")
    ]
    assert config["samples"]["data"]["golden_json"] == str(
        ROOT / "config" / "opendata" / "golden_2018_test.json"
    )


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda c: c["_samples"]["qcd"].update(evnts=5), "samples.qcd.evnts"),
        (lambda c: c.update(lumi_fb="lots"), "lumi_fb"),
        (lambda c: c["skim"].update(fatjet_pt_min="300"), "skim.fatjet_pt_min"),
        (lambda c: c["skim"].pop("msoftdrop_max"), "skim.msoftdrop_max"),
        (lambda c: c.update(sedd=3), "sedd"),
        (lambda c: c["detector"].update(ecal_a=-1), "detector.ecal_a"),
        (lambda c: c["features"]["split"].update(test=0.5), "features.split"),
        (
            lambda c: c["_samples"].update(
                data={"role": "signal", "files": "x.root", "xsec_pb": 1.0}
            ),
            "samples.data.files",
        ),
        (lambda c: c["_samples"]["vjets"].update(process="wjets"), "samples.vjets.process"),
        # the real culprit of each form, not another form's mismatch
        (
            lambda c: c["_samples"].update(mc={"role": "other", "files": ["a.root"]}),
            "samples.mc.xsec_pb",
        ),
        (
            lambda c: c["_samples"].update(mc={"role": "other", "files": ["a.root"], "xsec": 1.0}),
            "samples.mc.xsec",
        ),
        (
            lambda c: c["_samples"].update(d={"role": "data", "files": ["a.root"], "xsec_pb": 1.0}),
            "samples.d.xsec_pb",
        ),
        (
            lambda c: c["_samples"].update(
                d={"role": "data", "files": ["a.root"], "hlt_paths": ["Mu50"]}
            ),
            "samples.d.hlt_paths.0",
        ),
        (lambda c: c["_samples"].update(d={"role": "data"}), "samples.d.files"),
        (lambda c: c["_samples"].update(x={"role": "other"}), "samples.x"),
        (
            lambda c: c["_samples"].update(x={"role": "other", "process": "qcd", "files": ["a"]}),
            "samples.x",
        ),
        (lambda c: c["_samples"]["qcd"].update(chunks=5000), "samples.qcd.chunks"),
        (lambda c: c.update(samples={"qcd": {}}), "samples"),  # inline samples: not a path
        (
            lambda c: c["inference"]["l1_selection"].update(taggers=["dnn"]),
            "inference.l1_selection.taggers",
        ),
        (lambda c: c["inference"].update(template_order=9), "inference.template_order"),
        (lambda c: c["inference"].update(template_order=3), "inference.template_order"),
    ],
)
def test_bad_config_names_the_key(ci_config, mutate, key):
    mutate(ci_config)
    with pytest.raises(ConfigError, match=rf"'{key}'"):
        _validate(ci_config)


def test_missing_samples_file_is_named(ci_config, tmp_path):
    ci_config["samples"] = "nowhere.yaml"
    ci_config.pop("_samples")
    with pytest.raises(ConfigError, match=r"samples file .*nowhere.yaml does not exist"):
        validate_config(ci_config, config_dir=tmp_path)


def test_samples_path_is_read_from_the_config_files_directory(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "s.yaml").write_text("d: {role: data, files: [x.root]}\n")
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    config["samples"] = "sub/s.yaml"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    out = load_config(tmp_path / "c.yaml")
    assert out["samples"]["d"]["files"] == [str(tmp_path / "sub" / "x.root")]
    assert out["samples"]["d"]["lumi_fb"] is None
    assert out["samples"]["d"]["hlt_paths"] == []
    # which file set the value decides; the command line reads from the working directory
    assert samples_config_dir(
        "sub/s.yaml", [ROOT / "config" / "config.yaml", tmp_path / "c.yaml"]
    ) == str(tmp_path)
    assert samples_config_dir("sub/s.yaml", [tmp_path / "c.yaml"], {"samples": "x"}) == "."


def test_command_line_strings_become_numbers_where_the_schema_says(ci_config):
    # what `snakemake --config 'train={bdt: {max_depth: 4}, dnn: {layers: [8, 8]}}'` gives
    command_line = {"train": {"bdt": {"max_depth": "4"}, "dnn": {"layers": ["8", "8"]}}}
    ci_config["train"]["bdt"]["max_depth"] = "4"
    ci_config["train"]["dnn"]["layers"] = ["8", "8"]
    out = _validate(ci_config, command_line=command_line)
    assert out["train"]["bdt"]["max_depth"] == 4
    assert out["train"]["dnn"]["layers"] == [8, 8]
    assert out["train"]["bdt"]["learning_rate"] == 0.1  # the rest of the section is kept
    # a string that is no number still fails naming the key; files are never coerced
    with pytest.raises(ConfigError, match=r"'train.bdt.max_depth'"):
        _validate(ci_config, command_line={"train": {"bdt": {"max_depth": "deep"}}})


def test_real_sample_forms_are_accepted(ci_config, tmp_path):
    ci_config["_samples"]["mc"] = {
        "role": "other",
        "files": ["a.root", "root://x//b.root"],
        "xsec_pb": 2.5,
    }
    ci_config["_samples"]["data"] = {
        "role": "data",
        "files": ["d.root"],
        "lumi_fb": 0.1,
        "golden_json": "g.json",
        "hlt_paths": ["HLT_Mu50"],
    }
    out = _validate(ci_config)["samples"]
    assert out["mc"]["files"] == [str(tmp_path / "a.root"), "root://x//b.root"]
    assert out["mc"]["sumw"] is None
    assert out["mc"]["jet_id"] is None
    assert out["data"]["golden_json"] == str(tmp_path / "g.json")


def test_defaults_do_not_override_given_values(ci_config):
    ci_config["reconstruction"] = {"fatjet_r": 1.0}
    _validate(ci_config)
    out = _validate(ci_config)
    assert out["reconstruction"]["fatjet_r"] == 1.0
    assert out["reconstruction"]["softdrop_zcut"] == 0.1


def test_nsub_axes_default_is_cms_one_pass_and_validated(ci_config):
    """tau_N of generated jets uses CMS NanoAOD's one-pass kT axes unless asked otherwise."""
    assert _validate(copy.deepcopy(ci_config))["reconstruction"]["nsub_axes"] == "onepass_kt"
    ci_config["reconstruction"] = {"nsub_axes": "wta_kt"}
    assert _validate(copy.deepcopy(ci_config))["reconstruction"]["nsub_axes"] == "wta_kt"
    ci_config["reconstruction"] = {"nsub_axes": "one_pass"}
    with pytest.raises(ConfigError, match=r"'reconstruction.nsub_axes'"):
        _validate(ci_config)


def test_snakemake_refuses_a_bad_config(tmp_path, ci_config):
    """The workflow itself stops before any job, naming the key, with a non-zero exit."""
    ci_config["_samples"]["qcd"]["evnts"] = 10
    Path(ci_config["samples"]).write_text(yaml.safe_dump(ci_config.pop("_samples")))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(ci_config))
    proc = subprocess.run(
        snakemake_command(tmp_path, "-n", config=bad, cores=None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "samples.qcd.evnts" in proc.stdout + proc.stderr
