# One command to run, one to test. Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test seed-large bench load-test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The embedded default runs in demo mode (role picker, no passwords, 127.0.0.1 only); COCKPIT_DEMO_MODE=0 make run
# switches it off.
run: $(STAMP)
	COCKPIT_DEMO_MODE=$${COCKPIT_DEMO_MODE:-1} $(BIN)/cockpit run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

seed-large: $(STAMP)
	$(BIN)/cockpit seed --scale large

# Every page on the large instance (built once under data/bench/ and in PostgreSQL cockpit_bench_large), both
# databases; writes bench/results/<date>-pages.md and bench/results/latest.md. Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python bench/pages.py --db sqlite --db postgresql

# Load test over Streamlit's websocket protocol (bench/load_test.py): 20 active users for 60 s, then 200 sessions
# coming and going, each against a fresh `cockpit run` (demo mode, SQLite, production settings); writes
# bench/results/<date>-load.md.
load-test: $(STAMP)
	$(BIN)/python bench/load_test.py --users 20 --duration 60 --churn 200 --config deploy/streamlit-production.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
