# MIBG patient-information assistant. `make run` starts everything, `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PYTHONPATH := $(CURDIR)
export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export WEB_PORT ?= 8000
export TRACKER_DATABASE_URL ?= sqlite:///var/tracker.db
export DATABASE_URL ?= sqlite:///var/requests.db
# Rasa and TensorFlow chatter that says nothing useful to us. (Rasa's telemetry and Sentry are
# off in every entry point of ours, bot/offline.py: train and test run as `python -m bot rasa`,
# which applies the Rasa patches of bot/rasa_patches as serve-rasa does; train gets those
# marked for training.)
export TF_CPP_MIN_LOG_LEVEL ?= 3
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export PYTHONWARNINGS ?= ignore::DeprecationWarning

# The runtime venv (requirements.lock) has no TensorFlow: our model does not use it
# (bot/rasa_patches/tf_free.py). Only `make bench` builds the TensorFlow venv, for its baseline.
VENV := .venv
PY := $(VENV)/bin/python
TF_VENV := .venv-tensorflow
export TENSORFLOW_PYTHON ?= $(CURDIR)/$(TF_VENV)/bin/python
MODEL := models/mibg.tar.gz
SPACY_MODEL := var/spacy-en/meta.json
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	$(wildcard bot/nlu/*.py) $(wildcard bot/content/*.py)
NODE_MODULES := node_modules/.package-lock.json

.PHONY: help run test venv train migrate lint typecheck format bench bench-staff bench-languages bench-long test-adversarial lock clean

help:
	@echo "make run    install what is missing, train if data changed, start all servers"
	@echo "make test   the same bootstrap, then every check (lint, types, validate, pytest, rasa test, NLU)"
	@echo "make typecheck  mypy on bot/ and actions/ (its settings: pyproject.toml)"
	@echo "make bench  benchmark our bot against a default Rasa bot (docs/performance.md);"
	@echo "            installs the TensorFlow venv for that bot first (.venv-tensorflow, 3 GB)"
	@echo "make bench-staff  staff console response times with 10,000 conversations"
	@echo "make bench-long   cost of a message at turn 10 and turn 400 of a conversation"
	@echo "make test-adversarial  floods, crafted payloads, takeover, login bypass, log leaks"

# ---------------------------------------------------------------- bootstrap
$(VENV)/.complete: requirements.lock scripts/bootstrap-venv.sh
	@scripts/bootstrap-venv.sh requirements.lock $(VENV)
	@touch -h $(VENV)

$(TF_VENV)/.complete: requirements-tensorflow.lock scripts/bootstrap-venv.sh
	@scripts/bootstrap-venv.sh requirements-tensorflow.lock $(TF_VENV)
	@touch -h $(TF_VENV)

venv: $(VENV)/.complete

$(SPACY_MODEL): bot/nlu/spacy_model.py | $(VENV)/.complete
	@echo "==> saving the blank English spaCy pipeline to var/spacy-en"
	@$(PY) -m bot.nlu.spacy_model var/spacy-en >/dev/null && touch $@

$(NODE_MODULES): package.json package-lock.json
	@echo "==> installing front-end packages from npm (socket.io-client)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(MODEL): $(TRAIN_INPUTS) $(SPACY_MODEL) | $(VENV)/.complete
	@echo "==> training the model (data or config changed)"
	@mkdir -p models
	@mkdir -p var
	@umask 077; rm -f var/train.log; start=$$(date +%s); $(PY) -m bot rasa train --fixed-model-name mibg --out models --force > var/train.log 2>&1 \
		|| { tail -40 var/train.log; exit 1; }; \
		echo "    trained in $$(( $$(date +%s) - start )) s (log: var/train.log)"
	@test -f $(MODEL)

train: $(MODEL)

migrate: $(VENV)/.complete
	@$(PY) -m bot db upgrade

# ---------------------------------------------------------------- run
run: $(VENV)/.complete $(MODEL) $(NODE_MODULES) migrate
	@echo "==> starting Rasa ($(RASA_PORT)), actions ($(ACTION_PORT)), web ($(WEB_PORT)) under supervisord"
	@echo "    a server that dies is restarted; logs in var/log/; Ctrl-C stops all (docs/processes.md)"
	@$(PY) -m bot run

# ---------------------------------------------------------------- checks
test: $(VENV)/.complete $(MODEL) $(NODE_MODULES)
	@scripts/ensure-chromium.sh
	@scripts/ensure-nginx.sh || echo "    nginx cannot be installed: the scale-out test will be skipped"
	@scripts/test-all.sh

lint: $(VENV)/.complete
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

# The settings (plugin, flags) are in pyproject.toml's [tool.mypy]; `make test` runs it too.
typecheck: $(VENV)/.complete
	@$(VENV)/bin/mypy bot actions

format: $(VENV)/.complete
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

# bench trains its own two models into bench/work/; it needs the spaCy pipeline, not models/.
# The baseline (DIET, TED) trains and runs in the TensorFlow venv, ours in the runtime venv.
bench: $(VENV)/.complete $(TF_VENV)/.complete $(SPACY_MODEL)
	@$(PY) -m bench.run $(BENCH_ARGS)

# One model for every language against one model per language (docs/languages.md).
bench-languages: $(VENV)/.complete $(SPACY_MODEL)
	@$(PY) -m bench.language_models $(BENCH_ARGS)

# Staff console with 10,000 conversations: list page and search response times.
bench-staff: $(VENV)/.complete
	@$(PY) -m bench.staff_console $(BENCH_ARGS)

# A 600-turn conversation over REST; fails when turn 400 costs more than 1.5x turn 10.
bench-long: $(VENV)/.complete $(MODEL)
	@$(PY) -m bench.long_conversation $(BENCH_ARGS)

# Attacks on a live stack (bench/adversarial.py); `make test` runs it too.
test-adversarial: $(VENV)/.complete $(MODEL)
	@$(PY) -m bench.adversarial $(ADVERSARIAL_ARGS)

# Pin requirements.in into requirements.lock (runtime, no TensorFlow) and
# requirements-tensorflow.lock (scripts/lock.py; keeps the pinned versions, LOCK_ARGS=--upgrade
# resolves anew). Installs nothing; commit both files.
lock: $(VENV)/.complete
	@$(PY) scripts/lock.py $(LOCK_ARGS)

clean:
	rm -rf models/*.tar.gz var/spacy-en .pytest_cache test-artifacts
