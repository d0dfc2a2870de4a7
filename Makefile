# Two commands: `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install build serve test lint bench clean

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

clean:
	rm -rf dist .pytest_cache
