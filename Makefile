# Everything installs into .venv inside the clone; pip's cache stays inside the clone too.
VENV := .venv
PY := $(VENV)/bin/python
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export HF_HUB_OFFLINE := 1
QUESTION ?= How many of the prime minister's guards were injured?

.PHONY: setup demo test lint bench eval

# Bytecode of the project's modules, written here because Python does not write it when PYTHONDONTWRITEBYTECODE
# is set (as in this machine's environment and many container images): without it every `assistant` process
# compiled them again (~0.1 s of each `ask`). Only changed modules are compiled again.
setup: $(VENV)/.installed
	$(PY) -m compileall -q assistant

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0   # CPU build from local disk; must come before the rest
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/assistant ask "$(QUESTION)"

lint: setup
	$(PY) -m ruff check assistant tests evals bench
	$(PY) -m mypy assistant

test: lint
	$(PY) -m pytest -q

eval: setup
	$(VENV)/bin/assistant eval

bench: setup $(VENV)/.bench-installed
	$(PY) bench/run.py

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@
