# Two commands do all setup: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,load]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gatecrash run

test: $(STAMP)
	$(BIN)/pytest

check: $(STAMP)
	$(BIN)/ruff format --check src tests bench scenarios
	$(BIN)/ruff check src tests bench scenarios
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/emulator.py
	$(BIN)/python bench/runner.py
	$(BIN)/python bench/correlate.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
