# dualtrack: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_NO_PROGRESS := 1
export DO_NOT_TRACK := 1
# Compile bytecode at install time: uv does not by default, and where PYTHONDONTWRITEBYTECODE
# is set (as on our CI machines) every process would otherwise compile scikit-learn, pandas
# and the rest from source at each start (measured: importing the fraud API 15 s, 5.8 s).
export UV_COMPILE_BYTECODE := 1
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint bench bench-quick system-deps clean

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

system-deps:
	bash scripts/system-deps.sh

# Demo-only keys for the privacy guard (scripts/demo-env.sh); real deployments set their own.
DEMO_ENV := if [ -f scripts/demo-env.sh ]; then eval "$$(bash scripts/demo-env.sh)"; fi;

demo: $(BIN)/.installed
	bash scripts/fetch-models.sh
	$(BIN)/dualtrack db upgrade
	$(DEMO_ENV) $(BIN)/dualtrack seed-demo
	@echo
	@echo "  dualtrack dashboard:  http://127.0.0.1:8000/   (API docs: /api/docs)"
	@echo "  logins: alice (developer), victor (validator), carol (compliance),"
	@echo "          sam (senior manager), audrey (auditor), ana (analyst), admin"
	@echo "  password for all demo users: harbour-demo-2026"
	@echo
	$(DEMO_ENV) $(BIN)/dualtrack serve

test: $(BIN)/.installed system-deps
	bash scripts/fetch-models.sh  # the MiniLM weights, so the tests that use them run
	DUALTRACK_TEST_PG_URL=$${DUALTRACK_TEST_PG_URL:-$(PG_URL)} DUALTRACK_REQUIRE_PG=1 \
		$(BIN)/pytest -q -n 2 -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src

# torch and sentence-transformers (the research bench's embedding baseline) go in with pip
# after the uv sync: see requirements-bench-torch.txt. Without the local torch wheel that
# step only says so, and the benchmark reports the baseline as skipped.
.bench-venv/.installed: requirements-bench.lock requirements-bench-torch.txt pyproject.toml
	test -x .bench-venv/bin/python || $(PY) -m venv .bench-venv
	.bench-venv/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	.bench-venv/bin/uv pip sync -q --python .bench-venv/bin/python requirements-bench.lock
	.bench-venv/bin/uv pip install -q --python .bench-venv/bin/python --no-deps -e .
	bash scripts/install-bench-torch.sh .bench-venv/bin/python
	touch $@

bench: .bench-venv/.installed
	bash scripts/run-benchmarks.sh .bench-venv/bin/python

bench-quick: .bench-venv/.installed
	bash scripts/run-benchmarks.sh .bench-venv/bin/python --quick

clean:
	rm -rf $(VENV) .bench-venv .pytest_cache .mypy_cache .ruff_cache
