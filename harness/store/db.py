"""The DuckDB store. DuckDB allows one writer process: writers hold a file lock and keep
transactions short; readers (dashboard) open read-only. A run is 'running' until the transaction that
writes its last rows flips it to 'completed', so a crash never looks complete."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock

from harness.errors import HarnessError
from harness.fingerprint import canonical_json, library_versions
from harness.paths import default_store_path
from harness.store.schema import MIGRATIONS, SCHEMA_VERSION, TABLES

TRAIN_LOG_COLS = ("run_id", "step", "epoch", "split", "loss", "learning_rate", "grad_norm", "tokens_seen",
                  "metrics_json")
EVAL_RESULT_COLS = ("run_id", "model_id", "suite", "task", "metric", "filter", "value", "stderr", "n",
                    "higher_is_better")
EVAL_SAMPLE_COLS = ("run_id", "model_id", "suite", "task", "doc_id", "doc_hash", "metric", "value",
                    "prediction", "target", "prompt", "filter", "prompt_hash", "weight")
EVAL_TASK_COLS = ("run_id", "task", "suite", "config_hash", "code_hash", "config_json", "primary_metric",
                  "primary_filter", "higher_is_better", "chance", "n_docs", "lm_eval_version", "harness_version")
GATE_RESULT_COLS = ("gate_id", "rule", "kind", "task", "metric", "observed", "threshold", "passed",
                    "detail_json")


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _json(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


class Store:
    """Thin, explicit access to the DuckDB file. Every method opens, works, and closes."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        self.path = Path(path) if path else default_store_path()
        self.read_only = read_only
        self._lock = FileLock(str(self.path) + ".lock", timeout=600)
        if read_only and not self.path.exists():
            raise HarnessError(f"store {self.path} does not exist",
                               "run `harness demo` or `harness eval` first, or pass --db PATH")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self._connect() as con:
                self._migrate(con)

    # -- connections --------------------------------------------------------------------------
    def _connect(self) -> duckdb.DuckDBPyConnection:
        attempts = 20 if self.read_only else 1
        for attempt in range(attempts):
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.IOException as exc:  # writer holds the file; readers wait briefly
                if attempt == attempts - 1:
                    raise HarnessError(f"cannot open store {self.path}: {exc}",
                                       "wait for the running job to finish or pass another --db") from exc
                time.sleep(0.25)
        raise AssertionError("unreachable")

    @staticmethod
    def _migrate(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(TABLES)
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        current = row[0] if row and row[0] is not None else 0
        if current > SCHEMA_VERSION:
            raise HarnessError(f"store schema v{current} is newer than this harness (v{SCHEMA_VERSION})",
                               "upgrade the harness or use another --db")
        if current == 0:
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION])
            return
        for version in range(current + 1, SCHEMA_VERSION + 1):
            con.execute(MIGRATIONS[version])
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Locked write transaction: all rows inside become visible together or not at all."""
        if self.read_only:
            raise RuntimeError("store opened read-only")
        with self._lock, self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- reads --------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts. Always pass values as bound parameters."""
        if self.read_only:
            con = self._connect()
        else:
            self._lock.acquire()
            con = self._connect()
        try:
            cur = con.execute(sql, params or [])
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()
            if not self.read_only:
                self._lock.release()

    def query_df(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None):
        import pandas as pd

        rows = self.query(sql, params)
        return pd.DataFrame(rows)

    def run(self, run_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM runs WHERE run_id = ?", [run_id])
        return rows[0] if rows else None

    # -- run lifecycle ------------------------------------------------------------------------
    def start_run(self, kind: str, *, domain: str | None = None, stage: str | None = None,
                  config: Any = None, model_id: str | None = None, parent_model_id: str | None = None,
                  fingerprint: str | None = None, data_hash: str | None = None, seed: int | None = None,
                  output_path: str | Path | None = None, run_id: str | None = None) -> str:
        run_id = run_id or new_id(kind)
        with self.transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, kind, domain, stage, status, model_id, parent_model_id, config_json,"
                " fingerprint, data_hash, seed, versions_json, output_path, started_at)"
                " VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, kind, domain, stage, model_id, parent_model_id, _json(config), fingerprint, data_hash,
                 seed, _json(library_versions()), None if output_path is None else str(output_path), now()],
            )
        return run_id

    def finish_run(self, run_id: str, *, status: str = "completed", error: str | None = None,
                   model_id: str | None = None, output_path: str | Path | None = None,
                   con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Flip status last. Pass `con` to flip inside the transaction that wrote the run's rows."""
        sql = ("UPDATE runs SET status = ?, error = ?, finished_at = ?,"
               " model_id = coalesce(?, model_id), output_path = coalesce(?, output_path) WHERE run_id = ?")
        params = [status, error, now(), model_id, None if output_path is None else str(output_path), run_id]
        if con is not None:
            con.execute(sql, params)
            return
        with self.transaction() as own:
            own.execute(sql, params)

    @contextmanager
    def tracked_run(self, kind: str, **kwargs: Any) -> Iterator[str]:
        """start_run + mark failed on any exception (re-raised). Caller calls finish_run on success."""
        run_id = self.start_run(kind, **kwargs)
        try:
            yield run_id
        except BaseException as exc:
            msg = exc.one_line() if isinstance(exc, HarnessError) else f"{type(exc).__name__}: {exc}"
            try:
                self.finish_run(run_id, status="failed", error=msg[:2000])
            finally:
                raise

    # -- writes -------------------------------------------------------------------------------
    def add_model(self, model_id: str, ref: str, *, base_ref: str | None = None, method: str | None = None,
                  is_adapter: bool = False, n_params: int | None = None, trainable_params: int | None = None,
                  fingerprint: str | None = None) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM models WHERE model_id = ?", [model_id])
            con.execute(
                "INSERT INTO models (model_id, ref, base_ref, method, is_adapter, n_params, trainable_params,"
                " fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [model_id, ref, base_ref, method, is_adapter, n_params, trainable_params,
                 fingerprint or model_id, now()],
            )

    @staticmethod
    def _insert(con: duckdb.DuckDBPyConnection, table: str, cols: Sequence[str],
                rows: Iterable[Mapping[str, Any]]) -> int:
        data = [[(_json(r.get(c)) if c.endswith("_json") else r.get(c)) for c in cols] for r in rows]
        if not data:
            return 0
        marks = ", ".join("?" for _ in cols)
        con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", data)
        return len(data)

    def add_train_logs(self, rows: Iterable[Mapping[str, Any]]) -> int:
        with self.transaction() as con:
            return self._insert(con, "train_logs", TRAIN_LOG_COLS, rows)

    def add_eval(self, run_id: str, results: Iterable[Mapping[str, Any]], samples: Iterable[Mapping[str, Any]],
                 *, model_id: str | None = None, tasks: Iterable[Mapping[str, Any]] = ()) -> None:
        """Aggregates, per-sample rows, per-task identities and the 'completed' flip in one transaction."""
        with self.transaction() as con:
            self._insert(con, "eval_results", EVAL_RESULT_COLS, results)
            self._insert(con, "eval_tasks", EVAL_TASK_COLS, [{**t, "run_id": run_id} for t in tasks])
            self._insert_samples(con, samples)
            self.finish_run(run_id, model_id=model_id, con=con)

    def _insert_samples(self, con: duckdb.DuckDBPyConnection, samples: Iterable[Mapping[str, Any]]) -> None:
        import pandas as pd

        frame = pd.DataFrame(list(samples), columns=list(EVAL_SAMPLE_COLS))
        if frame.empty:
            return
        con.register("_samples", frame)
        con.execute(f"INSERT INTO eval_samples SELECT {', '.join(EVAL_SAMPLE_COLS)} FROM _samples")
        con.unregister("_samples")

    def add_data_report(self, *, dataset_hash: str, domain: str | None, dataset: str, split: str | None,
                        n_rows_in: int, n_rows_out: int, report: Mapping[str, Any],
                        run_id: str | None = None) -> str:
        report_id = f"{dataset_hash}-{dataset}-{split or 'all'}"
        with self.transaction() as con:
            con.execute("DELETE FROM data_reports WHERE report_id = ?", [report_id])
            con.execute(
                "INSERT INTO data_reports (report_id, run_id, dataset_hash, domain, dataset, split, n_rows_in,"
                " n_rows_out, n_dropped, report_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [report_id, run_id, dataset_hash, domain, dataset, split, n_rows_in, n_rows_out,
                 n_rows_in - n_rows_out, json.dumps(report, default=str), now()],
            )
        return report_id

    def add_gate(self, gate_id: str, *, run_id: str | None, policy: str, domain: str | None,
                 candidate_run: str | None, baseline_run: str | None, passed: bool,
                 rules: Iterable[Mapping[str, Any]]) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO gates (gate_id, run_id, policy, domain, candidate_run, baseline_run, passed,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [gate_id, run_id, policy, domain, candidate_run, baseline_run, passed, now()],
            )
            self._insert(con, "gate_results", GATE_RESULT_COLS, [{**r, "gate_id": gate_id} for r in rules])
            if run_id:
                self.finish_run(run_id, con=con)
