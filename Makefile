# Two commands: `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# what serving needs (the package and its runtime dependencies), and the test tools on top
STAMP      := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install build serve test lint bench fuzz load-test wheel clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)

build: $(STAMP)
	$(BIN)/ai45kg build

serve: $(STAMP)
	$(BIN)/ai45kg serve --host 127.0.0.1 --port 8045

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# mypy reads the packages under their installed names (ai45kg.kg, ai45kg.service) through a
# tree of links, as the editable install's import hook is invisible to it
lint: $(TEST_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/ruff check kg service tests benchmarks
	rm -rf .lint && mkdir -p .lint/ai45kg && ln -s ../../kg .lint/ai45kg/kg && ln -s ../../service .lint/ai45kg/service
	MYPYPATH=.lint $(BIN)/mypy -p ai45kg.kg -p ai45kg.service

# a wheel of the project in dist-wheel/ (what `pip install ai45kg` installs)
wheel: $(STAMP)
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist-wheel .

# every store at the real size, 100k and 1M triples (long: BENCH_ARGS=--quick for a short run);
# writes benchmarks/RESULTS.md; then the serving benchmark (issue #14: ai45kg serve against its
# ceiling, Virtuoso and Oxigraph server, about 4 minutes; --quick with BENCH_ARGS=--quick), which
# writes its own section of RESULTS.md (after bench.py, which rewrites the file). The `oxigraph`
# wheel (the Oxigraph server binary), of pyoxigraph's version, goes into the venv for it.
BENCH_ARGS ?=
SERVING_ARGS ?= $(filter --quick,$(BENCH_ARGS))
bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet "oxigraph==$$($(BIN)/python -c 'import pyoxigraph; print(pyoxigraph.__version__)')"
	$(BIN)/python benchmarks/bench.py --write $(BENCH_ARGS)
	$(BIN)/python benchmarks/serving.py --write $(SERVING_ARGS)
	$(BIN)/python benchmarks/mapping.py --write

# the fuzzers for longer than CI runs them: FUZZ_SCALE times the examples, randomized (failures
# are kept in .hypothesis/ and replayed first next time), the hostile corpus on both stores
FUZZ_SCALE ?= 20
fuzz: $(TEST_STAMP)
	AI45_FUZZ_SCALE=$(FUZZ_SCALE) AI45_HOSTILE_STORES=oxigraph,memory $(BIN)/python -m pytest -q \
	  tests/test_fuzz.py tests/test_schemathesis.py tests/test_hostile.py \
	  -o timeout=0 $(PYTEST_ARGS)

# 32 clients for a minute against `ai45kg serve`; writes the table into docs/reliability.md
load-test: $(TEST_STAMP)
	$(BIN)/python benchmarks/load_test.py --write docs/reliability.md $(LOAD_ARGS)

clean:
	rm -rf dist dist-wheel build .lint .pytest_cache
