# Every target creates or reuses the project's virtual environment first: on a fresh machine,
# `make demo` and `make test` are all the set-up there is.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= results/scan
REPO ?=
TREE ?=
STUDY ?= datasets/mlflow-topics.toml
STUDY_DIR ?= results/mlflow-topics
EXAMPLES ?= 2000
N ?= 100

.PHONY: help install test fuzz lint typecheck golden docs scan bench bench-history bench-study bench-big-file demo study export clean
.DEFAULT_GOAL := help

help: ## List every target with what it does.
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install mlflow-miner with its dev tools.

test: $(STAMP) ## ruff, ruff format --check and mypy (strict), then the whole test suite.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

fuzz: $(STAMP) ## make fuzz [EXAMPLES=N]: the property-based tests of tests/fuzz, N examples each, random seeds.
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(EXAMPLES) $(BIN)/pytest -q tests/fuzz --hypothesis-show-statistics

lint: $(STAMP) ## ruff check and ruff format --check, nothing else.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy, strict for the packages (the config is in pyproject.toml).
	$(BIN)/mypy

golden: $(STAMP) ## Rewrite every golden file from what the code produces now (review the diff).
	$(BIN)/pytest -q -m golden --update-golden

docs: $(STAMP) ## Regenerate README.md's generated tables from analyzers/schema.py (CI checks them).
	$(BIN)/python -m analyzers.docs README.md

scan: $(STAMP) ## make scan REPO=PATH [OUT=results/scan]: scan one local repository or directory.
	@test -n "$(REPO)" || { echo "usage: make scan REPO=PATH [OUT=DIR]" >&2; exit 2; }
	$(BIN)/mlflow-miner scan "$(REPO)" --out "$(OUT)"

bench: $(STAMP) ## make bench [TREE=PATH]: time the scan beside grep and Semgrep, cold and warm.
	$(BIN)/python benchmarks/bench_scan.py $(if $(TREE),--tree "$(TREE)")

bench-history: $(STAMP) ## make bench-history [REPO=PATH]: seconds and bytes per 100 commits of --history.
	$(BIN)/python benchmarks/bench_history.py $(if $(REPO),"$(REPO)")

bench-study: $(STAMP) ## make bench-study [N="100 500 2000"]: a generated study's seconds, peak MB, Dask/local.
	$(BIN)/python benchmarks/bench_study.py --repos $(N)

bench-big-file: $(STAMP) ## Seconds to analyze one file of 1,000 and 8,000 calls and of 100,000 lines.
	$(BIN)/python benchmarks/bench_big_file.py

demo: $(STAMP) ## The whole study, offline, on the shipped demo corpus: results/demo/report/index.html
	$(BIN)/mlflow-miner demo --out results/demo

study: $(STAMP) ## make study [STUDY=datasets/NAME.toml]: crawl, clone, scan, report, export (resumable).
	$(BIN)/mlflow-miner study "$(STUDY)"

export: $(STAMP) ## make export [STUDY_DIR=results/NAME]: tidy CSV, Parquet and LaTeX for papers.
	$(BIN)/mlflow-miner export "$(STUDY_DIR)"

clean: ## Remove .venv and the tools' caches (results/ and the XDG cache stay).
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
