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

## Run the whole test suite (SQLite unless DATABASE_URL is set).
test: setup
	PX360_ENV=test $(PY) -m pytest -n 2 $(PYTEST_ARGS)

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
