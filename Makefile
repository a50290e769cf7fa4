# govern: `make run` to try it, `make test` to test it. Nothing else is needed on a fresh machine
# with Python 3.11+ (and, for browser tests, Debian's chromium; installed here when run as root).

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes (pytest-xdist): the suite waits on browsers, servers and workers as much as it computes.
TEST_WORKERS ?= 2

.PHONY: run run-services test test-services install install-dev browser-deps migrate seed messages bench clean check-deploy

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "govern needs Python 3.11 or newer on PATH (python3.11, python3.12 ...)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Embedded mode: SQLite under var/, in-memory channel layer, eager Celery, one ASGI process
# (daphne's runserver serves HTTP and WebSockets).
run: $(VENV)/.installed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Services mode on this machine with production settings (debug off), the processes of
# deploy/Procfile under honcho: two uvicorns (8001, 8002), a Celery worker and beat. Needs the local
# PostgreSQL and Redis; settings in var/services.env (written on first run). See deploy/README.md.
run-services: $(VENV)/.installed
	deploy/run-local.sh

browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian chromium and chromium-driver for browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
	  echo ""; echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!!  /usr/bin/chromium is missing and this is not root: BROWSER TESTS WILL BE SKIPPED."; \
	  echo "!!  Install it with: sudo apt-get install chromium chromium-driver"; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; echo ""; \
	fi

# The whole suite in whatever mode the environment selects (embedded unless DATABASE_URL/REDIS_URL).
test: $(VENV)/.installed-dev browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Services mode against the local PostgreSQL and Redis (what CI's second pass runs).
test-services:
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/govern} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(MAKE) test

# Translations: source strings are English; Chinese lives in locale/translations/<app>.json (one
# file per app, so parallel work never collides in the .po). This regenerates and compiles the
# committed .po/.mo (needs GNU gettext: apt-get install gettext).
messages: $(VENV)/.installed-dev
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=static/vendor --ignore=bench --ignore=staticfiles
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -d djangojs -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=static/vendor --ignore=staticfiles --ignore=bench
	$(BIN)/python scripts/po_fill.py --force locale/zh_Hans/LC_MESSAGES/django.po locale/translations/*.json
	$(BIN)/python scripts/po_fill.py --force locale/zh_Hans/LC_MESSAGES/djangojs.po locale/translations/*.json
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

check-deploy: $(VENV)/.installed
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) DJANGO_ALLOWED_HOSTS=govern.example.org \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
