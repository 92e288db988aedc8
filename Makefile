# Lookout: `make run` serves the store with demo data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/lookout

.PHONY: install run test lint typecheck migrations-check pytest pytest-postgres compliance bench clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then scripts/find-python; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/lookout keys init
	$(BIN)/lookout migrate --noinput
	$(BIN)/lookout migrate --database keystore --noinput
	$(BIN)/lookout createcachetable
	$(BIN)/lookout demo
	$(BIN)/lookout serve --with-worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy lookout

migrations-check: install
	LOOKOUT_ENV=test $(BIN)/lookout makemigrations --check --dry-run

pytest: install
	$(BIN)/pytest --results-label sqlite

pytest-postgres: install
	@if [ -n "$$DATABASE_URL" ] || $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
		DATABASE_URL="$${DATABASE_URL:-$(PG_URL)}" $(BIN)/pytest --results-label postgres; \
	else echo "PostgreSQL is not reachable on 127.0.0.1:5432 and DATABASE_URL is unset: skipping the PostgreSQL run."; fi

compliance: install
	$(BIN)/lookout compliance

test: lint typecheck migrations-check pytest pytest-postgres compliance

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
