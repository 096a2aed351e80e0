# ICP Portal: the project's vocabulary. `make run` serves it, `make test` proves it.
# Every target installs what it needs first, and skips what is already in place.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:

PORT ?= 8000
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
# Under CI, rebuild the test databases so a rewritten migration never meets a stale schema.
PYTEST_DB := $(if $(CI),--create-db,)

# Debian packages: WeasyPrint's libraries and fonts, pdftotext for PDF checks, and for the
# browser tests Debian's chromium (Playwright cannot download its own browser here).
RUN_DEB := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
TEST_DEB := $(RUN_DEB) chromium
NODE_DEB := $(if $(shell command -v npm),,nodejs npm)
# The fault suite runs its own PostgreSQL cluster and Redis server.
FAULTS_DEB := $(RUN_DEB) postgresql-15 redis-server

PY_STAMP := $(VENV)/.requirements.sha256
NODE_STAMP := node_modules/.package-lock.sha256

LOCAL_ENV := DJANGO_SETTINGS_MODULE=icp_portal.settings.local
TEST_ENV := DJANGO_SETTINGS_MODULE=icp_portal.settings.test

.PHONY: help install run demo test lint fmt bench clean distclean backup restore faults \
	system-run system-test venv python-deps node-deps assets check-services

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# --- installation (idempotent: a second run only compares hashes) ---------------------------

install: system-test python-deps node-deps ## Install everything run and test need

system-run:
	@scripts/ensure-deb.sh $(RUN_DEB) $(NODE_DEB)

system-test:
	@scripts/ensure-deb.sh $(TEST_DEB) $(NODE_DEB)

venv: $(PY)

$(PY):
	@echo "make: creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV) || { \
		rm -rf $(VENV); scripts/ensure-deb.sh python3-venv; $(PYTHON) -m venv $(VENV); }

# Reinstall only when requirements.txt or requirements-dev.txt changed (content hash in .venv).
python-deps: $(PY)
	@want="$$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"; \
	if [ "$$(cat $(PY_STAMP) 2>/dev/null)" != "$$want" ]; then \
		echo "make: installing requirements-dev.txt into $(VENV)"; \
		$(PY) -m pip install --disable-pip-version-check --no-input -q -r requirements-dev.txt; \
		echo "$$want" > $(PY_STAMP); \
	fi

# `npm ci` only when package-lock.json changed; copy-assets when static/vendor/ is missing too.
node-deps:
	@want="$$(cat package-lock.json scripts/copy-assets.mjs | sha256sum | cut -d' ' -f1)"; \
	if [ "$$(cat $(NODE_STAMP) 2>/dev/null)" != "$$want" ]; then \
		echo "make: npm ci"; \
		npm ci --no-audit --no-fund --loglevel=error; \
		npm run --silent copy-assets; \
		echo "$$want" > $(NODE_STAMP); \
	elif [ ! -f static/vendor/htmx.min.js ]; then \
		npm run --silent copy-assets; \
	fi

assets: node-deps ## Rebuild static/vendor/ from node_modules/
	@npm run --silent copy-assets

# --- running ---------------------------------------------------------------------------------

demo: system-run python-deps node-deps ## Migrate the local database and load the demo data
	@mkdir -p var
	$(LOCAL_ENV) $(PY) manage.py migrate --noinput
	$(LOCAL_ENV) $(PY) manage.py seed_demo

run: demo ## Serve on http://127.0.0.1:PORT (default 8000) with a Celery worker and beat beside it
	@PORT=$(PORT) VENV=$(VENV) $(LOCAL_ENV) exec scripts/run-local.sh

# Portfolios of 1k/10k/100k agreements in scratch databases icp_bench_* on DATABASE_URL's server
# (generated once), every page timed at each size, a locust load test against gunicorn on
# BENCH_PORT (8150); results in bench/results/latest.json and docs/performance.md. BENCH_ARGS
# narrows it, e.g. BENCH_ARGS="--sizes 1000,10000 --load-seconds 20".
BENCH_ARGS ?=
bench: system-run python-deps node-deps ## Benchmark 1k/10k/100k portfolios and load-test gunicorn (about 25 min)
	@DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" $(PY) bench/run.py $(BENCH_ARGS)

# --- quality ---------------------------------------------------------------------------------

lint: python-deps ## ruff, manage.py check, missing migrations, import contracts and circles, repository files, bandit, pip-audit
	$(RUFF) check .
	$(RUFF) format --check .
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/check_import_cycles.py
	$(TEST_ENV) $(PY) scripts/check_repo.py
	$(PY) -m bandit -q -c pyproject.toml -r . --severity-level medium
	$(PY) scripts/audit_dependencies.py

fmt: python-deps ## Format the code and apply ruff's safe fixes
	$(RUFF) check --fix .
	$(RUFF) format .

check-services: python-deps
	@$(PY) scripts/check_services.py

test: system-test python-deps node-deps check-services lint ## Lint, then the whole pytest suite (browser tests included)
	@status=0; \
	$(TEST_ENV) $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_DB) $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: pytest collected no tests; failing on purpose" >&2; exit 1; \
	fi; \
	exit $$status

# --- operations ------------------------------------------------------------------------------

BACKUP_DIR ?= var/backups
DJANGO_SETTINGS_MODULE ?= icp_portal.settings.production

backup: python-deps ## Back up the database and document files into BACKUP_DIR (default var/backups)
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(PY) manage.py backup --out $(BACKUP_DIR)

restore: python-deps ## Restore BACKUP=<folder made by make backup> into DATABASE_URL and MEDIA_ROOT, then verify
	@test -n "$(BACKUP)" || { echo "make restore: set BACKUP=<backup folder>" >&2; exit 2; }
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(PY) manage.py restore "$(BACKUP)" --yes

faults: python-deps ## Fault suite: real outages against throwaway PostgreSQL, Redis and SMTP servers
	@scripts/ensure-deb.sh $(FAULTS_DEB)
	ICP_RUN_FAULTS=1 $(TEST_ENV) $(PY) -m pytest -n 0 -m faults tests/faults -s

# --- cleaning --------------------------------------------------------------------------------

clean: ## Remove caches and generated files (keeps .venv, node_modules and the local database)
	find . -path ./.venv -prune -o -path ./node_modules -prune -o \
		-type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles static/vendor test-results

distclean: clean ## Also remove .venv, node_modules and var/ (local database and broker)
	rm -rf $(VENV) node_modules var
