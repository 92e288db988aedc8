# Lookout: `make run` serves the store with demo data; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Resolved only when the virtual environment has to be created (recursive `=`).
PYTHON = $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/lookout
HOST ?= 127.0.0.1
PORT ?= 8000
# Python's bytecode cache, kept under var/ even where the environment turns it off
# (PYTHONDONTWRITEBYTECODE): the suite starts hundreds of `lookout` processes, and each one
# compiled every module again without it (about 0.2 s of CPU per process, 7 s per collection).
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX ?= $(CURDIR)/var/pycache

.PHONY: install setup run serve test lint typecheck migrations-check pytest pytest-postgres \
	compliance security bench loadtest clean mutation node-deps screenshots

$(STAMP): pyproject.toml
	@python="$(PYTHON)"; if [ -z "$$python" ]; then exit 1; fi; \
	echo "Using $$python ($$($$python --version))"; \
	if [ ! -x $(BIN)/python ]; then "$$python" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# axe-core for the accessibility tests (decision 0044), pinned in package-lock.json: `npm ci`
# fetches it here, never while tests run. Without npm those tests skip on a developer's machine
# and fail in CI (.ci/run installs Debian's nodejs and npm).
NODE_STAMP := node_modules/.installed-stamp
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm is not installed: the accessibility tests will skip (apt-get install nodejs npm)"; fi

node-deps: $(NODE_STAMP)

# Everything `run` needs before serving; each step is idempotent, so running twice is safe.
setup: install
	$(BIN)/lookout keys init
	$(BIN)/lookout migrate --noinput
	$(BIN)/lookout migrate --database keystore --noinput
	$(BIN)/lookout createcachetable
	$(BIN)/lookout demo

run: setup
	$(BIN)/lookout serve --with-worker --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/lookout serve --with-worker --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy lookout sandbox_processor tests scripts

migrations-check: install
	LOOKOUT_ENV=test $(BIN)/lookout makemigrations --check --dry-run

# TEST_WORKERS=N spreads each pass over N pytest-xdist workers, a test module to a worker (each
# worker has its own databases, temporary files and Redis database: docs/testing.md); unset, each
# pass is one process, which is quickest on a 2-core machine where the two passes fill both cores.
XDIST = $(if $(TEST_WORKERS),-n $(TEST_WORKERS) --dist loadfile)
# Each pass ends by naming its 25 slowest steps (setups included): where the time goes, in
# every run (docs/testing.md).
DURATIONS := --durations=25 --durations-min=2

pytest: install node-deps
	$(BIN)/pytest -p no:cacheprovider $(XDIST) $(DURATIONS) --results-label sqlite

postgres_up = [ -n "$${DATABASE_URL:-}" ] || $(BIN)/python -c \
	"import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null

pytest-postgres: install node-deps
	@if $(postgres_up); then \
		echo "PostgreSQL run: $${DATABASE_URL:-$(PG_URL)}" | sed 's#//[^@]*@#//***@#'; \
		DATABASE_URL="$${DATABASE_URL:-$(PG_URL)}" $(BIN)/pytest -p no:cacheprovider \
			$(XDIST) $(DURATIONS) --results-label postgres; \
	elif [ "$${CI:-}" = true ]; then echo "PostgreSQL is not reachable on 127.0.0.1:5432 and" \
		"DATABASE_URL is unset: CI runs every test on PostgreSQL too (.ci/run starts it)."; \
		exit 1; \
	else echo "PostgreSQL is not reachable on 127.0.0.1:5432 and DATABASE_URL is unset:" \
		"skipping the PostgreSQL run."; fi

# Fails when a commitment's test failed, or when a commitment has no test at all (--strict).
compliance: install
	$(BIN)/lookout compliance --strict

# Static checks stop early. Then the SQLite and PostgreSQL passes run at the same time (CI has
# 2 cores; each pass has its own databases, temporary files and Redis database: decision 0024),
# the PostgreSQL pass's output is printed after the SQLite pass's, and the commitments report is
# printed from both results. The target fails if any step failed.
test: lint typecheck migrations-check node-deps
	@rm -f var/test-results/*.json; mkdir -p var/test-logs; status=0; \
	LOOKOUT_TEST_REDIS_URL=redis://127.0.0.1:6379/11 $(MAKE) --no-print-directory \
		pytest-postgres > var/test-logs/postgres.log 2>&1 & postgres=$$!; \
	echo "SQLite pass (the PostgreSQL pass runs alongside: var/test-logs/postgres.log)"; \
	if $(postgres_up); then pg_pass=1; else pg_pass=; fi; \
	LOOKOUT_POSTGRES_PASS_RUNS=$$pg_pass $(MAKE) --no-print-directory pytest || status=1; \
	wait $$postgres || status=1; \
	echo "---------- PostgreSQL pass (ran alongside the SQLite pass) ----------"; \
	cat var/test-logs/postgres.log; \
	$(MAKE) --no-print-directory compliance || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)"; fi; \
	exit $$status

# Security checks on their own (C4.5): bandit over the product code, the dependency audit (skipped
# with its reason when the advisory source cannot be reached), schemathesis over the whole OpenAPI
# document and the access-control and abuse tests. `make test` runs the same tests inside pytest.
security: install
	$(BIN)/pytest -p no:cacheprovider -rs tests/security

# Mutants of the code that enforces the commitments, each run against the tests that prove them
# (decision 0039, docs/proofs.md): minutes per module, so not part of `make test`.
# MODULES='lookout/vault/blind_index.py ...' runs only those; MUTATION_JOBS=2 mutants at once;
# SURVIVORS=1 tests again only the mutants their last full run left undetected (new tests).
mutation: install
	$(BIN)/python scripts/mutation.py --modules '$(MODULES)'

bench: install
	$(BIN)/python bench/run.py

# Every main page, desktop and phone, into var/screenshots/ (a throwaway site of its own, Debian's
# Chromium; downloads nothing). ONLY=regex captures only the pages whose name it finds.
screenshots: install
	$(BIN)/python scripts/screenshots.py $(if $(ONLY),--only '$(ONLY)')

# A minute of realistic mixed load on a server of its own on loopback (not part of `make test`);
# LOADTEST_ARGS=--postgres. URL=https://shop.example (or LOADTEST_URL) loads that running
# deployment instead, starting nothing: only ever your own (LOADTEST_ARGS=--with-checkout places
# real orders: a staging copy only).
URL ?= $(LOADTEST_URL)
loadtest: install
	$(BIN)/python bench/loadtest.py $(if $(URL),--url '$(URL)') $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var
