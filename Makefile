# stufenlos — the two commands of the README do all set-up on a fresh machine.
#   make run   venv + install + build the default graph (if missing) + start the service
#   make test  venv + install + lint (ruff, mypy) + the kernels' build + tests
#   make console  build the web console (npm ci + copy into console/dist/), run by both
# The venv's interpreter: the distribution's own CPython when it is ≥ 3.11 and can make a venv
# (Debian builds /usr/bin/python3 with profile-guided and link-time optimisation), else the first
# python3 on PATH. A self-built interpreter (pyenv's default build has neither) runs a route
# answer's Python ~9 % slower (README, "Requirements" and "Benchmarks"). `make PYTHON=…` picks
# another; a venv made by another interpreter than the one picked is made anew.
SYSTEM_PYTHON ?= /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(SYSTEM_PYTHON) || echo python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test install graph lint bench clean console kernels

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# the venv is made anew when another interpreter made it, or its interpreter no longer runs
# (then installed into by the sub-make)
install:
	@want=$$($(PYTHON) -c 'import os, sys; print(os.path.realpath(sys.executable))') && \
	have=$$($(BIN)/python -c 'import os, sys; print(os.path.realpath(sys._base_executable))' 2>/dev/null || true) && \
	if [ -e $(VENV) ] && [ "$$want" != "$$have" ]; then \
		echo "the venv's interpreter ($${have:-none that runs}) is not $$want: making $(VENV) anew"; \
		rm -rf $(VENV); fi
	@$(MAKE) --no-print-directory $(STAMP)

graph: install
	$(BIN)/stufenlos build --default-area --if-missing

# The web console: npm packages (lock file) + console/src copied into console/dist/ (not committed).
console/node_modules/.package-lock.json: console/package.json console/package-lock.json
	cd console && (test -f package-lock.json && npm ci --no-audit --no-fund || npm install --no-audit --no-fund)

console: console/node_modules/.package-lock.json
	cd console && node build.mjs

run: graph console
	$(BIN)/stufenlos serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The numba kernels compiled ahead of time into the cache (once per change of the kernels;
# `stufenlos serve` and the tests make it too when it is missing): routing/kernel_build.py
kernels: install
	$(BIN)/python -m routing.kernel_build --if-missing

# Lint and the kernels' build are single-threaded for most of their time: both at once on two
# cores (the tests would otherwise make the build first, after lint). The tests run in
# TEST_WORKERS processes (pytest-xdist; TEST_WORKERS=0 runs them in this one): on two cores
# 5.7 instead of 8.5 minutes. Every test has its own temporary folders, database file or
# PostgreSQL schema, and free ports, so two run side by side.
TEST_WORKERS ?= 2
test: install console
	$(MAKE) --no-print-directory -j2 lint kernels
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

bench: graph
	$(BIN)/python benchmarks/bench_build.py

clean:
	rm -rf .cache .pytest_cache .ruff_cache console/dist
