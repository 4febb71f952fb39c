# tabadol — two commands on a fresh machine:
#   make run    install into .venv, load the demo on SQLite, serve on http://127.0.0.1:8000
#   make test   install into .venv and run the whole suite (SQLite and a real PostgreSQL)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
export TABADOL_DATA_DIR ?= var

.PHONY: install chromium run test test-browser lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) chromium

# The browser tests (tests/browser/) drive the system's Chromium, never a downloaded one, with fonts
# for Persian, Arabic and Cyrillic. Root on Debian or Ubuntu gets them installed here; anyone else is
# told the command (the tests fail without Chromium, saying the same).
CHROMIUM_PACKAGES := chromium fonts-noto-core
CHROMIUM_BIN ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM_BIN) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGES) || \
	      { apt-get update && apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGES); }; \
	  else \
	    echo "The browser tests need Chromium: sudo apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGES)"; \
	  fi; \
	fi

run: install
	$(BIN)/tabadol migrate
	$(BIN)/tabadol demo
	$(BIN)/tabadol serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-browser: install
	$(BIN)/python -m pytest -q tests/browser

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/enrich.py --limit 256
	$(BIN)/python bench/delivery.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
