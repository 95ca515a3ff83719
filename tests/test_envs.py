"""Conda environments: every rule names one, every pin agrees with requirements.lock, and
each environment holds every package its rules' code imports.

The imports are found statically: the rule's script and, recursively, the lhcml modules
it imports (including imports inside functions; a module that picks another module at run
time with ``importlib.import_module`` pulls in its whole package).
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

SRC = ROOT / "src"
#: Imported only when a cluster is configured; installed by `make setup-cluster`.
OPTIONAL = {"dask-jobqueue"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().split("[")[0]


def lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)", line)
        if m:
            pins[normalise(m.group(1))] = m.group(2)
    return pins


def env_pins(env_file: Path) -> dict[str, str]:
    """Every pin an env file installs (through ``-r`` files or directly)."""
    pins = {}
    for dep in yaml.safe_load(env_file.read_text())["dependencies"]:
        if isinstance(dep, dict):
            for req in dep["pip"]:
                if req.startswith("-r "):
                    pins.update(lock_pins(env_file.parent / req[3:]))
                else:
                    name, _, version = req.partition("==")
                    pins[normalise(name)] = version
    return pins


def rule_blocks():
    """(smk file, rule name, body) of every rule."""
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        parts = re.split(r"^rule (\w+):\n", smk.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            yield smk, name, body.split("\n\n\n")[0]


def _directive(block: str, name: str) -> str | None:
    m = re.search(rf'^\s+{name}:\n\s+"([^"]+)"', block, flags=re.M)
    return m.group(1) if m else None


def job_rules():
    """(rule name, env file, script file) of every rule that runs code."""
    for smk, name, block in rule_blocks():
        if re.search(r"^\s+(script|shell|run|notebook):", block, flags=re.M):
            env, script = _directive(block, "conda"), _directive(block, "script")
            yield (
                name,
                (smk.parent / env).resolve() if env else None,
                (smk.parent / script).resolve() if script else None,
            )


def _module_file(name: str) -> Path | None:
    path = SRC / Path(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def imported_distributions(script: Path) -> set[str]:
    """Third-party distributions that ``script`` and the lhcml modules it uses import."""
    seen, top_level, todo = set(), set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            runtime_choice = (
                isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
            )
            if runtime_choice and path.is_relative_to(SRC / "lhcml"):
                todo.extend(path.parent.glob("*.py"))
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "lhcml":
                    todo += [
                        f
                        for i in range(1, len(parts) + 1)
                        if (f := _module_file(".".join(parts[:i])))
                    ]
                elif parts[0] not in sys.stdlib_module_names and parts[0] != "__future__":
                    top_level.add(parts[0])
    owners = packages_distributions()
    return {normalise(d) for module in top_level for d in owners.get(module, [module])}


JOB_RULES = sorted(job_rules(), key=lambda r: r[0])


@pytest.mark.parametrize(("rule", "env", "script"), JOB_RULES, ids=[r[0] for r in JOB_RULES])
def test_every_rule_names_an_env_that_holds_what_its_code_imports(rule, env, script):
    assert env is not None, f"rule {rule} names no conda env"
    assert env.parent == ROOT / "envs", (rule, env)
    assert env.exists(), (rule, env)
    assert script is not None, f"rule {rule}: no script"
    assert script.exists(), f"rule {rule}: no script"
    missing = imported_distributions(script) - set(env_pins(env)) - OPTIONAL
    assert not missing, f"rule {rule}: {env.name} lacks {sorted(missing)}"


@pytest.mark.parametrize("env_file", sorted((ROOT / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_pins_agree_with_the_lock(env_file):
    lock = lock_pins(ROOT / "requirements.lock")
    env = yaml.safe_load(env_file.read_text())
    assert "python=3.11" in env["dependencies"], env_file.name
    pins = env_pins(env_file)
    assert pins, f"{env_file.name} pins nothing"
    for name, version in pins.items():
        assert lock.get(name) == version, (
            f"{env_file.name}: {name}=={version}, lock {lock.get(name)}"
        )


@pytest.mark.parametrize("req_in", sorted((ROOT / "envs").glob("*.in")), ids=lambda p: p.name)
def test_env_locks_are_up_to_date(req_in):
    """Every direct dependency of a group is pinned in its compiled lock (`make env-locks`)."""
    wanted = {normalise(line.split("#")[0].strip()) for line in req_in.read_text().splitlines()}
    wanted.discard("")
    pinned = lock_pins(req_in.with_suffix(".lock"))
    assert wanted <= set(pinned), f"{req_in.name}: not in the lock: {sorted(wanted - set(pinned))}"
