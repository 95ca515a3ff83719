"""One source of truth for defaults: the config schema.

The library's parameter classes declare no defaults of their own; they take the schema's
(``lhcml.config.schema_defaults``), which is also what the workflow's validated config
holds. Two of them had drifted before (the GAN's epochs, the simulator's spot factor).
"""

import dataclasses
import re

import pytest
import yaml

from lhcml.calo.energyflow import FlowParams
from lhcml.calo.gan import GanParams
from lhcml.calo.shapeflow import ShapeFlowParams
from lhcml.calo.showersim import SimulatorParams
from lhcml.config import schema_defaults, validate_config
from lhcml.decorrelation import adversarial, ddt, disco
from lhcml.generate.detector import DetectorConfig
from lhcml.generate.reconstruct import RecoConfig
from lhcml.taggers import bdt, deepsets, dnn

from conftest import ROOT

PARAMETER_CLASSES = {
    "detector": DetectorConfig,
    "reconstruction": RecoConfig,
    "calo.gan": GanParams,
    "calo.energy_flow": FlowParams,
    "calo.shape_flow": ShapeFlowParams,
    "calo.simulator": SimulatorParams,
}
DEFAULTS_DICTS = {
    "train.bdt": bdt,
    "train.dnn": dnn,
    "train.deepsets": deepsets,
    "decorrelate.adversarial": adversarial,
    "decorrelate.disco": disco,
}


def _section(config: dict, dotted: str) -> dict:
    for key in dotted.split("."):
        config = config[key]
    return config


@pytest.fixture(scope="module")
def minimal_config():
    """config/ci.yaml with every optional section removed: the validator fills them."""
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    for key in ("detector", "reconstruction", "train", "decorrelate"):
        config.pop(key, None)
    calo = config["calo"]
    config["calo"] = {k: calo[k] for k in ("particles", "events", "chunks")}
    return validate_config(config, config_dir=ROOT / "config")


@pytest.mark.parametrize("section", PARAMETER_CLASSES)
def test_parameter_classes_declare_no_defaults_and_run_the_schemas(section, minimal_config):
    cls = PARAMETER_CLASSES[section]
    for f in dataclasses.fields(cls):
        assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name} has its own default"
        assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
    # what a job builds from the validated config (no key given) is the schema's default
    built = cls.from_mapping(_section(minimal_config, section))
    assert dataclasses.asdict(built) == schema_defaults(section)
    assert dataclasses.asdict(cls.from_mapping(None)) == schema_defaults(section)


def test_the_values_that_had_drifted_are_the_schemas():
    assert GanParams.from_mapping(None).epochs == 20
    assert SimulatorParams.from_mapping(None).spot_factor == 0.5


@pytest.mark.parametrize("section", DEFAULTS_DICTS)
def test_hyperparameter_defaults_are_the_schemas(section, minimal_config):
    assert schema_defaults(section) == DEFAULTS_DICTS[section].DEFAULTS
    assert _section(minimal_config, section) == schema_defaults(section)


def test_ddt_defaults_are_the_schemas_plus_the_library_only_design_point():
    assert {**schema_defaults("decorrelate.ddt"), "qcd_efficiency": None} == ddt.DEFAULTS


def test_from_mapping_overrides_and_refuses_unknown_keys():
    assert GanParams.from_mapping({"epochs": 3}).epochs == 3
    with pytest.raises(KeyError, match=r"calo.gan.*epoch"):
        GanParams.from_mapping({"epoch": 3})


def test_my_rule_files_have_no_defaults_of_their_own():
    """``section.get("key", default)`` in a rule file would be a second default."""
    pattern = re.compile(r"""\b[A-Z_]+\.get\(\s*["'][a-z_]+["']\s*,""")
    files = sorted((ROOT / "rules").rglob("*.smk"))
    assert len(files) >= 15  # every rule file and helper file
    for path in files:
        match = pattern.search(path.read_text())
        assert not match, f"{path.relative_to(ROOT)}: {match and match.group(0)}"


def test_unknown_section_is_named():
    with pytest.raises(KeyError, match=r"calo.gann"):
        schema_defaults("calo.gann")
