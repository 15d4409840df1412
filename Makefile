# Jianfu: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(BIN)/.installed node_modules/.installed

run: setup
	$(BIN)/jianfu quickstart

test: setup
	$(BIN)/pytest

# Regenerate the translation catalogues after changing user-facing strings (needs gettext).
messages: setup
	cd jianfu && ../$(BIN)/jianfu makemessages --locale en --ignore 'tests/*' && ../$(BIN)/jianfu compilemessages --locale en
