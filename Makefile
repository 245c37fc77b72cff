# PatentBridge. `make demo` serves a demo on http://127.0.0.1:8000; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test venv migrate messages bench clean system-packages

# Debian packages the browser tests and PDFs need: Chromium (Playwright drives /usr/bin/chromium; no
# browser is ever downloaded), a CJK font (without one Chinese renders as boxes) and the pango libraries
# WeasyPrint renders agreements with.
SYSTEM_PACKAGES := chromium fonts-wqy-zenhei libpango-1.0-0 libpangoft2-1.0-0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-packages:
	@missing=""; for pkg in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# (Re)install when requirements.txt changes.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

demo: export DEBUG ?= true
demo: export SITE_URL ?= http://$(HOST):$(PORT)
demo: venv system-packages
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "PatentBridge is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo "Log in with one of the accounts above; the admin is at http://$(HOST):$(PORT)/admin/"
	$(BIN)/daphne -b $(HOST) -p $(PORT) marketplace.asgi:application

# The whole suite. DATABASE_URL / REDIS_URL, when set, point the suite at PostgreSQL / Redis.
test: export SECRET_KEY ?= make-test-only-insecure-secret-key-0123456789
test: export ALLOWED_HOSTS ?= testserver,localhost,127.0.0.1
test: venv system-packages
	$(BIN)/python -m pytest

# Translations: extract strings, then compile (the .mo files are committed too).
messages: export DEBUG ?= true
messages: venv
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) var .pytest_cache

# Benchmarks: every bench/*.py script in turn (each builds its own data under var/bench/; see its --help).
bench: export DEBUG ?= true
bench: venv
	@set -e; for script in bench/*.py; do \
		case "$$script" in */__init__.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python "$$script"; \
	done
