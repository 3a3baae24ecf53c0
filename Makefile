# One command to run, one to test. Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test seed-large bench clean

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

bench: $(STAMP)
	$(BIN)/python bench/overview_render.py
	$(BIN)/python bench/projects_render.py
	$(BIN)/python bench/impact_render.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
