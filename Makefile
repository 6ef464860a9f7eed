# PX360 developer commands. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test setup messages lint format check ci clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python=$$(scripts/find-python) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; $$python -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed
	@$(PY) scripts/compile_messages.py

## Run PX360 with demo data on SQLite: web server and job cluster together (Ctrl-C stops both).
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py create_default_roles
	$(PY) manage.py setup_schedules
	$(PY) manage.py load_demo
	@PORT=$(PORT) scripts/run-dev

## Run the whole test suite (SQLite unless DATABASE_URL is set) in random order (the seed is printed;
## PYTEST_ARGS="--randomly-seed=N" repeats an order), with branch coverage per app. A whole run on
## SQLite must reach the floor in .ci/coverage-floor; with PYTEST_ARGS or DATABASE_URL set it only
## prints the figures (the floor was taken on SQLite).
test: setup
	PX360_ENV=test $(PY) -m pytest -n 2 --cov --cov-report= $(PYTEST_ARGS)
	$(PY) scripts/coverage_by_app.py $(if $(PYTEST_ARGS)$(DATABASE_URL),,--floor-file .ci/coverage-floor)

## Extract translatable strings into locale/ar (then translate the empty entries).
messages: setup
	$(PY) manage.py makemessages -l ar --no-location --no-obsolete \
	  --ignore=.venv --ignore=staticfiles --ignore=var --ignore=node_modules --ignore=tests --ignore=bench
	$(PY) scripts/compile_messages.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles
