"""lm-eval's file format both ways (harness/evaluation/lm_eval_io.py): a folder written by the plain `lm_eval`
CLI on the embedded model imports and compares against a `harness eval` of the same model within 0.001; an
exported harness eval reads back as the same rows; the eval backend is part of the eval's identity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.store import Store

CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "accelerate"
TASKS = ["general_facts", "general_ppl"]  # multiple choice, and perplexities (weighted per-item values)


@pytest.mark.slow
def test_lm_eval_cli_folder_imports_and_matches_harness_eval(micro_model, tmp_path):
    from harness.compare.report import compare_runs
    from harness.device import plan_device
    from harness.distributed.launch import load_launcher
    from harness.evaluation.backends import make_backend
    from harness.evaluation.lm_eval_io import export_run, import_folder
    from harness.evaluation.runner import run_eval
    from harness.models.refs import resolve_model
    from harness.paths import suites_dir

    out = tmp_path / "lm_eval_out"
    include = str(suites_dir())  # where the general suite lives; the CLI loads it like any lm-eval task folder
    cmd = [str(Path(sys.executable).with_name("lm_eval")), "--model", "hf", "--model_args",
           f"pretrained={micro_model},dtype=float32", "--device", "cpu", "--tasks", ",".join(TASKS), "--include_path",
           include, "--batch_size", "16", "--output_path", str(out), "--log_samples"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ},
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]

    store = Store(tmp_path / "s.duckdb")
    model = resolve_model("default:micro", progress=False)
    mine = run_eval(store, model, TASKS, device=plan_device("cpu"), reuse=False)
    imported = import_folder(store, out, model_id=model.model_id)

    def values(run_id: str) -> dict[tuple[str, str, str], tuple[float, int]]:
        rows = store.query("SELECT task, metric, filter, value, n FROM eval_results WHERE run_id = ?", [run_id])
        return {(r["task"], r["metric"], r["filter"]): (r["value"], r["n"]) for r in rows}

    a, b = values(mine.run_id), values(imported)
    assert set(a) == set(b) and len(a) == 5  # acc, acc_norm, three perplexity-type metrics
    for key, (value, n) in a.items():
        assert b[key][1] == n
        assert abs(b[key][0] - value) < 1e-3, (key, value, b[key][0])
    n_items = store.query("SELECT count(*) AS n FROM eval_samples WHERE run_id = ?", [imported])[0]["n"]
    assert n_items == store.query("SELECT count(*) AS n FROM eval_samples WHERE run_id = ?", [mine.run_id])[0]["n"]

    # compare pairs every item (same task configs, same prompts): no drift, per-task deltas within 0.001
    comp = compare_runs(Store(store.path, read_only=True), mine.run_id, imported)
    assert not comp.config_drift
    assert {(r.task, r.metric) for r in comp.rows} == {(k[0], k[1]) for k in a}
    for row in comp.rows:
        assert row.n == a[(row.task, row.metric, row.filter)][1] and row.dropped_baseline == row.dropped_candidate == 0
        assert abs(row.delta) < 1e-3, row

    # the same evaluation through `accelerate launch` (one CPU process here: lm-eval splits over GPUs only) comes
    # back through the worker's JSON and is stored identically
    one_cpu = tmp_path / "one_cpu.yaml"
    one_cpu.write_text((CONFIGS / "cpu_ddp.yaml").read_text().replace("num_processes: 2", "num_processes: 1"))
    backend = make_backend("hf", launcher=load_launcher("accelerate", one_cpu), device=plan_device("cpu"))
    launched = run_eval(store, model, TASKS, device=plan_device("cpu"), reuse=False, backend=backend)
    assert values(launched.run_id) == a
    item_cols = "task, doc_hash, metric, filter, value, prediction, target, prompt_hash, weight"
    items = [store.query(f"SELECT {item_cols} FROM eval_samples WHERE run_id = ? ORDER BY task, doc_hash, metric,"
                         " filter", [r]) for r in (mine.run_id, launched.run_id)]
    assert items[0] == items[1]
    cfg = json.loads(store.run(launched.run_id)["config_json"])
    assert cfg["backend"] == {"name": "hf", "data_parallel": 1}

    # export -> import reads back as the same aggregates and items
    export_run(Store(store.path, read_only=True), mine.run_id, tmp_path / "export")
    again = import_folder(store, tmp_path / "export", model_id=model.model_id)
    c = values(again)
    assert set(c) == set(a) and all(abs(c[k][0] - a[k][0]) < 1e-9 for k in a)
    exported = json.loads(next((tmp_path / "export").glob("results_*.json")).read_text())
    assert exported["results"]["general_facts"]["acc,none"] == pytest.approx(a[("general_facts", "acc", "none")][0])


def test_import_needs_logged_samples_and_lm_eval_output(tmp_path):
    from harness.evaluation.lm_eval_io import import_folder

    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(HarnessError, match="no results_"):
        import_folder(store, tmp_path)
    folder = tmp_path / "out" / "model"
    folder.mkdir(parents=True)
    (folder / "results_2026-01-01T00-00-00.000000.json").write_text(json.dumps(
        {"results": {"t": {"acc,none": 0.5}}, "configs": {"t": {"task": "t"}}, "config": {"model": "hf"}}))
    with pytest.raises(HarnessError, match="--log_samples"):
        import_folder(store, tmp_path / "out")
    assert store.query("SELECT count(*) AS n FROM runs")[0]["n"] == 0


def test_vllm_backend_missing_is_one_line(tmp_path):
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--backend", "vllm", "--db",
                           str(tmp_path / "s.duckdb")], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "vllm" in lines[0].lower() and "fix:" in lines[0]
    assert not (tmp_path / "s.duckdb").exists()  # refused before the store was opened


def test_backend_is_part_of_the_eval_identity(tmp_path):
    from harness.evaluation.backends import EvalBackend
    from harness.evaluation.runner import find_reusable_eval

    store = Store(tmp_path / "s.duckdb")
    ident = {"t": {"config_hash": "c", "code_hash": "k"}}
    run = store.start_run("eval", model_id="m", config={"limit": None, "dtype": "float32",
                                                        "backend": EvalBackend().identity()})
    store.add_eval(run, [], [], model_id="m", tasks=[{"task": "t", "config_hash": "c", "code_hash": "k"}])
    assert find_reusable_eval(store, "m", ident, None, "float32", {"name": "hf"}) == run
    assert find_reusable_eval(store, "m", ident, None, "float32", {"name": "vllm", "tensor_parallel": 1}) is None
    assert find_reusable_eval(store, "m", ident, None, "float32", {"name": "hf", "data_parallel": 2}) is None


def test_harness_suites_skip_lm_eval_builtin_index_with_the_same_identities():
    """A request for the harness's own suites indexes only their YAMLs (lm-eval's ~15k built-in ones cost 10-70 s
    per process), and every task's identity is the one the full index gives; a built-in name gets the full one."""
    from harness.evaluation.runner import available_suites, task_manager
    from harness.evaluation.tasks import task_identities

    suites = available_suites()
    own, full = task_manager(suites), task_manager(["hellaswag"])
    assert len(own.all_tasks) < 500 < len(full.all_tasks) and "hellaswag" in full.all_tasks
    assert task_manager() is full
    mine = task_identities(suites, own)
    assert len(mine) >= 20 and mine == task_identities(suites, full)
