# Two entry points for newcomers: `make demo` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := sandbox tap-sage-intacct target-leanix
STAMP := $(VENV)/.installed
MELTANO_STAMP := .meltano/.installed
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: venv plugins browser test lint typecheck unit demo bench clean

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

# The report's browser test drives Debian's chromium through /usr/bin/chromedriver (nothing is downloaded
# at run time): install both once when either is missing.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else \
		echo "error: $(CHROMIUM) or $(CHROMEDRIVER) is missing and this user cannot install them; as root run: apt-get install -y chromium chromium-driver" >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "error: $(CHROMIUM) or $(CHROMEDRIVER) is missing and there is no apt-get; install chromium and its chromedriver there" >&2; exit 1; fi; \
	echo "installing chromium and chromium-driver for the browser test (apt-get)"; \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver || { \
		echo "error: could not install chromium and chromium-driver (see above); the browser test needs them" >&2; exit 1; }

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv plugins
	$(BIN)/pytest

test: browser lint typecheck unit

demo: venv plugins
	$(BIN)/python -m sandboxes.demo

bench: venv plugins
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .meltano .pytest_cache .mypy_cache .ruff_cache
