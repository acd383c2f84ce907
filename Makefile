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

.PHONY: help install kb kb-check nlp train run validate test test-unit test-nlu test-conversations bench bench-kb bench-bot bench-load clean
.PHONY: test-integration integration-deps retention eval calibrate crossval

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

nlp: kb ## build the Dutch spaCy pipeline and the NLU data generated from the KB
	$(PY) -m bot nlp

train: nlp ## train the Rasa model (only when config, domain or data changed)
	$(PY) -m bot.train

run: train web ## start the action server, the Rasa server and the web page (:8080); Ctrl-C stops all
	$(PY) -m bot.serve

validate: nlp ## check the Rasa training data and domain
	$(PY) -m bot.quiet $(VENV)/bin/rasa data validate --fail-on-warnings

test-unit: train browser web ## pytest: KB, actions, answers, end to end through HTTP, the web page in chromium
	$(PY) -m pytest -q tests

# The web page's npm packages (socket.io-client, DOMPurify; axe-core for the tests), from the committed lock.
WEB_DIR := bot/web
WEB_STAMP := $(WEB_DIR)/node_modules/.installed
.PHONY: web browser

$(WEB_STAMP): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

web: $(WEB_STAMP) ## install the web widget's npm packages (when missing or the lock changed)

browser: ## install Debian's chromium for the browser tests (when missing; needs root)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

test-nlu: train ## held-out NLU evaluation (report in results/nlu)
	$(PY) -m bot.quiet $(VENV)/bin/rasa test nlu --model models/bieb.tar.gz --nlu tests/nlu/holdout.yml --out results/nlu
	$(PY) -m bot.report_nlu results/nlu

test-conversations: train ## conversation tests (multi-turn, fallback)
	$(PY) -m bot.quiet $(VENV)/bin/rasa test core --model models/bieb.tar.gz --stories tests/conversations --out results/core --fail-on-prediction-errors

test: validate train test-unit test-conversations test-nlu ## run the whole test suite (what CI runs)

# Understanding questions nobody here wrote: never judged on our own phrasings.
eval: train web ## ask the bot the questions written by others (../shared/eval, tests/eval/heldout.yml) through HTTP; results/eval.txt
	$(PY) -m bot.eval

calibrate: train ## offline: the answering rule on the held-out sets (fast, in-process); SWEEP="NAME=v1,v2" tries a constant
	$(PY) -m bot.calibrate tests/eval/heldout.yml tests/eval/heldout2.yml tests/eval/followups.yml $(wildcard ../shared/eval/questions.yml) $(foreach s,$(SWEEP),--sweep $(s))

crossval: nlp ## 3-fold cross-validation of the intent classifier on the training data (results/crossval)
	$(PY) -m bot.quiet $(VENV)/bin/rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds 3 --out results/crossval
	$(PY) -m bot.report_nlu results/crossval --report-only

bench-kb: $(STAMP) kb ## benchmark the knowledge base queries
	$(PY) -m bot.bench_kb

bench-bot: train ## the bot through REST: latency vs floor, correctness, memory, default pipeline
	$(PY) -m bot.bench_bot

bench-load: train ## bounded load test through REST: N conversations for a fixed time (results/load.json)
	$(PY) -m bot.bench_load $(if $(LOAD_URL),--url $(LOAD_URL)) --concurrency $(or $(LOAD_CONCURRENCY),8) --seconds $(or $(LOAD_SECONDS),30)

bench: bench-kb bench-bot bench-load ## all benchmarks (results in results/)

# Scale-out for real on loopback: PostgreSQL (tracker store + KB), Redis (lock store), nginx, 2 Rasa + 2 action servers.
integration-deps: ## install PostgreSQL, Redis and nginx for the integration tests (when missing; needs root)
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	{ command -v nginx >/dev/null || test -x /usr/sbin/nginx; } || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y --no-install-recommends $$missing; \
	else echo "postgresql, redis-server en nginx zijn er al"; fi

test-integration: train integration-deps ## scale-out tests: conversations across 2 Rasa servers, Postgres, Redis, nginx, load
	$(PY) -m pytest -q -s -m integration tests/integration

retention: $(STAMP) ## delete conversations older than DAYS (default 90) from the tracker store
	$(PY) -m bot retention --days $(or $(DAYS),90)

clean: ## remove everything built (venv stays: `rm -rf .venv` for that)
	rm -rf var models results .pytest_cache
