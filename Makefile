# The two commands of the quick start, `make bench` and `make test`, do all the set-up on a
# fresh machine: they create .venv when it is missing and install the package with the extra
# they need (re-installing when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HYPOTHESIS_PROFILE ?= ci
export HYPOTHESIS_PROFILE
PYTEST_WORKERS ?= 2
BENCH_ARGS ?= --quick

.PHONY: test bench docs lint format clean accuracy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$*]"
	touch $@

# --dist worksteal: a worker that runs out of tests takes half of the other's queue, so a few
# long tests near the end do not leave one of the two CI cores idle.
# --reruns 1 with an --only-rerun pattern that matches no error: pytest-rerunfailures re-runs a
# test once only when its worker process dies; a test that fails or raises is never re-run, and
# rerunfailures reports every rerun. (Workers used to die inside XLA's compiler once they passed
# Linux's vm.max_map_count; tests/conftest.py now drops compiled code after each module.)
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal \
		--reruns 1 --only-rerun "^only a crashed worker is re-run$$" $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

docs: $(VENV)/.installed-docs
	$(BIN)/python docs/gen_pages.py
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# Types ([tool.mypy], [tool.pyright] in pyproject.toml): mypy on gmath and on the typed user file
# tests/typing/user_code.py, pyright on the user file.
lint: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check gmath tests benchmarks docs scripts examples
	$(BIN)/python -m ruff format --check gmath tests benchmarks docs scripts examples
	$(BIN)/python -m mypy
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(BIN)/python -m pyright --pythonpath $(BIN)/python

format: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check --fix gmath tests benchmarks docs scripts examples
	$(BIN)/python -m ruff format gmath tests benchmarks docs scripts examples

accuracy: $(VENV)/.installed-test
	$(BIN)/python scripts/accuracy_table.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .hypothesis
