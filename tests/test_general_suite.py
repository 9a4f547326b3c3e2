"""The general suite: committed data matches its generator, tasks load, and lm-eval runs them."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.models import general_corpus as gc
from harness.models.embedded import PRESETS
from harness.paths import suites_dir

SUITE = suites_dir() / "general"
MC_TASKS = ["general_arithmetic", "general_dates", "general_units", "general_facts"]
ALL_TASKS = [*MC_TASKS, "general_ppl"]


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SUITE / "data" / f"{name}.jsonl").read_text().splitlines()]


def _generator():
    spec = importlib.util.spec_from_file_location("general_generate", SUITE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_data_is_what_generate_py_produces() -> None:
    import random

    gen = _generator()
    for task, make in gen.TASKS.items():
        expected = gen.to_rows(f"general_{task}", make(), random.Random(f"{gen.SEED}-{task}"), gen.ITEMS_PER_TASK)
        assert _rows(task) == expected, f"data/{task}.jsonl is stale: run suites/general/generate.py"
    assert _rows("ppl") == gen.ppl_rows(random.Random(f"{gen.SEED}-ppl"), gen.PPL_DOCS)


@pytest.mark.parametrize("task", ["arithmetic", "dates", "units", "facts"])
def test_multiple_choice_items_are_well_formed(task: str) -> None:
    rows = _rows(task)
    assert 100 <= len(rows) <= 200
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["context"] for r in rows}) == len(rows)
    for row in rows:
        assert len(row["choices"]) == 4 and len(set(row["choices"])) == 4, row
        assert 0 <= row["label"] < 4
    labels = [r["label"] for r in rows]
    assert max(labels.count(i) for i in range(4)) < 0.4 * len(rows)  # answers are not all in one slot


def test_multiple_choice_answers_are_true() -> None:
    answer = {r["context"]: r["choices"][r["label"]] for t in ("arithmetic", "dates", "facts") for r in _rows(t)}
    assert answer.get("The capital of France is", "Paris") == "Paris"
    for context, value in answer.items():
        if context.endswith("=") and " + " in context:
            a, b = context.removesuffix("=").split(" + ")
            assert int(value) == int(a) + int(b), context
        if context.startswith("The day after "):
            day = context.split()[3]
            assert value == gc.DAYS[(gc.DAYS.index(day) + 1) % 7], context
        if context.startswith("The capital of "):
            assert value == gc.CAPITALS[context.removeprefix("The capital of ").removesuffix(" is")]


def test_perplexity_docs_are_held_out() -> None:
    rows = _rows("ppl")
    assert 50 <= len(rows) <= 100
    cfg = PRESETS["default"]
    training = "\n".join(gc.generate_corpus(cfg.corpus_docs, cfg.seed))
    assert not [r["id"] for r in rows if r["text"] in training]


def test_tasks_are_registered() -> None:
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(suites_dir()))
    assert {"general", *ALL_TASKS} <= set(manager.all_tasks)


def test_simple_evaluate_on_micro_model_returns_per_item_rows(micro_model: Path) -> None:
    import lm_eval
    from lm_eval.tasks import TaskManager

    out = lm_eval.simple_evaluate(
        model="hf", model_args={"pretrained": str(micro_model), "dtype": "float32", "device": "cpu"},
        tasks=["general"], task_manager=TaskManager(include_path=str(suites_dir())), log_samples=True,
        limit=4, batch_size=8,
    )
    results = out["results"]
    for task in MC_TASKS:
        assert 0.0 <= results[task]["acc,none"] <= 1.0
        samples = out["samples"][task]
        assert len(samples) == 4
        for sample in samples:
            assert sample["doc_hash"] and sample["acc"] in (0.0, 1.0)
    assert 0.0 <= results["general"]["acc,none"] <= 1.0
    assert results["general_ppl"]["word_perplexity,none"] > 1.0
    ppl_sample = out["samples"]["general_ppl"][0]
    assert ppl_sample["doc_hash"] and len(ppl_sample["word_perplexity"]) == 2


@pytest.mark.slow  # a full lm_eval CLI subprocess (~20-30 s)
def test_lm_eval_cli_runs_from_another_directory(micro_model: Path, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("lm_eval")
    # The plain command a user would type (lm-eval's CLI picks the device itself; simple_evaluate's HF
    # default is "cuda", hence device="cpu" above).
    cmd = [str(cli), "--model", "hf", "--model_args", f"pretrained={micro_model}", "--include_path",
           str(suites_dir()), "--tasks", "general", "--limit", "2", "--batch_size", "8",
           "--output_path", str(tmp_path / "out"), "--log_samples"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "general_arithmetic" in proc.stdout and "general_ppl" in proc.stdout
    assert list((tmp_path / "out").rglob("samples_general_facts_*.jsonl"))
