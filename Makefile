# Métrobib — everyday commands. `make run` then `make test` on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# make run is the development set-up: DEBUG on, SQLite in var/ unless DATABASE_URL says otherwise.
DEV_ENV := DEBUG=1
PYTEST_WORKERS ?= 2

.PHONY: install run serve test test-unit test-e2e test-fuzz lint format bench bench-data bench-search bench-login bench-agenda bench-usage clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (back-office: http://$(HOST):$(PORT)/admin/) with a db_worker and the demo single sign-on vendors on :8001"
	@$(DEV_ENV) $(BIN)/python manage.py db_worker --queue-name '*' & worker=$$!; \
	$(DEV_ENV) $(BIN)/python manage.py sso_demo_vendor --portal http://$(HOST):$(PORT) & vendor=$$!; \
	trap 'kill $$worker $$vendor 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Unit + integration tests, then the browser, fuzzing and protocol-peer suites (OAI-PMH
# replay server, Zebra, SIP2 and ILS-DI peers) and the multi-process PostgreSQL tests, one pytest
# run each so their durations print separately.
# DATABASE_URL selects SQLite (default) or PostgreSQL; SKIP_BROWSER=1 runs the first only.
test: install
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -m "not e2e and not fuzz and not oaipmh and not zebra and not sip2 and not ilsdi and not sushi and not sso and not postgres" -n $(PYTEST_WORKERS) -q; rc=$$?; \
	echo "unit+integration suite: $$(( $$(date +%s) - start ))s"; [ $$rc -eq 0 ] || exit $$rc
	@if [ "$(SKIP_BROWSER)" != "1" ]; then \
	start=$$(date +%s); \
	$(BIN)/python -m pytest -m "e2e or fuzz or oaipmh or zebra or sip2 or ilsdi or sushi or sso or postgres" -q -p no:randomly; rc=$$?; \
	echo "browser, fuzzing and protocol-peer suite: $$(( $$(date +%s) - start ))s"; [ $$rc -eq 0 ] || exit $$rc; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/web.py

# Catalogue search at scale (bench/README.md): the data once (2 M records on PostgreSQL, the
# same as ISO 2709 and a Zebra index, 200 k on SQLite; reused while its stamp matches, about
# an hour and 30 GB the first time), then the benchmark. BENCH_ARGS="--force" rebuilds.
bench-data: install
	$(BIN)/python bench/searchdata.py $(BENCH_ARGS)

bench-search: install
	$(BIN)/python bench/search.py $(BENCH_ARGS)

# Patron login against SIP2 servers answering in 50 ms, and "mon compte" (bench/login.py).
bench-login: install
	$(BIN)/python bench/login.py $(BENCH_ARGS)

# The public agenda with 20,000 occurrences across the network, and the home page, against a
# bare view (bench/agenda.py; a throw-away PostgreSQL database, about 6 minutes).
bench-agenda: install
	$(BIN)/python bench/agenda.py $(BENCH_ARGS)

# The digital library's usage dashboard over 1,000,000 usage events (aggregation job and
# read, target 2 s) and the access redirect against a bare view (bench/usage.py; a
# throw-away PostgreSQL database, a few minutes).
bench-usage: install
	$(BIN)/python bench/usage.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .pytest_cache
