# Two commands on a fresh machine: `make run` (install, train if needed, start) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/assistant.tar.gz
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
# Training inputs: any change retrains (with --force: Rasa's cache misses dictionary edits). Answers are
# read from kb/ when a customer asks, so editing an article needs no training; the entity catalogue
# is read by the NLU.
TRAINING_INPUTS := config.yml kb/entities.yml $(shell find data domain bot/nlu -type f -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: install run run-production test test-fast train validate kb-check eval eval-ood eval-nlu eval-converse bench soak clean browser

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(PY) || $$(scripts/python310.sh) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==24.2
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	touch $@

kb-check: $(VENV)/.installed
	$(PY) -m bot.kb check

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings --domain domain --data data --config config.yml

train: $(MODEL)

$(MODEL): $(TRAINING_INPUTS) | $(VENV)/.installed
	$(RASA) train --force --domain domain --data data --config config.yml --out models --fixed-model-name assistant

# Demo mode: the public demo secrets, the demo customers and logins. Never in production (README).
DEMO := BOT_DEMO_MODE=1 RASA_TOKEN=$${RASA_TOKEN:-demo-rasa-token} ACTION_SERVER_TOKEN=$${ACTION_SERVER_TOKEN:-demo-action-server-token}

run: $(MODEL)
	@echo "=================================================================================="
	@echo " DEMO MODE: demo secrets, demo customers C0001-C0004, demo logins; not for production"
	@echo " (README: Deploying safely). Web chat: http://localhost:8000/"
	@echo " Agent desk: http://localhost:8000/agent (agent01 / lead01, passwords in the README)"
	@echo "=================================================================================="
	$(DEMO) $(PY) -m bot.runtime
	$(DEMO) $(VENV)/bin/honcho start -f Procfile

browser:
	scripts/install-browser.sh

# The production profile on this host (docs/deploy.md): secrets and stores from the environment;
# stop it with `scripts/production.sh stop`.
run-production: $(MODEL)
	BOT_PROFILE=production scripts/production.sh start

test: $(MODEL) kb-check validate browser
	$(PY) -m pytest

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not model"

eval: $(MODEL)
	scripts/eval.sh

# The two halves of `make eval`, and Rasa's cross-validation on our own data (an hour; it trains its
# own fold models and needs no model).
eval-ood: $(MODEL)
	scripts/eval.sh ood

eval-converse: $(MODEL)
	scripts/eval.sh converse

eval-nlu: | $(VENV)/.installed
	scripts/eval.sh nlu

# Starts each profile itself (embedded as scripts/with_bot.sh does, production through
# scripts/production.sh) on free ports; results in var/bench/. BENCH_ARGS=--quick for a short run.
bench: $(MODEL)
	PYTHONPATH=$(CURDIR) $(PY) scripts/bench.py $(BENCH_ARGS)
	PYTHONPATH=$(CURDIR) $(PY) -m bot.devtools.panel_bench --json var/bench/panel.json

# Ten minutes of moderate load (SOAK_ARGS="--profile production" for the production profile); fails
# if a server's memory keeps growing.
soak: $(MODEL)
	PYTHONPATH=$(CURDIR) $(PY) -m bot.devtools.bench.soak $(SOAK_ARGS)

clean:
	rm -rf models results var
