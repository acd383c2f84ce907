# Bieb-assistent. `make help` lists the targets. Two commands matter for a new user: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

# Python 3.10 (Rasa 3.6 needs it): from PATH, else from pyenv. Override with `make PYTHON310=/path/to/python3.10`.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { command -v $$p; break; }; done)

.PHONY: help install kb kb-check test bench bench-kb clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt constraints.txt
	@if [ -z "$(PYTHON310)" ]; then \
		echo "Python 3.10 is nodig maar niet gevonden. Installeer het (bijv. 'pyenv install 3.10.13') of geef het pad: make PYTHON310=/pad/naar/python3.10"; exit 1; fi
	@echo "Python 3.10: $(PYTHON310)"
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv with Python 3.10 and install the pinned requirements

kb: $(STAMP) ## check the data files and build the knowledge base (skipped when nothing changed)
	$(PY) -m bot kb build

kb-check: $(STAMP) ## only check the data files (also the local folder)
	$(PY) -m bot kb check

test: $(STAMP) kb ## run the whole test suite
	$(PY) -m pytest -q tests

bench-kb: $(STAMP) kb ## benchmark the knowledge base queries
	$(PY) -m bot.bench_kb

bench: bench-kb ## all benchmarks

clean: ## remove everything built (venv stays: `rm -rf .venv` for that)
	rm -rf var models results .pytest_cache
