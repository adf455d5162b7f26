# Two commands do all setup: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed

.PHONY: demo test require-chromium corpus check bench clean

# `make demo` needs only the package; `make test` adds the dev and load extras on top of it.
$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[dev,load]'
	touch $(STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/gatecrash run

# The HTML report's test renders report.html in Debian's chromium: check for it before anything else.
CHROMIUM ?= chromium
require-chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	    echo "make test needs Debian's chromium (the HTML report's test renders report.html in it)." >&2; \
	    echo "Install it:  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2; \
	    exit 1; }

test: require-chromium $(STAMP)
	$(BIN)/pytest

# The real definitions kept outside the repository: GATECRASH_CORPUS, default ../shared/exports.
corpus: $(STAMP)
	$(BIN)/pytest corpus

check: $(STAMP)
	$(BIN)/ruff format --check src tests corpus bench scenarios
	$(BIN)/ruff check src tests corpus bench scenarios
	$(BIN)/mypy

# The parity suite: AWS's recorded answers replayed against the emulator; writes docs/PARITY.md.
.PHONY: parity
parity: $(STAMP)
	$(BIN)/python -m gatecrash.parity

# Hostile input against a loopback emulator and the CLI: prints tracebacks, hangs, faults, leaks (bench/fuzz.py).
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py

bench: $(STAMP)
	$(BIN)/python bench/emulator.py
	$(BIN)/python bench/runner.py
	$(BIN)/python bench/correlate.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
