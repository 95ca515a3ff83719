"""Config validation: a wrong key or type fails at once, naming the key."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lhcml.config import ConfigError, load_config, validate_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ci_config():
    return yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())


@pytest.mark.parametrize("name", ["config.yaml", "ci.yaml"])
def test_shipped_configs_are_valid(name):
    config = load_config(ROOT / "config" / name)
    assert config["reconstruction"]["fatjet_r"] == 0.8  # default filled in for ci.yaml
    assert config["samples"]["qcd"]["role"] == "background"


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda c: c["samples"]["qcd"].update(evnts=5), "samples.qcd.evnts"),
        (lambda c: c.update(lumi_fb="lots"), "lumi_fb"),
        (lambda c: c["skim"].update(fatjet_pt_min="300"), "skim.fatjet_pt_min"),
        (lambda c: c["skim"].pop("msoftdrop_max"), "skim.msoftdrop_max"),
        (lambda c: c.update(sedd=3), "sedd"),
        (lambda c: c["detector"].update(ecal_a=-1), "detector.ecal_a"),
        (lambda c: c["features"]["split"].update(test=0.5), "features.split"),
        (
            lambda c: c["samples"].update(
                data={"role": "signal", "files": "x.root", "xsec_pb": 1.0}
            ),
            "samples.data.files",
        ),
        (lambda c: c["samples"]["vjets"].update(process="wjets"), "samples.vjets.process"),
    ],
)
def test_bad_config_names_the_key(ci_config, mutate, key):
    mutate(ci_config)
    with pytest.raises(ConfigError, match=rf"'{key}'"):
        validate_config(ci_config)


def test_command_line_strings_become_numbers_where_the_schema_says(ci_config):
    # what `snakemake --config 'train={bdt: {max_depth: 4}, dnn: {layers: [8, 8]}}'` gives
    command_line = {"train": {"bdt": {"max_depth": "4"}, "dnn": {"layers": ["8", "8"]}}}
    ci_config["train"]["bdt"]["max_depth"] = "4"
    ci_config["train"]["dnn"]["layers"] = ["8", "8"]
    out = validate_config(ci_config, command_line=command_line)
    assert out["train"]["bdt"]["max_depth"] == 4 and out["train"]["dnn"]["layers"] == [8, 8]
    assert out["train"]["bdt"]["learning_rate"] == 0.1  # the rest of the section is kept
    # a string that is no number still fails naming the key; files are never coerced
    with pytest.raises(ConfigError, match="'train.bdt.max_depth'"):
        validate_config(ci_config, command_line={"train": {"bdt": {"max_depth": "deep"}}})


def test_real_sample_form_is_accepted(ci_config):
    ci_config["samples"]["data"] = {
        "role": "other",
        "files": ["a.root", "root://x//b.root"],
        "xsec_pb": 2.5,
    }
    validate_config(ci_config)


def test_defaults_do_not_override_given_values(ci_config):
    ci_config["reconstruction"] = {"fatjet_r": 1.0}
    validate_config(copy.deepcopy(ci_config))
    out = validate_config(ci_config)
    assert out["reconstruction"]["fatjet_r"] == 1.0
    assert out["reconstruction"]["softdrop_zcut"] == 0.1


def test_snakemake_refuses_a_bad_config(tmp_path, ci_config):
    """The workflow itself stops before any job, naming the key, with a non-zero exit."""
    ci_config["samples"]["qcd"]["evnts"] = 10
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(ci_config))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(bad),
            "--directory",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "samples.qcd.evnts" in proc.stdout + proc.stderr
