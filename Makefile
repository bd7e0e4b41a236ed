# stufenlos — the two commands of the README do all set-up on a fresh machine.
#   make run   venv + install + build the default graph (if missing) + start the service
#   make test  venv + install + lint (ruff, mypy) + tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test install graph lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

graph: install
	$(BIN)/stufenlos build --default-area --if-missing

run: graph
	$(BIN)/stufenlos serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest

bench: graph
	$(BIN)/python benchmarks/bench_build.py

clean:
	rm -rf .cache .pytest_cache .ruff_cache
