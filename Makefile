# DecAI Compare. `make demo` and `make test` work on a fresh clone; everything installs from the lock.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.lock | md5sum | cut -c1-12)
DAYS ?= 30
CHAIN_HOURS ?= 25
# The devnet is calibrated to early 2026; the demo ends at this UTC midnight, so 25 hours of both
# chains hold one complete day (2026-01-14) that the KPI cards and the head-to-head show.
DEMO_END ?= 2026-01-15T00:00:00Z
PORT ?= 8050
# Both cores, one test file per worker (module fixtures such as a devnet day stay on one worker).
PYTEST_ARGS ?= -n 2 --dist loadfile
export AIRFLOW_HOME ?= $(CURDIR)/airflow_home
export AIRFLOW__CORE__DAGS_FOLDER ?= $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False
export GX_ANALYTICS_ENABLED ?= False

.PHONY: install demo test lint format airflow devnet dashboard backfill bench bench-quick clean cluster cluster-down bench-cluster

$(STAMP): pyproject.toml constraints.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --python $(BIN)/python -c constraints.lock -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## demo: install, load $(DAYS) days of prices and $(CHAIN_HOURS) hours of both chains from the devnet
## through the real DAGs, then serve the dashboard
demo: install
	$(BIN)/decai backfill --days $(DAYS) --chain-hours $(CHAIN_HOURS) --end $(DEMO_END)
	@echo "Dashboard: http://127.0.0.1:$(PORT)/"
	$(BIN)/decai dashboard --port $(PORT)

## test: lint and format checks, then the whole suite
test: install lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

backfill: install
	$(BIN)/decai backfill --days $(DAYS) --chain-hours $(CHAIN_HOURS) --end $(DEMO_END)

dashboard: install
	$(BIN)/decai dashboard --port $(PORT)

devnet: install
	$(BIN)/decai devnet

## airflow: the real scheduler and UI on this project's DAGs (http://127.0.0.1:8080), with the devnet;
## the DAGs start unpaused here, so the hourly ingest runs fill the warehouse without a click
airflow: install
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/decai devnet > $(AIRFLOW_HOME)/devnet.log 2>&1 & devnet=$$!; \
	trap "kill $$devnet" EXIT; \
	AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=$${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False} \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/airflow standalone

clean:
	rm -rf data airflow_home artifacts .pytest_cache

## bench: the full benchmark (10M events, ~50 minutes on 2 shared cores) into bench/results/<date>-<commit>.json;
## `make bench-quick`: the same at 200k events in a few minutes (<date>-<commit>-quick.json). Commit a full
## result, then `decai bench --readme` writes README's table from it.
bench: install
	$(BIN)/decai bench --results bench/results

bench-quick: install
	$(BIN)/decai bench --quick --results bench/results

## cluster: the Celery-executor deployment of these DAGs (scheduler, dag-processor, api-server, two
## Celery workers, the devnet) on PostgreSQL (metadata + warehouse) and Redis; see README "Scale out"
cluster: install
	DECAI_CLUSTER_DEVNET=$${DECAI_CLUSTER_DEVNET:-1} DECAI_CLUSTER_DEVNET_NOW=$${DECAI_CLUSTER_DEVNET_NOW-$(DEMO_END)} \
		$(BIN)/decai cluster up

cluster-down: install
	$(BIN)/decai cluster down

## bench-cluster: both chains backfilled through the scheduler with one and with two Celery workers, at
## 0 ms and at 80 ms of network latency, into bench/results/<date>-<commit>-cluster.json (PostgreSQL, Redis)
bench-cluster: install
	$(BIN)/decai bench --cluster --results bench/results
