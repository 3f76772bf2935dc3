# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run    set up and serve the demo on 127.0.0.1:8000 (embedded SQLite)
#   make test   set up and run lint, the schema check and the whole test suite
# DATABASE_URL=postgres://... make test   runs the suite on PostgreSQL instead.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The browser tests (tests/browser/, marker `browser`) drive this Chromium with Playwright. Where
# it is missing they are deselected and `make test` says so, before and after the run;
# REQUIRE_BROWSER=1 (CI) makes a missing Chromium fail `make test` instead.
CHROMIUM ?= /usr/bin/chromium
REQUIRE_BROWSER ?=
NO_BROWSER := $(shell test -x '$(CHROMIUM)' || echo yes)

.PHONY: run test lint query-counts bench bench-1m fuzz setup-demo demo-key clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.runtime

setup-demo: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo --base-url http://$(HOST):$(PORT)

# The demo's background workers run beside the server on the filesystem broker in var/
# (clinic/settings.py), as the Procfile's `worker:` (replays, and the beat) and `webhooks:`
# (deliveries, a pool of threads); their logs in var/celery-worker.log and
# var/celery-webhooks.log. They are stopped whenever runserver ends (Ctrl-C, an error), so
# nothing is left running.
WEBHOOK_WORKER_CONCURRENCY ?= 16
run: setup-demo
	@var=$${CLINIC_VAR_DIR:-var}; \
	echo "Starting the background workers (logs: $$var/celery-worker.log, $$var/celery-webhooks.log)"; \
	$(PY) -m celery -A clinic worker -B -Q celery,webhooks -n worker@%h --loglevel INFO \
	  >>"$$var/celery-worker.log" 2>&1 & \
	worker=$$!; \
	$(PY) -m celery -A clinic worker -Q webhooks -n webhooks@%h -P threads \
	  --concurrency $(WEBHOOK_WORKER_CONCURRENCY) --loglevel INFO >>"$$var/celery-webhooks.log" 2>&1 & \
	webhooks=$$!; \
	trap 'kill $$worker $$webhooks 2>/dev/null; wait $$worker $$webhooks' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

# mypy (configured in pyproject.toml) loads the settings, which need an environment and a var dir.
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_ENV=test CLINIC_VAR_DIR=$$(mktemp -d) $(PY) -m mypy

test: lint
ifeq ($(NO_BROWSER),yes)
	@if [ "$(REQUIRE_BROWSER)" = 1 ]; then \
	  echo "Chromium not found at $(CHROMIUM) and REQUIRE_BROWSER=1: the browser tests cannot run (apt-get install chromium)." >&2; \
	  exit 1; \
	fi
endif
	DJANGO_ENV=test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	DJANGO_ENV=test $(PY) manage.py makemigrations --check --dry-run
# Production refuses to start without a broker and a webhook key; the deploy check names a
# broker but never connects, and gets a fresh Fernet key.
	DJANGO_ENV=production DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  DJANGO_ALLOWED_HOSTS=triage.example.org CLINIC_VAR_DIR=$$(mktemp -d) \
	  CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	  WEBHOOK_SECRET_KEY=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  $(PY) manage.py check --deploy --fail-level WARNING
ifeq ($(NO_BROWSER),yes)
	@n=$$(DJANGO_ENV=test $(PY) -m pytest -q --collect-only -p no:cacheprovider -m browser tests/browser 2>/dev/null | grep -c '::'); \
	if [ "$$n" -gt 0 ] 2>/dev/null; then tests="the $$n browser tests"; else tests="the browser tests"; fi; \
	note="Chromium not found at $(CHROMIUM): $$tests were NOT run (apt-get install chromium)."; \
	echo "$$note"; \
	DJANGO_ENV=test $(PY) -m pytest -m "not browser" $(PYTEST_ARGS) || { status=$$?; echo "$$note"; exit $$status; }; \
	echo "$$note"
else
	DJANGO_ENV=test CHROMIUM=$(CHROMIUM) $(PY) -m pytest $(PYTEST_ARGS)
endif

# Reruns the tests that count SQL statements per request and writes the counts they see into
# tests/query_counts.json, for the database in use (DATABASE_URL=postgres://... for PostgreSQL).
# Commit the file with the change that made a count move.
QUERY_COUNT_TESTS ?= tests/api/test_queries.py tests/admin/test_worklist_queries.py \
  tests/fhir/test_queries.py tests/api/test_papers.py tests/api/test_print_links.py
query-counts: $(VENV)/.dev
	DJANGO_ENV=test QUERY_COUNTS=record $(PY) -m pytest -p no:cacheprovider -q $(QUERY_COUNT_TESTS)

# Benchmarks print their figures (docs/benchmarks.md keeps a dated copy). They need the
# PostgreSQL and Redis of a machine like CI's; at_scale.py seeds 100,000 intakes on first use.
bench: $(VENV)/.dev
	$(PY) bench/engine_throughput.py
	$(PY) bench/http_load.py
	$(PY) bench/at_scale.py

# The same pages on a million intakes (seeding takes about 14 minutes the first time).
bench-1m: $(VENV)/.dev
	DATABASE_URL=$${BENCH_1M_URL:-postgres://postgres@127.0.0.1:5432/clinic_bench_1m} \
	  $(PY) bench/at_scale.py --intakes 1000000

# Schema-driven fuzzing (the REST API and the FHIR interface), longer than the bounded run
# inside `make test`.
FUZZ_EXAMPLES ?= 500
fuzz: $(VENV)/.dev
	DJANGO_ENV=test FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$${FUZZ_SEED:-random} \
	  $(PY) -m pytest tests/fuzz/test_schema_fuzz.py tests/fuzz/test_fhir_fuzz.py -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .ruff_cache .mypy_cache

# Prints the demo API key (after `make run` or `make setup-demo`), for: export KEY=$(make -s demo-key)
demo-key:
	@$(PY) -c "import json; print(json.load(open('var/demo-credentials.json'))['api_key'])"
