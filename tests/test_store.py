"""The store: schema version, run lifecycle, atomic eval writes, failed runs never look complete."""

from __future__ import annotations

import duckdb
import pytest

from harness.errors import HarnessError
from harness.store import Store
from harness.store.schema import SCHEMA_VERSION


def test_schema_version_recorded_once(tmp_path):
    db = tmp_path / "s.duckdb"
    Store(db)
    Store(db)  # re-open must not add another version row
    rows = Store(db, read_only=True).query("SELECT version FROM schema_version")
    assert [r["version"] for r in rows] == [SCHEMA_VERSION]


def test_eval_rows_and_status_flip_together(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    run_id = store.start_run("eval", domain="d", config={"suites": ["x"]}, model_id="m")
    assert store.run(run_id)["status"] == "running"
    store.add_eval(run_id, [{"run_id": run_id, "task": "t", "metric": "acc", "value": 0.5, "stderr": 0.1, "n": 4}],
                   [{"run_id": run_id, "task": "t", "doc_id": i, "doc_hash": f"h{i}", "metric": "acc",
                     "value": float(i % 2)} for i in range(4)], model_id="m")
    assert store.run(run_id)["status"] == "completed"
    assert store.query("SELECT count(*) AS n FROM eval_samples WHERE run_id = ?", [run_id])[0]["n"] == 4


def test_failed_write_leaves_run_incomplete_and_no_rows(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    run_id = store.start_run("eval", model_id="m")
    bad_sample = {"run_id": run_id, "task": "t", "doc_id": 0, "doc_hash": None, "metric": "acc", "value": 1.0}
    with pytest.raises(duckdb.Error):  # doc_hash is NOT NULL: the whole transaction rolls back
        store.add_eval(run_id, [{"run_id": run_id, "task": "t", "metric": "acc", "value": 1.0}], [bad_sample])
    assert store.run(run_id)["status"] == "running"
    assert store.query("SELECT count(*) AS n FROM eval_results")[0]["n"] == 0


def test_tracked_run_marks_failure(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(RuntimeError), store.tracked_run("train", stage="sft") as run_id:
        raise RuntimeError("boom")
    row = store.run(run_id)
    assert row["status"] == "failed" and "boom" in row["error"]


def test_read_only_missing_store_is_a_user_error(tmp_path):
    with pytest.raises(HarnessError, match="does not exist"):
        Store(tmp_path / "nope.duckdb", read_only=True)
    assert not (tmp_path / "nope.duckdb").exists()
