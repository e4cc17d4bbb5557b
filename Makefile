# Touchstone: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/touchstone
DEV := DJANGO_DEBUG=1
PYTEST_ARGS ?=

.PHONY: venv run serve migrate seed worker test test-postgres lint format check clean \
	bench-s bench-m bench-s-postgres bench-m-postgres bench-l-postgres race race-postgres \
	bench-log bench-log-postgres

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(DEV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV) $(BIN)/python manage.py seed_demo

run: seed
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Production-like, in one command: gunicorn (2+ workers), the worker and the scheduler,
# debug off, PostgreSQL and Redis where available (ops/serve.py says what it uses).
serve: venv
	$(BIN)/python -m ops.serve

# The task worker and, beside it, the scheduler that enqueues the periodic jobs.
worker: migrate
	$(DEV) TOUCHSTONE_TASKS=database $(BIN)/python manage.py run_schedule & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(DEV) TOUCHSTONE_TASKS=database $(BIN)/python manage.py run_worker

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: venv
	$(BIN)/python bench/ensure_postgres_db.py "$(PG_URL)"
	DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: venv
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# Benchmarks (bench/README.md): build the dataset, then load it under gunicorn with wrk.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432

bench-s: venv
	$(BIN)/python bench/dataset.py --size S
	$(BIN)/python bench/run.py --size S

bench-m: venv
	$(BIN)/python bench/dataset.py --size M
	$(BIN)/python bench/run.py --size M

bench-s-postgres: venv
	$(BIN)/python bench/dataset.py --size S --database-url $(BENCH_PG)/ts_bench_s
	$(BIN)/python bench/run.py --size S --database-url $(BENCH_PG)/ts_bench_s

bench-m-postgres: venv
	$(BIN)/python bench/dataset.py --size M --database-url $(BENCH_PG)/ts_bench_m
	$(BIN)/python bench/run.py --size M --database-url $(BENCH_PG)/ts_bench_m

bench-l-postgres: venv
	$(BIN)/python bench/dataset.py --size L --database-url $(BENCH_PG)/ts_bench_l
	$(BIN)/python bench/run.py --size L --database-url $(BENCH_PG)/ts_bench_l

# Buyers racing for the same pieces through the API under gunicorn (bench/race.py).
race: venv
	$(BIN)/python bench/race.py

race-postgres: venv
	$(BIN)/python bench/race.py --database-url $(BENCH_PG)/ts_bench_race

# The transparency log: queries per append at two tree sizes, verifying a 1,000-event
# chain with its proofs, racing writers (bench/transparency.py).
bench-log: venv
	$(BIN)/python bench/transparency.py

bench-log-postgres: venv
	$(BIN)/python bench/transparency.py --database-url $(BENCH_PG)/ts_bench_log

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .local/serve.sqlite3* .local/checkpoints.log media staticfiles .pytest_cache .ruff_cache
