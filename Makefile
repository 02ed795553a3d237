# Everything installs into .venv inside the clone; pip's cache stays inside the clone too.
SHELL := bash
.SHELLFLAGS := -o pipefail -c
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
	@$(PY) -m compileall -q assistant

# pip's notes about local index folders named in this machine's pip configuration that do not exist are
# filtered out (they say nothing about this project); anything else pip says is shown.
PIP_NOTES := sed "/^WARNING: Location 'file:.*' is ignored: it is neither a file nor a directory/d"
LLAMA_CACHED = find $(PIP_CACHE_DIR) -name 'llama_cpp_python-*.whl' 2>/dev/null | grep -q .

$(VENV)/.installed: pyproject.toml
	@echo "setting up $(VENV) (Python packages, about 2 GB)…"
	@python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip 2>&1 | $(PIP_NOTES)
	@$(PY) -m pip install --quiet torch==2.13.0 2>&1 | $(PIP_NOTES)   # CPU build from local disk; must come first
	@$(LLAMA_CACHED) && echo "installing the rest…" || \
		echo "building llama-cpp-python from source, about 5 minutes on 2 cores…"
	@$(PY) -m pip install --quiet -e '.[dev]' 2>&1 | $(PIP_NOTES)
	@touch $@
	@echo "set up."

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
