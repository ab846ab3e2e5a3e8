# Two entry points (see README): `make lessons` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS := lessons,test,dev,browser,binder
STAMP := $(VENV)/.installed
# the working copy `make lessons` opens (ignored by git): saving a lesson never touches lessons/
WORKDIR ?= dormancy-lessons

.PHONY: lessons test test-fast lint docs bench app clean

$(STAMP): pyproject.toml binder/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	grep -E '^[A-Za-z]' binder/requirements.txt > $(VENV)/constraints.txt
	$(PY) -m pip install --quiet -c $(VENV)/constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

# the versions pinned for Binder constrain the development environment too

## Set up, copy the lessons into dormancy-lessons/ (your working copy) and open it in JupyterLab
lessons: $(STAMP)
	$(VENV)/bin/dormancy-widgets lessons $(WORKDIR)

## Set up and run the full test suite: lint, unit and widget tests, lessons, browser and Binder checks
test: $(STAMP)
	$(MAKE) lint
	sh tools/ensure-chromium.sh
	sh tools/ensure-axe.sh >/dev/null
	$(PY) -m pytest tests -m "not browser and not slow" -q
	$(PY) -m pytest --nbval-lax --nbval-current-env lessons/ -q -p no:cacheprovider
	$(PY) -m pytest tests -m "browser or slow" -q

## The quick inner loop: unit and widget tests only
test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not browser and not slow" -q -x

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/nbstripout --verify lessons/*.ipynb
	$(PY) -m dormancy_widgets.docgen --check docs/models.md

## Regenerate docs/models.md from the models' docstrings and PARAMS
docs: $(STAMP)
	$(PY) -m dormancy_widgets.docgen docs/models.md

## Print benchmark ratios (vectorized core vs loops, explorer latency)
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py

## Serve the lessons as a code-free app (Voila)
app: $(STAMP)
	$(VENV)/bin/dormancy-widgets app

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
