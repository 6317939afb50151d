# Everything is set up by the targets themselves, from nothing but python3 (>= 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# each target installs what its job needs: the lab only the `lab` extra, the docs only `docs`,
# the tests everything (the development tools, the lab and the docs)
LAB_STAMP  := $(VENV)/.lab-installed
DOCS_STAMP := $(VENV)/.docs-installed
PIP := $(BIN)/python -m pip install --quiet

DYNALITE := tools/node_modules/.bin/dynalite

# the suite runs on WORKERS processes (pytest-xdist), a test file each at a time: every
# worker starts its own servers (moto, dynalite, JupyterLab), so files never share one
WORKERS  ?= 2
PARALLEL := -n $(WORKERS) --dist loadfile

.PHONY: test lab docs check lint typecheck unit integration browser bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) --upgrade pip
	$(PIP) -e ".[dev,lab,docs]"
	touch $@ $(LAB_STAMP) $(DOCS_STAMP)

$(LAB_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) --upgrade pip
	$(PIP) -e ".[lab]"
	touch $@

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) --upgrade pip
	$(PIP) -e ".[docs]"
	touch $@

# dynalite: a second, strict local server (validates requests the way DynamoDB does)
$(DYNALITE): tools/package.json tools/package-lock.json
	cd tools && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	touch $@

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work here)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## test: set up everything the tests need, then lint, type-check, build the docs (a broken
## reference fails) and run the whole suite: once on moto (unit, integration, browser, example
## notebooks), then the integration tests again on dynalite, which validates every request
## strictly as DynamoDB does
test: $(STAMP) $(DYNALITE) chromium check docs
	$(BIN)/python -m pytest $(PARALLEL)
	DYNAMORM_TEST_BACKEND=dynalite $(BIN)/python -m pytest $(PARALLEL) tests/integration tests/claims

## lab: JupyterLab on examples/, opening the quickstart (the embedded server starts in the kernel)
lab: $(LAB_STAMP)
	cd examples && ../$(BIN)/jupyter lab --ip=127.0.0.1 --allow-root 01-quickstart.ipynb

## docs: the documentation site into site/ (mkdocs.yml); every warning is an error.
## NO_MKDOCS_2_WARNING is Material for MkDocs' own switch for its notice about MkDocs 2.0
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check dynamorm_lab tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration tests/claims

browser: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser

## bench: dynamorm_lab against boto3, PynamoDB and awswrangler (writes benchmarks/RESULTS.md)
bench: $(STAMP) $(DYNALITE)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis artifacts *.egg-info \
	  tools/node_modules site .cache/mkdocs-jupyter
