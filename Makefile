# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
# uv comes from PyPI and runs as a module, so it works wherever pip put it.
UV := $(PY) -m uv
export UV_LINK_MODE ?= copy

.PHONY: run test lint bench deps clean

deps:  ## Debian packages (Tesseract, OCR-B), uv, then the locked environment in .venv
# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (as in many containers)
# every process would otherwise compile its ~10,000 modules at each start (7 s against 3 s
# to import the app and CLI on the 2-core development VM).
	bash scripts/system-packages
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet --user 'uv>=0.5' \
		|| $(PY) -m pip install --quiet --break-system-packages 'uv>=0.5'
	$(UV) sync --frozen --compile-bytecode
	$(UV) run --frozen python -m compileall -q -j 0 src >/dev/null

run: deps  ## install, migrate, start API + worker on SQLite with a demo tenant
	$(UV) run --frozen aegis serve --demo

lint: deps
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy src

test: lint  ## install and run the whole suite (PostgreSQL/Redis/NATS when AEGIS_TEST_* are set)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

bench: deps
	$(UV) run --frozen python bench/run_all.py

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
