# The two commands a newcomer needs:  make run   (install + serve)   and   make test   (install + tests)
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: bootstrap install run test lint format migrate key bench

bootstrap:  ## uv itself, from PyPI, if this machine has none
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv

install: bootstrap  ## the locked environment in .venv
	$(UV) sync --frozen

run: install  ## migrate and serve on http://$(HOST):$(PORT) (embedded PostgreSQL unless DATABASE_URL is set)
	$(UV) run oia serve --migrate --host $(HOST) --port $(PORT)

key: install  ## print a new admin key (works while `make run` is serving)
	$(UV) run oia keys create --role admin --name "$${USER:-dev}-admin" | tail -n 1

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

test: lint  ## ruff, then the whole suite against a real PostgreSQL
	$(UV) run pytest

format: install
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

migrate: install
	$(UV) run oia migrate

.PHONY: smoke live-checks
BASE_URL ?= http://$(HOST):$(PORT)

smoke: install  ## smoke-test a running server: make smoke KEY=oia_... [BASE_URL=http://127.0.0.1:8000]
	scripts/smoke --base-url $(BASE_URL) --key "$(KEY)"

live-checks: install  ## fresh database + oia serve + smoke + schemathesis (needs TEST_DATABASE_URL)
	scripts/ci-live-checks

.PHONY: bench-smoke
SCALE ?= small
BENCH_ARGS ?=

bench: install  ## fresh benchmark database (SCALE=small|large) + every scenario; see bench/README.md
	bash bench/setup.sh
	$(UV) run python -m bench.load --scale $(SCALE)
	$(UV) run python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

bench-smoke: install  ## the whole benchmark at tiny size, 1 s per scenario: proves it runs, not timing
	bash bench/setup.sh
	$(UV) run python -m bench.load --scale tiny
	$(UV) run python -m bench.run --scale tiny --quick --wait-idle 0
