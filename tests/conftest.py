"""Shared fixtures. Tests never write to the user's cache and never reach the network."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see harness/cli.py
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def harness_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A per-session HARNESS_CACHE_DIR; set HARNESS_TEST_CACHE_DIR to reuse built models across runs."""
    path = Path(os.environ.get("HARNESS_TEST_CACHE_DIR") or tmp_path_factory.mktemp("harness-cache"))
    previous = os.environ.get("HARNESS_CACHE_DIR")
    os.environ["HARNESS_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("HARNESS_CACHE_DIR", None)
    else:
        os.environ["HARNESS_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def micro_model(harness_cache_dir: Path) -> Path:
    """Folder of the embedded `micro` model (built once per session, a few seconds)."""
    from harness.models.embedded import build_embedded_model

    return build_embedded_model("micro", progress=False)


# Micro settings for the end-to-end pipeline: same code path as `harness demo`, minutes on 2 CPU cores.
MICRO_OVERRIDES = [
    "generator.n_transcripts=300", "generator.n_sft=400", "generator.n_dpo=160", "generator.n_intents=400",
    "cpt.max_steps=12", "sft.max_steps=40", "dpo.max_steps=16", "intent_head.max_steps=40",
    "cpt.eval_steps=6", "sft.eval_steps=20", "dpo.eval_steps=6", "intent_head.eval_steps=20",
]
MICRO_EVAL_LIMIT = 24
MICRO_POLICY = Path(__file__).parent / "fixtures" / "gates" / "micro.yaml"


@pytest.fixture(scope="session")
def pipeline_run(micro_model: Path, tmp_path_factory: pytest.TempPathFactory):
    """One real micro pipeline (prep → CPT → SFT → DPO → evals) into a fresh store, plus two gates:
    the tuned model against the base (expected to pass) and the base against the tuned model (to fail)."""
    from harness.gate.cli import run_gate_command
    from harness.pipeline import PipelineOptions, run_pipeline

    db = tmp_path_factory.mktemp("pipeline") / "pipeline.duckdb"
    opts = PipelineOptions(domain="support_chat", base_model="default:micro", overrides=MICRO_OVERRIDES,
                           eval_limit=MICRO_EVAL_LIMIT, progress=False, eval_stages="all")
    result = run_pipeline(opts, db)
    gates = {}
    for name, cand, base in [("tuned_vs_base", "dpo", "base"), ("base_vs_tuned", "base", "dpo")]:
        gates[name] = run_gate_command(policy=MICRO_POLICY, candidate=result.eval_runs[cand],
                                       baseline=result.eval_runs[base], eval_missing=False, suites=None,
                                       junit=None, summary=None, device="cpu", db=db,
                                       allow_limit=True)  # --limit 24 evaluations: a smoke gate by design
    return db, result, gates


@pytest.fixture(scope="session")
def pipeline_store(pipeline_run) -> Path:
    """Path of the store the micro pipeline wrote (used by the dashboard tests)."""
    return pipeline_run[0]


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel and installed (no deps: they are this venv's) into a private folder, once per
    session for every test of an installed (not editable) harness; put it on PYTHONPATH. Tests only read it."""
    from harness.paths import PROJECT_ROOT

    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
                    str(PROJECT_ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next((tmp / "dist").glob("domain_harness-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "-q", "--target", str(tmp / "site"), str(wheel)], check=True,
                   capture_output=True, timeout=300)
    return tmp / "site"
