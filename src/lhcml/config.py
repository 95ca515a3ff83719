"""Configuration loading and validation against ``config/schema/config.schema.yaml``.

The Snakefile calls :func:`validate_config` before any rule is defined, so a misspelt key
or a wrong type stops the workflow at once with a message naming the key, e.g.
``config key 'samples.qcd.evnts': unknown key (allowed: chunks, events, ...)``.
Defaults declared in the schema are filled in.

Nested values given on the command line (``snakemake --config 'train={bdt: {max_depth:
4}}'``) reach the workflow as strings, because Snakemake reads them with YAML's base
loader. For the values that came from the command line, where the schema asks for a number
or a boolean, such a string is read with YAML's rules first (:func:`coerce_strings`), so
the override works as the user means it; a string that is not a number still fails
naming the key. Config files are not coerced: a quoted number in a file is a type error.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re
from pathlib import Path
from typing import ClassVar

import jsonschema
import yaml

#: The checkout of the workflow this library belongs to (the workflow always runs its own).
WORKFLOW_ROOT = Path(__file__).resolve().parents[2]
#: The schema shipped with the workflow.
SCHEMA_PATH = WORKFLOW_ROOT / "config" / "schema" / "config.schema.yaml"


class ConfigError(ValueError):
    """An invalid configuration; the message names the offending key."""


#: YAML's safe loader in C (libyaml) where PyYAML was built with it: the schema is read by
#: every Snakemake start (each cluster job's too); libyaml reads it in 0.02 s, pure Python in 0.13 s.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_schema(path: str | os.PathLike = SCHEMA_PATH) -> dict:
    """The config schema at ``path`` (the shipped one by default), as a new dict."""
    if Path(path).resolve() == SCHEMA_PATH:
        return copy.deepcopy(_shipped_schema())
    return _read_yaml(path)


def _read_yaml(path: str | os.PathLike):
    with open(path) as f:
        return yaml.load(f, Loader=_SAFE_LOADER)


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError, prefix: tuple = ()) -> str:
    """A one-line description naming the key, for the most specific underlying error
    (``prefix``: the key path of the validated instance inside the config)."""
    if error.validator == "oneOf" and error.context:
        best = max(error.context, key=lambda e: len(e.absolute_path))
        return _describe(best, prefix)
    where = [*prefix, *error.absolute_path]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = _key_path([*where, extra[0]]) if extra else _key_path(where)
        return f"config key {key!r}: unknown key (allowed: {', '.join(allowed)})"
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"config key {_key_path([*where, missing])!r}: required but missing"
    return f"config key {_key_path(where)!r}: {error.message}"


#: The three forms of a sample (``$defs`` of the schema), see :func:`sample_kind`.
SAMPLE_FORMS = {
    "generated": "generated_sample",
    "simulation": "simulation_sample",
    "data": "data_sample",
}


def sample_kind(name: str, spec) -> str:
    """``"generated"``, ``"simulation"`` (NanoAOD files with a cross section) or ``"data"``.

    The form is chosen from the keys the user wrote - ``role: data``, else ``process``
    (generated), else ``files`` (simulation) - so that a mistake inside a sample is
    reported against that form (``samples.X.xsec_pb: required but missing``), not as
    a mismatch of some other form.
    """
    if not isinstance(spec, dict):
        raise ConfigError(f"config key 'samples.{name}': must be a mapping, got {spec!r}")
    if spec.get("role") == "data":
        return "data"
    if "process" in spec and "files" in spec:
        raise ConfigError(
            f"config key 'samples.{name}': has both 'process' (a generated sample) and "
            "'files' (NanoAOD files); give one of them"
        )
    if "process" in spec:
        return "generated"
    if "files" in spec:
        return "simulation"
    raise ConfigError(
        f"config key 'samples.{name}': give 'process' (a sample generated here), or "
        "'files' (NanoAOD files: simulation with xsec_pb, or collision data with role: data)"
    )


def _is_url(path: str) -> bool:
    return "://" in path


def _resolve(path: str, base: Path) -> str:
    """A local relative path read from ``base``; absolute paths and URLs unchanged."""
    if _is_url(path) or os.path.isabs(path):
        return path
    return os.path.normpath(base / path)


def validate_samples(samples, schema: dict | None = None, base_dir=".") -> dict:
    """Validate the content of a samples file (filling defaults) and return it.

    Relative ``files`` and ``golden_json`` paths are made relative to ``base_dir`` (the
    samples file's directory). Errors name the key as ``samples.<name>.<key>``.
    """
    schema = load_schema() if schema is None else schema
    if not isinstance(samples, dict) or not samples:
        raise ConfigError("config key 'samples': the samples file must map names to samples")
    out = {}
    for name, spec in samples.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ConfigError(f"config key 'samples.{name}': sample names are [A-Za-z0-9_]+")
        kind = sample_kind(name, spec)
        sub = schema["$defs"][SAMPLE_FORMS[kind]]
        errors = sorted(
            jsonschema.Draft202012Validator(sub).iter_errors(spec),
            key=lambda e: list(map(str, e.path)),
        )
        if errors:
            raise ConfigError(_describe(errors[0], ("samples", name)))
        spec = copy.deepcopy(spec)
        _fill_defaults(spec, sub)
        if kind == "generated" and spec["chunks"] > spec["events"]:
            raise ConfigError(f"config key 'samples.{name}.chunks': more chunks than events")
        if kind != "generated":
            base = Path(base_dir)
            spec["files"] = [_resolve(f, base) for f in spec["files"]]
            duplicates = sorted({f for f in spec["files"] if spec["files"].count(f) > 1})
            if duplicates:
                raise ConfigError(
                    f"config key 'samples.{name}.files': listed more than once: {duplicates}"
                )
            if spec.get("golden_json"):
                spec["golden_json"] = _resolve(spec["golden_json"], base)
        out[name] = spec
    return out


def load_samples(path: str | os.PathLike, schema: dict | None = None) -> dict:
    """Read and validate a samples file; errors name the file and the key."""
    path = Path(path)
    try:
        with open(path) as f:
            samples = yaml.safe_load(f)
    except FileNotFoundError:
        raise ConfigError(f"config key 'samples': samples file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config key 'samples': {path} is not valid YAML ({err})") from None
    try:
        return validate_samples(samples, schema, path.parent)
    except ConfigError as err:
        raise ConfigError(f"samples file {path}: {err}") from None


def _fill_defaults(instance, schema) -> None:
    """Insert schema defaults for missing keys, recursively (objects only)."""
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key in schema.get("properties", {}):
                continue
            branches = extra.get("oneOf", [extra])
            for branch in branches:
                if jsonschema.Draft202012Validator(branch).is_valid(value):
                    _fill_defaults(value, branch)
                    break


_SCALAR_TYPES = {"integer": (int,), "number": (int, float), "boolean": (bool,)}


def _wanted_scalar(schema: dict):
    types = schema.get("type")
    types = [types] if isinstance(types, str) else (types or [])
    wanted = tuple(t for name in types if name in _SCALAR_TYPES for t in _SCALAR_TYPES[name])
    return None if "string" in types else wanted


def coerce_strings(instance, schema: dict):
    """``instance`` with strings converted where ``schema`` wants a number or boolean."""
    if isinstance(instance, str):
        wanted = _wanted_scalar(schema)
        if wanted:
            try:
                value = yaml.safe_load(instance)
            except yaml.YAMLError:
                return instance
            if isinstance(value, wanted) and (bool in wanted or not isinstance(value, bool)):
                return value
        return instance
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [coerce_strings(v, schema["items"]) for v in instance]
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = {}
        for key, value in instance.items():
            sub = props.get(key, extra if isinstance(extra, dict) else {})
            if "oneOf" in sub and isinstance(value, dict):  # a sample: the best-fitting form
                sub = max(
                    sub["oneOf"], key=lambda b: len(set(b.get("properties", {})) & set(value))
                )
            out[key] = coerce_strings(value, sub)
        return out
    return instance


def _merge(config: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _merge(config[key], value)
        else:
            config[key] = value


def validate_config(
    config: dict,
    schema: dict | None = None,
    command_line: dict | None = None,
    config_dir: str | os.PathLike = ".",
) -> dict:
    """Validate ``config`` in place (filling defaults) and return it.

    ``command_line`` is the part of ``config`` given with ``snakemake --config``; its
    strings are converted where the schema wants numbers or booleans (see above).

    ``config["samples"]`` is the path of the samples file, read relative to
    ``config_dir`` (the directory of the config file that set it); on return it holds
    the validated samples (:func:`load_samples`) and ``config["samples_file"]`` the
    resolved path.

    Raises
    ------
    ConfigError
        Naming the first offending key (schema violations and cross-field checks: split
        fractions summing to 1, msoftdrop_min < msoftdrop_max, chunks <= events).
    """
    schema = load_schema() if schema is None else schema
    if command_line:
        _merge(config, coerce_strings(command_line, schema))
    if isinstance(config.get("samples"), dict):
        raise ConfigError(
            "config key 'samples': must be the path of a samples file (YAML), not the samples "
            "themselves (Snakemake merges config files key by key, so inline samples would be "
            "mixed with those of config/config.yaml; see docs/real-data.md)"
        )
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path)))
    if errors:
        raise ConfigError(_describe(errors[0]))
    _fill_defaults(config, schema)
    samples_file = _resolve(config["samples"], Path(config_dir))
    config["samples"] = load_samples(samples_file, schema)
    config["samples_file"] = samples_file

    split = config["features"]["split"]
    if not math.isclose(sum(split.values()), 1.0, abs_tol=1e-9):
        raise ConfigError(
            f"config key 'features.split': fractions must sum to 1, got {sum(split.values())}"
        )
    skim = config["skim"]
    if skim["msoftdrop_min"] >= skim["msoftdrop_max"]:
        raise ConfigError("config key 'skim.msoftdrop_min': must be below skim.msoftdrop_max")
    inference = config["inference"]
    extra = [t for t in inference["l1_selection"]["taggers"] if t not in inference["taggers"]]
    if extra:
        raise ConfigError(
            f"config key 'inference.l1_selection.taggers': {', '.join(extra)} not in "
            "inference.taggers (the L1-selected measurement is compared with the nominal one)"
        )
    if inference["template_order"] > inference["background_order"]:
        raise ConfigError(
            "config key 'inference.template_order': must not exceed "
            "inference.background_order (the fit model must hold the pseudo-data's background)"
        )
    return config


@functools.cache
def _shipped_schema() -> dict:
    """The shipped schema, read once per process (callers must not change it)."""
    return _read_yaml(SCHEMA_PATH)


def schema_defaults(section: str) -> dict:
    """The defaults the shipped schema declares for the config section ``section``.

    ``section`` is a dotted key path (``"calo.gan"``, ``"train.bdt"``); nested sections
    with defaults are filled recursively, exactly as :func:`validate_config` fills them.
    This is the one place the library's parameter classes take their defaults from, so a
    parameter class and the workflow can never disagree about one.
    """
    node = _shipped_schema()
    for key in section.split("."):
        try:
            node = node["properties"][key]
        except KeyError:
            raise KeyError(f"config schema has no section {section!r}") from None
    out: dict = {}
    _fill_defaults(out, node)
    return out


def dataclass_from_mapping(cls, mapping: dict | None, what: str):
    """Instantiate the dataclass ``cls`` from the config section ``what`` (dotted key path).

    Keys missing from ``mapping`` take the schema's defaults for that section
    (:func:`schema_defaults`); the dataclass itself declares none. Unknown keys raise
    naming the key.
    """
    mapping = dict(mapping or {})
    unknown = set(mapping) - set(cls.__dataclass_fields__)
    if unknown:
        raise KeyError(f"unknown {what} parameter(s): {', '.join(sorted(unknown))}")
    return cls(**{**schema_defaults(what), **mapping})


class ConfigSection:
    """Base of the frozen dataclasses that hold one config section's parameters.

    A subclass names its section (dotted key path) as a class keyword,
    ``class GanParams(ConfigSection, section="calo.gan")``; :meth:`from_mapping` then
    builds it from that section, missing keys taking the schema's defaults
    (:func:`dataclass_from_mapping`). The dataclasses declare no defaults of their own.
    """

    section: ClassVar[str]

    def __init_subclass__(cls, section: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if section is not None:
            cls.section = section

    @classmethod
    def from_mapping(cls, mapping: dict | None = None):
        """The parameters of ``mapping`` (the config section), schema defaults filled in."""
        return dataclass_from_mapping(cls, mapping, cls.section)


def load_config(path: str | os.PathLike) -> dict:
    """Read a YAML config file and validate it; errors name the file and the key.

    Its ``samples`` path is read relative to the file's directory."""
    with open(path) as f:
        config = yaml.safe_load(f)
    try:
        return validate_config(config, config_dir=Path(path).parent)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def samples_config_dir(value, config_files, command_line: dict | None = None) -> str:
    """The directory a relative ``samples`` path is read from.

    That of the config file that set the value: the last of ``config_files`` (in the
    order Snakemake applies them, later ones overriding) whose ``samples`` equals
    ``value``. A value given on the command line (``--config samples=...``) is read from
    the working directory, as is one no config file sets.
    """
    if command_line and "samples" in command_line:
        return "."
    for path in reversed(list(config_files)):
        try:
            with open(path) as f:
                content = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(content, dict) and content.get("samples") == value:
            return os.path.dirname(os.path.abspath(path))
    return "."
