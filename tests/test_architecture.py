"""The library's module graph: no import cycle, no stage reaching into another's workflow.

Read from the source with ``ast`` (nothing is imported), counting imports inside
functions too: a cycle through a lazy import is still a cycle for a reader.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

from conftest import ROOT, snakemake_command

SRC = ROOT / "src"


def _module_name(path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_graph() -> dict[str, set[str]]:
    """``{module: the lhcml modules it imports}`` over every module of src/lhcml."""
    paths = {_module_name(p): p for p in (SRC / "lhcml").rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    deps.add(sub if sub in paths else base)
        graph[name] = {d for d in deps if d in paths and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_library_has_no_import_cycle():
    graph = module_graph()
    assert "lhcml.inference.measurement" in graph  # the graph covers the library
    assert "lhcml.inference.pseudodata" in graph["lhcml.inference.ams"]
    assert cycles(graph) == []


def test_no_stage_imports_another_stages_workflow_module():
    """What other stages need of a stage is in its package (``lhcml.<stage>``), not in the
    module its rules call (``lhcml.<stage>.workflow``)."""
    offenders = [
        (module, dep)
        for module, deps in module_graph().items()
        for dep in deps
        if dep.endswith(".workflow") and dep.rpartition(".")[0] != module.rpartition(".")[0]
    ]
    assert offenders == []


def test_the_dag_picture_shows_every_rule_of_the_default_config(tmp_path):
    """docs/dag.svg (README, docs/architecture.md) is the default config's rule graph:
    redraw it with ``make dag`` after adding or removing a rule."""

    cmd = snakemake_command(
        tmp_path, "--rulegraph", "dot", "all", config=ROOT / "config" / "config.yaml", cores=None
    )
    dot = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    rules = set(re.findall(r'label = "(\w+)"', dot))
    assert {"generate_chunk", "inference_fit", "calo_train"} <= rules  # the graph was parsed
    svg = (ROOT / "docs" / "dag.svg").read_text()
    drawn = set(re.findall(r"<text[^>]*>(\w+)</text>", svg))
    assert rules == drawn, f"run `make dag`: missing {rules - drawn}, stale {drawn - rules}"


# --- One name per stage (docs/architecture.md "Stages") -----------------------------------

#: Stage -> its library package or module, where that is not ``lhcml.<stage>``.
STAGE_LIBRARY = {"report": "summary"}
#: Rules that run another rule's script (the same job on other inputs).
SHARED_SCRIPTS = {"inference_fit_l1": "inference_fit"}


def _stage_rules() -> dict[str, dict[str, str]]:
    """``{stage: {rule: its block}}`` from ``rules/<stage>.smk``."""
    stages = {}
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        if smk.stem == "common":
            continue
        blocks = re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]
        stages[smk.stem] = {b.split(":", 1)[0].strip(): b for b in blocks}
    return stages


def test_every_stage_has_one_name_in_rules_scripts_and_library():
    """``rules/<stage>.smk`` holds the rules ``<stage>_<step>`` and the target ``<stage>``;
    its helpers are ``rules/helpers/<stage>.smk``; its library is ``lhcml.<stage>``."""
    stages = _stage_rules()
    assert {"generate", "skim", "features", "taggers", "decorrelation", "report"} <= set(stages)
    wrong = []
    for stage, rules in stages.items():
        if stage not in rules:
            wrong.append(f"rules/{stage}.smk has no target rule {stage}")
        wrong += [
            f"rules/{stage}.smk: rule {name}"
            for name in rules
            if name != stage and not name.startswith(f"{stage}_")
        ]
        library = SRC / "lhcml" / STAGE_LIBRARY.get(stage, stage)
        if not (library.is_dir() or library.with_suffix(".py").exists()):
            wrong.append(f"no library package or module for stage {stage}: {library}")
    for helper in (ROOT / "rules" / "helpers").glob("*.smk"):
        if helper.stem not in stages:
            wrong.append(f"rules/helpers/{helper.name} belongs to no stage")
    assert not wrong, wrong


def test_every_rule_runs_the_script_of_its_name():
    """A rule's script is ``scripts/<rule>.py``, and every script belongs to a rule."""
    wrong, used = [], set()
    for rules in _stage_rules().values():
        for name, block in rules.items():
            found = re.search(r'script:\s*"\.\./scripts/(\w+)\.py"', block)
            if not found:
                continue
            used.add(found.group(1))
            if found.group(1) != SHARED_SCRIPTS.get(name, name):
                wrong.append(f"rule {name} runs scripts/{found.group(1)}.py")
    unused = {p.stem for p in (ROOT / "scripts").glob("*.py")} - used
    assert not wrong, wrong
    assert not unused, f"scripts of no rule: {sorted(unused)}"


def test_logs_and_benchmarks_are_named_by_stage_and_rule():
    """A job's log is under ``results/logs/<stage>/``; its benchmark file is
    ``results/benchmarks/<rule>/...`` or ``results/benchmarks/<rule>.tsv``: the benchmark
    summary and the timeline take the rule from that path (``lhcml.summary``)."""
    wrong = []
    for stage, rules in _stage_rules().items():
        for name, block in rules.items():
            log = re.search(r'log:\s*f"\{RESULTS\}/logs/([^"]+)"', block)
            if log and not log.group(1).startswith(f"{stage}/"):
                wrong.append(f"{name}: log logs/{log.group(1)}")
            bench = re.search(r'benchmark:\s*f"\{RESULTS\}/benchmarks/([^"]+)"', block)
            if bench and not re.match(rf"{name}(/|\.tsv$)", bench.group(1)):
                wrong.append(f"{name}: benchmark benchmarks/{bench.group(1)}")
    assert not wrong, wrong


#: What the Snakefile imports of lhcml at parse time (Snakefile, rules/*.smk), once per job.
PARSE_TIME_MODULES = (
    "lhcml.config",
    "lhcml.tables",
    "lhcml.taggers",
    "lhcml.trigger",
    "lhcml.trigger.scan",
    "lhcml.decorrelation",
    "lhcml.datamc",
)
#: Packages that take about a second or more to import (TensorFlow and zfit many).
HEAVY = ("matplotlib", "mplhep", "xgboost", "sklearn", "coffea", "tensorflow", "zfit", "da4ml")


def _loaded(modules, packages=HEAVY) -> list[str]:
    """Which of ``packages`` importing ``modules`` loads, in a fresh interpreter."""
    return _loaded_in_steps([(modules, packages)])[0]


def _loaded_in_steps(steps) -> list[list[str]]:
    """For each ``(modules, packages)`` of ``steps``, imported in that order in one fresh
    interpreter: which of ``packages`` are loaded once its modules (and those of the steps
    before it) are imported."""
    code = "import sys\n"
    for modules, packages in steps:
        code += "".join(f"import {m}\n" for m in sorted(modules))
        code += f"print(' '.join(p for p in {tuple(packages)!r} if p in sys.modules))\n"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == len(steps), proc.stdout
    return [line.split() for line in lines]


def _imported_lhcml_modules(path) -> set[str]:
    return {
        node.module
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lhcml")
    }


def test_the_parse_time_modules_are_the_snakefiles():
    """PARSE_TIME_MODULES lists what the Snakefile and rules import of lhcml."""
    found = set()
    for path in [ROOT / "Snakefile", *(ROOT / "rules").rglob("*.smk")]:
        found.update(re.findall(r"^\s*from (lhcml[\w.]*) import", path.read_text(), re.M))
        found.update(re.findall(r"^\s*import (lhcml[\w.]*)", path.read_text(), re.M))
    assert found == set(PARSE_TIME_MODULES)


def test_parsing_the_workflow_imports_no_heavy_package():
    """Every job parses the Snakefile: its lhcml imports load no plotting, ML or fit library."""
    assert _loaded(PARSE_TIME_MODULES) == []


def test_the_check_sees_a_heavy_import():
    assert _loaded(["lhcml.plotting"]) == ["matplotlib", "mplhep"]


#: The scripts of the rules that draw plots: the only ones whose modules import matplotlib.
PLOTTING_SCRIPTS = {
    "calo_plots",
    "datamc_plots",
    "decorrelation_plots",
    "features_plots",
    "inference_plots",
    "report_benchmarks",
    "taggers_plots",
    "trigger_l1",
    "trigger_plots",
    "trigger_profile",
    "trigger_scan_summary",
}


def test_the_scripts_modules_import_no_tensorflow_and_only_plots_matplotlib():
    """No script's lhcml modules import TensorFlow or zfit at import (the rules that need
    them import them inside their functions, lhcml.tf_setup), and only the plotting rules'
    modules import matplotlib. The scripts use the injected ``snakemake`` object, so their
    lhcml imports are imported, all in one interpreter (what one loads, the union loads)."""
    scripts = {p.stem: _imported_lhcml_modules(p) for p in (ROOT / "scripts").glob("*.py")}
    assert set(scripts) >= PLOTTING_SCRIPTS
    others = set().union(*(m for s, m in scripts.items() if s not in PLOTTING_SCRIPTS))
    everything = set().union(*scripts.values())
    # one interpreter (the imports are the slow part): the non-plotting scripts' modules
    # first, then all of them
    not_plotting, all_scripts = _loaded_in_steps(
        [(others, ("matplotlib", "mplhep")), (everything, ("tensorflow", "zfit"))]
    )
    assert not_plotting == []
    assert all_scripts == []
