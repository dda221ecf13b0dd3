# Flexion: `make run` for a demo on embedded defaults, `make test` for the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp

# `make test` runs on the real PostgreSQL and Redis, never on SQLite.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/flexion
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

# With PostgreSQL and Redis there: private ones in var/ when none answers at these URLs.
WITH_SERVICES := DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" \
	REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" $(PY) scripts/check_services.py

.PHONY: install compilemessages lock run test bench lint format migrations-check check-services demo clean messages

# The German and Spanish catalogs (locale/*/django.po) compiled to .mo files; Debian's
# gettext (msgfmt) does it: `apt-get install -y gettext` when missing.
install: $(STAMP) compilemessages

compilemessages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: apt-get install -y gettext" >&2; exit 2; }
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v0

# After strings change: refresh the catalogs, translate what is new or fuzzy in
# locale/*/LC_MESSAGES/django.po (docs/glossary.md), then `make compilemessages`.
messages: install
	$(PY) manage.py makemessages -l de -l es --no-obsolete --ignore=.venv --ignore=var \
		--ignore=tests --ignore=bench --ignore=test-artifacts

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r constraints.txt
	touch $(STAMP)

# Re-resolve the pyproject.toml ranges and write the exact versions to constraints.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^flexion' > constraints.txt
	rm -rf .lock-venv

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_starter_library
	$(PY) manage.py seed_demo

# Web on http://127.0.0.1:8000 with a Celery worker and beat, on SQLite and the
# filesystem broker. Ctrl-C stops all of it.
run: demo
	$(PY) scripts/run_dev.py

# Whether PostgreSQL and Redis answer at the URLs; a way out if not.
check-services: install
	@$(WITH_SERVICES)

# The whole suite; Debian's Chromium is installed first when missing and run as root.
test: install
	$(WITH_SERVICES) --browser $(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks at clinic-chain scale on PostgreSQL and Redis, written to BENCHMARKS.md
# (about 10 minutes; BENCH_QUICK=1: small sizes, to var/bench/). Data sets go to databases named
# <DATABASE_URL's name>_bench_<patients>x<weeks>, kept between runs.
bench: install
	$(WITH_SERVICES) $(PY) bench/run.py $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
