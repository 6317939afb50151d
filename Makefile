# Everything is set up by the targets themselves, from nothing but python3 (>= 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lab check lint typecheck unit integration bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	touch $@

## test: set up everything the tests need, then lint, type-check and run the whole suite
test: $(STAMP) check
	$(BIN)/python -m pytest

## lab: JupyterLab on examples/, opening the quickstart (the embedded server starts in the kernel)
lab: $(STAMP)
	cd examples && ../$(BIN)/jupyter lab --ip=127.0.0.1 01-quickstart.ipynb

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check dynamorm_lab tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis artifacts *.egg-info
