# lhcml: `make run` sets up and runs the default analysis; `make test` sets up and tests.
# Everything lives in a project virtualenv (.venv) installed from the hash-pinned lock.
# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise recompile TensorFlow in every job (about 20 s of CPU per import on 2 cores).

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
CORES  ?= all
UV_VERSION := 0.13.9

.PHONY: setup setup-cluster run test test-fast bench lint dag dryrun lock env-locks clean opendata-files opendata

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (lhcml needs CPython 3.11; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	touch $@

# Optional: Snakemake's Slurm and HTCondor executor plugins and dask-jobqueue, for
# `snakemake --profile profiles/slurm` (or htcondor). Not in the default environment.
# The HTCondor bindings warn on every import (so on every Snakemake start, which loads all
# executor plugins) when no HTCondor configuration exists; the .pth file makes the venv's
# Python set CONDOR_CONFIG=/dev/null in that case only, which is what the bindings then use.
setup-cluster: setup
	$(BIN)/uv pip install --compile-bytecode --python $(BIN)/python -r requirements-cluster.lock
	cp tools/cluster/lhcml-condor-config.pth "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/"

# The whole default analysis, then Snakemake's HTML report of it (results/report.html).
run: setup
	$(BIN)/snakemake --cores $(CORES) --configfile config/config.yaml
	$(BIN)/snakemake --configfile config/config.yaml --report results/report.html

# The example on real CMS NanoAOD (docs/real-data.md): coffea's test files, fetched with pip
# and checked against a pinned sha256, then skim, features, scores and data vs simulation.
opendata-files: setup
	$(BIN)/python tools/fetch_coffea_samples.py

opendata: opendata-files
	$(BIN)/snakemake --cores $(CORES) --configfile config/opendata.yaml --directory results-opendata datamc

dryrun: setup
	$(BIN)/snakemake -n --configfile config/config.yaml

# Two tiers. The fast one needs no run of the DAG (unit tests, physics checks, dry runs):
# a few minutes. `make test` runs it first, then the tests that share one whole-DAG run of
# config/ci.yaml (marker `workflow`, set by tests/conftest.py) and the cluster tests.
# As root with apt-get, the tests also start a local Slurm (tools/slurm/local-slurm.sh) and
# run the workflow through it, which needs the cluster extras; otherwise that test skips
# and says why.
FAST_TIER := not workflow and not cluster
# The fast tier runs on up to 4 processes (pytest-xdist), a test file per process (the
# files' module fixtures are built once); the workflow tier shares one DAG run, serially.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
FAST_TIER_ARGS := -m "$(FAST_TIER)" -n $(TEST_WORKERS) --dist loadfile

test-fast: setup
	$(BIN)/pytest $(FAST_TIER_ARGS)

test: setup
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory setup-cluster; \
	else \
		echo "note: not root or no apt-get: the Slurm test will be skipped"; \
	fi
	$(BIN)/pytest $(FAST_TIER_ARGS)
	$(BIN)/pytest -m "not ($(FAST_TIER))"

# Throughput benchmarks (reads the generated files of `make run`): results/benchmarks/
# report.md and report.json, each figure beside benchmarks/baseline.json's (docs/performance.md).
# `make bench BENCH_ARGS=--write-baseline` also stores this run as the new baseline.
BENCH_ARGS ?=
bench: run
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# The picture of the DAG in the README and docs/architecture.md: Snakemake's rule graph of
# the default config, drawn by graphviz (apt-get install graphviz). Redraw after changing rules.
dag: setup
	@command -v dot >/dev/null || { echo "error: graphviz's dot not found (e.g. apt-get install graphviz)"; exit 1; }
	tmp=$$(mktemp -d) && \
	$(BIN)/snakemake --snakefile $(CURDIR)/Snakefile --configfile $(CURDIR)/config/config.yaml \
		--directory $$tmp --rulegraph dot all > $$tmp/rulegraph.dot && \
	dot -Tsvg $$tmp/rulegraph.dot > docs/dag.svg.tmp && mv docs/dag.svg.tmp docs/dag.svg && \
	rm -rf $$tmp

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakemake --lint

# Re-resolve the lock after editing requirements.in (needs network access to PyPI).
lock: setup
	$(BIN)/uv pip compile --python-version 3.11 --generate-hashes requirements.in -o requirements.lock
	$(BIN)/uv pip compile --python-version 3.11 --generate-hashes requirements-cluster.in -o requirements-cluster.lock
	$(MAKE) --no-print-directory env-locks

# The conda environment of each rule group (envs/<group>.yaml) installs envs/<group>.lock:
# the group's direct dependencies (envs/<group>.in) resolved within requirements.lock.
env-locks: setup
	for in in envs/*.in; do \
		$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes \
			--constraint requirements.lock $$in -o $${in%.in}.lock || exit 1; \
	done

clean:
	rm -rf results .snakemake
