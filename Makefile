# Two commands: `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install build serve test lint bench fuzz load-test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(BIN)/ai45kg build

serve: $(STAMP)
	$(BIN)/ai45kg serve --host 127.0.0.1 --port 8045

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/ruff check kg service tests
	$(BIN)/mypy kg service

# every store at the real size, 100k and 1M triples (long: BENCH_ARGS=--quick for a short run);
# writes benchmarks/RESULTS.md
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --write $(BENCH_ARGS)

# the fuzzers for longer than CI runs them: FUZZ_SCALE times the examples, randomized (failures
# are kept in .hypothesis/ and replayed first next time), the hostile corpus on both stores
FUZZ_SCALE ?= 20
fuzz: $(STAMP)
	AI45_FUZZ_SCALE=$(FUZZ_SCALE) AI45_HOSTILE_STORES=oxigraph,memory $(BIN)/python -m pytest -q \
	  tests/test_fuzz.py tests/test_schemathesis.py tests/test_hostile.py \
	  -o timeout=0 $(PYTEST_ARGS)

# 32 clients for a minute against `ai45kg serve`; writes the table into docs/reliability.md
load-test: $(STAMP)
	$(BIN)/python benchmarks/load_test.py --write docs/reliability.md $(LOAD_ARGS)

clean:
	rm -rf dist .pytest_cache
