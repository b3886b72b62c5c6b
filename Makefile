# qingfeng — every target creates .venv when it is missing, then installs from constraints.txt.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: install demo test lint bench fmt clean styles baseline

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,spark]'
	$(BIN)/pip install -q -c constraints.txt -e '.[ftm]' \
	  || echo "make: the FollowTheMoney export is not installed (it needs ICU: apt-get install libicu-dev pkg-config)"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/qingfeng demo $(ARGS)

# Whole files per worker (--dist loadfile): a module's fixtures (a county, a store) are made once,
# not once on each worker that got some of its tests. ARGS='-m "not slow"' skips the tests that
# make whole counties or start Spark.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src/qingfeng

fmt: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

bench: $(STAMP)
	$(BIN)/python -m qingfeng.bench $(ARGS)

# Per-style measurement (docs/model-evaluation.md): each export style of the synthetic county
# through ingest --yes, libraries and models; then the Valentine baseline on the same files, in
# its own venv (it pins python-dateutil<3; the product never imports it).
STYLES_OUT ?= styles-eval
BASELINE_VENV := .venv-baseline

styles: $(STAMP)
	$(BIN)/qingfeng drill styles $(STYLES_OUT) $(ARGS)

$(BASELINE_VENV)/.installed: requirements-baseline.txt
	test -x $(BASELINE_VENV)/bin/python || $(PY) -m venv $(BASELINE_VENV)
	$(BASELINE_VENV)/bin/pip install -q -r requirements-baseline.txt
	touch $@

baseline: $(BASELINE_VENV)/.installed
	test -f $(STYLES_OUT)/standard/truth.json || $(MAKE) styles
	$(BASELINE_VENV)/bin/python scripts/valentine_baseline.py $(STYLES_OUT)

clean:
	rm -rf $(VENV) $(BASELINE_VENV) .pytest_cache .mypy_cache .ruff_cache demo-workspace
