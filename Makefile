# Two entry points for newcomers: `make demo` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := sandbox tap-sage-intacct target-leanix
STAMP := $(VENV)/.installed
MELTANO_STAMP := .meltano/.installed
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: venv plugins test lint typecheck unit demo bench clean

venv: $(STAMP)

# Meltano installs the plugins into .meltano/ with uv, exactly as a user's `meltano install` would.
plugins: $(MELTANO_STAMP)

$(MELTANO_STAMP): $(STAMP) meltano.yml $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	$(BIN)/meltano install
	touch $(MELTANO_STAMP)

$(STAMP): $(foreach p,$(PACKAGES),$(p)/pyproject.toml) requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e ./sandbox -e "./tap-sage-intacct[testing]" -e "./target-leanix[testing,postgres]" -r requirements-dev.txt
	# target-jsonl pins jsonschema 2.6, so it lives in a venv of its own, as Meltano would install it.
	test -x $(VENV)/plugins/target-jsonl/bin/target-jsonl || { $(BIN)/uv venv -q --python $(BIN)/python $(VENV)/plugins/target-jsonl && $(BIN)/uv pip install -q --python $(VENV)/plugins/target-jsonl/bin/python "target-jsonl==0.1.4" "setuptools<81"; }
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv plugins
	$(BIN)/pytest

test: lint typecheck unit

demo: venv plugins
	$(BIN)/python -m sandboxes.demo

bench: venv plugins
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .meltano .pytest_cache .mypy_cache .ruff_cache
