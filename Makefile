# Anquan: `make run` serves the demo site on SQLite; `make test` runs every test and check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/anquan

.PHONY: run test setup setup-dev assets messages check test-sqlite test-postgres bench clean

# The demo has no mail server: its e-mails (the daily health report with its PDF, …) are written to
# var/mail/ unless ANQUAN_EMAIL_URL names one.
run: export ANQUAN_EMAIL_URL ?= filemail:///mail
run: setup
	$(BIN)/anquan migrate --no-input
	$(BIN)/anquan load-demo --no-logins
	$(BIN)/anquan run

test: setup-dev check test-sqlite test-postgres

setup: $(VENV)/.runtime assets messages

setup-dev: $(VENV)/.dev assets messages

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Anquan needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements-deep.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q -r requirements-deep.txt
	touch $@

assets: anquan/web/static/vendor/.stamp

anquan/web/static/vendor/.stamp: package.json package-lock.json scripts/vendor_assets.sh
	@command -v npm >/dev/null || { echo "npm is needed once to fetch the front-end packages (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	scripts/vendor_assets.sh
	touch $@

messages: $(VENV)/.runtime
	@if ls anquan/locale/*/LC_MESSAGES/django.po >/dev/null 2>&1; then $(BIN)/pybabel compile --statistics -d anquan/locale -D django; fi

check: setup-dev
	$(BIN)/ruff check anquan
	$(BIN)/ruff format --check anquan
	$(BIN)/mypy anquan
	$(BIN)/lint-imports
	ANQUAN_DATA_DIR=$$(mktemp -d) $(BIN)/anquan makemigrations --check --dry-run

test-sqlite: setup-dev
	$(BIN)/pytest -q -n auto

# The same suite on PostgreSQL. Outside CI a missing server skips this with a reason; in CI it fails.
test-postgres: setup-dev
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL:/anquan=/postgres)', connect_timeout=3).close()" 2>/dev/null; then \
		ANQUAN_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n auto; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL at $(PG_URL) is not reachable, and CI must test on it"; exit 1; \
	else echo "SKIPPED PostgreSQL run: no server at $(PG_URL)"; fi

# Ingest and latency against the real PostgreSQL and Mosquitto (a missing one is named in the
# tables); prints the tables and updates BENCHMARKS.md. One benchmark, shorter:
# make bench BENCH_ARGS="ingest --quick"   (python -m benchmarks --help lists the options)
bench: setup-dev
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules anquan/web/static/vendor var
