# The two commands a newcomer needs:  make run   (install + serve)   and   make test   (install + tests)
SHELL := /bin/bash
# uv: the one on PATH, else a private copy that `bootstrap` puts under var/tools (var/ is git-ignored).
# The pin is the Dockerfile's, so a newcomer and the image run the same uv.
UV_PIN := uv==0.13.9
TOOLS := $(CURDIR)/var/tools
UV := $(shell command -v uv 2>/dev/null || echo "$(TOOLS)/bin/uv")
ifeq ($(UV),$(TOOLS)/bin/uv)
# Scripts the targets call (scripts/smoke, scripts/ci-live-checks) say `uv` too.
export PATH := $(TOOLS)/bin:$(PATH)
endif
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: bootstrap install run test lint format migrate key bench

# A Debian/Ubuntu python3 is "externally managed" (PEP 668): `pip install uv` into it is refused, and
# --break-system-packages is not ours to use on someone's machine. So uv goes into a private venv; a
# python3 without ensurepip (Debian's python3-venv not installed) gets a `pip install --target` copy
# instead (pip skips the PEP 668 check for --target: it writes only to that directory). var/tools/bin/uv
# appears only once an install has finished, so an interrupted one is redone, and a done one is skipped.
# uv then finds a Python >= 3.11 for .venv on PATH (or downloads one when the machine has none).
bootstrap:  ## uv itself if this machine has none: a private copy under var/tools, the system Python untouched
	@if command -v uv >/dev/null 2>&1 || [[ -x "$(TOOLS)/bin/uv" ]]; then exit 0; fi; \
	set -e; \
	if ! command -v python3 >/dev/null 2>&1; then \
		echo "error: neither uv nor python3 is on PATH; install uv: https://docs.astral.sh/uv/" >&2; exit 1; \
	fi; \
	echo "No uv on PATH: installing $(UV_PIN) under var/tools (the system Python is left alone)"; \
	rm -rf "$(TOOLS)/uv-venv" "$(TOOLS)/uv-target" "$(TOOLS)/bin"; \
	mkdir -p "$(TOOLS)/bin"; \
	if python3 -m venv "$(TOOLS)/uv-venv" >/dev/null 2>&1; then \
		"$(TOOLS)/uv-venv/bin/python" -m pip install --quiet --disable-pip-version-check "$(UV_PIN)"; \
		ln -s ../uv-venv/bin/uv "$(TOOLS)/bin/uv"; ln -sf ../uv-venv/bin/uvx "$(TOOLS)/bin/uvx"; \
	elif rm -rf "$(TOOLS)/uv-venv" && python3 -m pip --version >/dev/null 2>&1; then \
		python3 -m pip install --quiet --disable-pip-version-check --target "$(TOOLS)/uv-target" "$(UV_PIN)"; \
		ln -s ../uv-target/bin/uv "$(TOOLS)/bin/uv"; ln -sf ../uv-target/bin/uvx "$(TOOLS)/bin/uvx"; \
	else \
		venv=$$(python3 -c 'import sys; print("python3.%d-venv" % sys.version_info[1])'); \
		echo "error: no uv on PATH, and $$(command -v python3) can neither make a venv (no ensurepip)" \
			"nor run pip. On Debian/Ubuntu: sudo apt-get install python3-venv (or $$venv)," \
			"then run make again; or install uv yourself: https://docs.astral.sh/uv/" >&2; \
		exit 1; \
	fi; \
	"$(TOOLS)/bin/uv" --version

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
