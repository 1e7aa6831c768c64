# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export UV_LINK_MODE ?= copy

.PHONY: run test lint bench setup deps clean

# uv comes from PyPI; everything else is locked in uv.lock.
$(UV):
	python3 -m pip install --user --quiet 'uv>=0.5' || python3 -m pip install --quiet --break-system-packages 'uv>=0.5'

deps: $(UV)
	$(UV) sync --frozen

run: deps  ## install, migrate, start API + console + worker on SQLite with a demo tenant
	$(UV) run --frozen aegis serve --demo

test: deps  ## install and run the whole suite (PostgreSQL/Redis/NATS when AEGIS_TEST_* are set)
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen mypy src
	$(UV) run --frozen pytest $(PYTEST_ARGS)

bench: deps
	$(UV) run --frozen python bench/run_all.py

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
