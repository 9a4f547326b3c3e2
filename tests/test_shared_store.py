"""The team's shared store (harness/store/shared.py): push/pull round trip, idempotence, and two writers pushing
into the same folder at the same time (separate processes) losing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.store import Store
from harness.store.shared import list_shared, pull, push

TABLES = ("runs", "models", "train_logs", "eval_results", "eval_samples", "eval_tasks", "data_reports", "gates",
          "gate_results")


def add_runs(db: Path, prefix: str, n_eval: int = 2, running: bool = True) -> list[str]:
    """Real store writes through the Store API: a train run with curves and its model, eval runs with aggregates,
    per-item rows and task identities, a gate run, and one run still running (which must not travel)."""
    store = Store(db)
    ids = []
    train = store.start_run("train", domain="d", stage="sft", model_id=None, parent_model_id=f"{prefix}-base")
    store.add_train_logs([{"run_id": train, "step": s, "split": "train", "loss": 2.0 - 0.1 * s,
                           "metrics_json": {"mean_token_accuracy": 0.1 * s}} for s in range(1, 6)])
    store.add_model(f"{prefix}-sft", f"/models/{prefix}", method="lora")
    store.add_model(f"{prefix}-base", "/models/base", method="embedded")
    store.finish_run(train, model_id=f"{prefix}-sft")
    ids.append(train)
    for i in range(n_eval):
        run = store.start_run("eval", domain="d", model_id=f"{prefix}-sft", config={"limit": None})
        samples = [{"run_id": run, "model_id": f"{prefix}-sft", "suite": "s", "task": "t", "doc_id": d,
                    "doc_hash": f"h{d}", "metric": "acc", "value": float((d + i) % 2), "filter": "none",
                    "prompt_hash": f"p{d}"} for d in range(40)]
        store.add_eval(run, [{"run_id": run, "model_id": f"{prefix}-sft", "suite": "s", "task": "t", "metric": "acc",
                              "filter": "none", "value": 0.5, "stderr": 0.08, "n": 40, "higher_is_better": True}],
                       samples, model_id=f"{prefix}-sft",
                       tasks=[{"task": "t", "suite": "s", "config_hash": "c", "config_json": {"task": "t"},
                               "primary_metric": "acc", "n_docs": 40}])
        ids.append(run)
    gate_run = store.start_run("gate", domain="d")
    store.add_gate(f"{gate_run}-g", run_id=gate_run, policy="p.yaml", domain="d", candidate_run=ids[1],
                   baseline_run=ids[-1], passed=True,
                   rules=[{"rule": "r1", "kind": "min", "task": "t", "metric": "acc", "observed": 0.5,
                           "threshold": 0.4, "passed": True}])
    ids.append(gate_run)
    if running:
        store.start_run("eval", domain="d", model_id=f"{prefix}-sft", run_id=f"eval-running-{prefix}")
    return ids


def counts(db: Path, run_ids: list[str]) -> dict[str, int]:
    store = Store(db, read_only=True)
    marks = ", ".join("?" for _ in run_ids)
    sql = {
        "runs": f"SELECT count(*) AS n FROM runs WHERE run_id IN ({marks})",
        "train_logs": f"SELECT count(*) AS n FROM train_logs WHERE run_id IN ({marks})",
        "eval_results": f"SELECT count(*) AS n FROM eval_results WHERE run_id IN ({marks})",
        "eval_samples": f"SELECT count(*) AS n FROM eval_samples WHERE run_id IN ({marks})",
        "eval_tasks": f"SELECT count(*) AS n FROM eval_tasks WHERE run_id IN ({marks})",
        "gates": f"SELECT count(*) AS n FROM gates WHERE run_id IN ({marks})",
        "gate_results": f"SELECT count(*) AS n FROM gate_results WHERE gate_id IN "
                        f"(SELECT gate_id FROM gates WHERE run_id IN ({marks}))",
    }
    return {t: store.query(q, run_ids)[0]["n"] for t, q in sql.items()}


def test_round_trip_is_idempotent_and_skips_running_runs(tmp_path):
    local, shared, other = tmp_path / "a.duckdb", tmp_path / "shared", tmp_path / "b.duckdb"
    ids = add_runs(local, "a")
    first = push(Store(local, read_only=True), shared)
    assert sorted(first.moved) == sorted(ids)
    assert first.skipped == {"eval-running-a": "still running"}
    again = push(Store(local, read_only=True), shared)
    assert again.moved == [] and sorted(again.present) == sorted(ids)

    got = pull(Store(other), shared)
    assert sorted(got.moved) == sorted(ids)
    assert counts(other, ids) == counts(local, ids)
    assert counts(other, ids)["eval_samples"] == 80 and counts(other, ids)["train_logs"] == 5
    store = Store(other, read_only=True)
    assert {r["model_id"] for r in store.query("SELECT model_id FROM models")} == {"a-sft", "a-base"}
    # values and JSON survive the trip, column by column
    a = Store(local, read_only=True).query("SELECT * FROM eval_samples ORDER BY run_id, doc_id")
    b = store.query("SELECT * FROM eval_samples ORDER BY run_id, doc_id")
    assert a == b
    logs = store.query("SELECT metrics_json FROM train_logs ORDER BY step")
    assert json.loads(logs[-1]["metrics_json"]) == {"mean_token_accuracy": 0.5}

    assert pull(Store(other), shared).moved == []  # pulling twice adds nothing
    assert counts(other, ids) == counts(local, ids)
    listed = {r["run_id"]: r for r in list_shared(shared)}
    assert set(listed) == set(ids) and listed[ids[1]]["kind"] == "eval"


def test_bad_shared_folders_are_one_line_errors(tmp_path):
    (tmp_path / "file").write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    local = tmp_path / "a.duckdb"
    add_runs(local, "a", n_eval=1)
    with pytest.raises(HarnessError, match="not a folder"):
        push(Store(local, read_only=True), tmp_path / "file")
    with pytest.raises(HarnessError, match="non-empty folder"):
        push(Store(local, read_only=True), foreign)
    with pytest.raises(HarnessError, match="not a harness shared store"):
        pull(Store(tmp_path / "b.duckdb"), tmp_path / "empty")
    (foreign / "runs").mkdir()
    (foreign / "runs" / "x").mkdir()
    (foreign / "notes.txt").unlink()
    with pytest.raises(HarnessError, match="non-empty folder"):  # a runs/ with content is not a half-made store
        push(Store(local, read_only=True), foreign)


def test_push_into_a_store_another_pusher_is_creating(tmp_path):
    """What a second first pusher sees mid-race: an empty runs/ and a FORMAT temp file, no FORMAT yet."""
    local, shared = tmp_path / "a.duckdb", tmp_path / "shared"
    ids = add_runs(local, "a", n_eval=1, running=False)
    (shared / "runs").mkdir(parents=True)
    (shared / ".FORMAT-0123").write_text("{}")
    out = push(Store(local, read_only=True), shared)
    assert sorted(out.moved) == sorted(ids)
    with pytest.raises(HarnessError, match="only folders"):
        push(Store(local, read_only=True), "s3://bucket/results")


PUSHER = """
import sys, time
from harness.store import Store
from harness.store.shared import push
db, shared, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
out = push(Store(db, read_only=True), shared)
print(len(out.moved), len(out.present))
"""


def test_two_writers_pushing_at_once_lose_nothing(tmp_path):
    """Two processes push into one new shared folder at the same moment: store B is a copy of store A plus runs of
    its own, so they race on A's runs (one copy must win) and each adds runs the other lacks."""
    a, b, shared, fresh = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "shared", tmp_path / "c.duckdb"
    ids_a = add_runs(a, "a", n_eval=6, running=False)
    b.write_bytes(a.read_bytes())
    ids_b = add_runs(b, "b", n_eval=6)
    start = time.time() + 3.0  # both interpreters are up and importing before the moment comes
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", PUSHER, str(db), str(shared), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for db in (a, b)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    moved = sum(int(o[0].split()[0]) for o in outs)
    every = sorted(set(ids_a) | set(ids_b))
    assert moved == len(every)  # each run written exactly once, by one of the two
    assert not list((shared / ".incoming").iterdir())  # the loser's copies are gone
    pull(Store(fresh), shared)
    assert counts(fresh, every) == {
        "runs": len(every), "train_logs": 10, "eval_results": 12, "eval_samples": 12 * 40, "eval_tasks": 12,
        "gates": 2, "gate_results": 2}
