"""The DuckDB store. DuckDB allows one read-write process or several read-only ones per file: every
harness process, writer or reader, holds the store's file lock (`<store>.lock`) for the few milliseconds of
each connection, so harness readers and writers never collide; a connection refused because some other
program holds the file (a DuckDB shell, a dashboard without lock access) is retried. Both waits are
bounded (`HARNESS_STORE_WAIT_S`, default 600 s) and reported on stderr after a second. A run is 'running'
until the transaction that writes its last rows flips it to 'completed', so a crash never looks complete;
its liveness lock (harness/store/liveness.py) lets the next command mark it 'abandoned'. Opening checks the
file is a harness store (harness/store/migrations.py): other DuckDB files and newer schemas are refused,
older schemas migrated."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock, Timeout

from harness.errors import HarnessError
from harness.fingerprint import canonical_json, library_versions
from harness.paths import default_store_path
from harness.store import liveness, migrations, schema

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
REPORT_AFTER_S = 1.0  # a wait longer than this is reported on stderr


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _json(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def wait_budget_s() -> float:
    raw = os.environ.get("HARNESS_STORE_WAIT_S", "600")
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= 0:  # also catches NaN
        raise HarnessError(f"HARNESS_STORE_WAIT_S={raw!r} is not a number of seconds", "set it to e.g. 600")
    return value


def _report_wait(path: Path, what: str, budget: float) -> None:
    from harness.console import err_console

    err_console.print(f"waiting for store {path}: {what} (up to {budget:.0f} s)", markup=False, highlight=False)


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("could not set" in text or "conflicting" in text)


def _sample_schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    types = {"doc_id": pa.int32(), "value": pa.float64(), "weight": pa.float64()}  # as eval_samples: no cast
    return pa.schema([(c, types.get(c, text)) for c in EVAL_SAMPLE_COLS])


def _nan_as_null(table: Any) -> Any:
    """NaN values and weights stored as NULL, as the pandas path always stored them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in ("value", "weight"):
        col = table.column(name)
        if pa.types.is_floating(col.type) and pc.any(pc.is_nan(col)).as_py():
            table = table.set_column(table.schema.get_field_index(name), name,
                                     pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col))
    return table


def samples_table(samples: Any) -> Any:
    """Per-item rows as a pyarrow Table with eval_samples' columns and types, or None when there are none.
    Dicts are converted by pyarrow in one pass, in C++, as one struct array whose fields are the columns (a key
    a row lacks is NULL, other keys are ignored, NaN is NULL); rows with a value Arrow will not take as its
    column's type (e.g. a list prediction, a doc_id beyond INTEGER) become a pandas DataFrame instead, which
    DuckDB casts (or refuses) as before."""
    import pyarrow as pa

    target = _sample_schema()
    if isinstance(samples, pa.Table):
        table = samples
    elif hasattr(samples, "to_dict") and hasattr(samples, "columns"):  # a pandas DataFrame
        table = pa.Table.from_pandas(samples, preserve_index=False)
    else:
        rows = samples if isinstance(samples, list) else list(samples)
        if not rows:
            return None
        try:
            structs = pa.array(rows, type=pa.struct(list(target)))
            table = pa.Table.from_arrays(structs.flatten(), schema=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            import pandas as pd  # values Arrow will not take as the column type: DuckDB casts them, as before

            return pd.DataFrame(rows, columns=list(EVAL_SAMPLE_COLS))
        return _nan_as_null(table)
    if table.num_rows == 0:
        return None
    columns = [table.column(c) if c in table.column_names else pa.nulls(table.num_rows, target.field(c).type)
               for c in EVAL_SAMPLE_COLS]
    return pa.Table.from_arrays(columns, names=list(EVAL_SAMPLE_COLS))


def _note_row_range(con: duckdb.DuckDBPyConnection, run_id: str, n: int) -> None:
    """After the commit that appended a run's n per-item rows: record where they lie (eval_sample_stats row_lo /
    row_hi), checked here by counting and again by readers (Store.sample_rows_range) before it narrows a scan.
    A crash before this leaves the hint NULL, which only costs speed."""
    total = con.execute("SELECT count(*) FROM eval_samples").fetchone()[0]
    lo, hi = total - n, total - 1
    found = con.execute("SELECT count(*) FROM eval_samples WHERE rowid BETWEEN ? AND ? AND run_id = ?",
                        [lo, hi, run_id]).fetchone()[0]
    if found == n:
        con.execute("UPDATE eval_sample_stats SET row_lo = ?, row_hi = ? WHERE run_id = ?", [lo, hi, run_id])


class Store:
    """Thin, explicit access to the DuckDB file. Every method opens, works, and closes."""

    # liveness leases of the runs this process started, by (store file, run id): any Store object of the
    # same file may finish a run another one started
    _leases: dict[tuple[str, str], liveness.Lease] = {}
    # keep-open readers of this process: DuckDB refuses a second connection to a file with another configuration
    # (read-write while a read-only one is open), so a writer in the same process closes them first
    _keep_open_readers: weakref.WeakSet[Store] = weakref.WeakSet()

    def __init__(self, path: str | Path | None = None, read_only: bool = False, keep_open_s: float = 0.0) -> None:
        """`keep_open_s` (read-only stores only): keep one connection open between queries, closed after that
        many idle seconds or as soon as a query finds another process holding the store's lock (a writer
        waiting for the file), so a burst of reads (a dashboard page) connects once and writers wait at
        most about that long."""
        self.path = Path(path) if path else default_store_path()
        self.read_only = read_only
        self._lock = FileLock(str(self.path) + ".lock")
        self._release_after_commit: list[str] = []
        self._keep_open_s = float(keep_open_s) if read_only else 0.0
        self._kept: duckdb.DuckDBPyConnection | None = None
        self._kept_mutex = threading.Lock()
        self._kept_timer: threading.Timer | None = None
        self._local = threading.local()  # this thread's session() connection
        self._ranges: dict[str, tuple[int, int]] = {}  # run id -> checked eval_samples rowid range
        if self.path.exists() and not self.path.is_file():
            raise HarnessError(f"store {self.path} is a {'directory' if self.path.is_dir() else 'special file'}",
                               "pass --db with a .duckdb file path")
        if read_only and not self.path.exists():
            raise HarnessError(f"store {self.path} does not exist",
                               "run `harness demo` or `harness eval` first, or pass --db PATH")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._open()

    # -- connections --------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The store's file lock, with a bounded, reported wait. A reader that cannot create the lock file
        (read-only folder) goes on without it and relies on the connect retry."""
        budget = wait_budget_s()
        try:
            try:
                self._lock.acquire(timeout=min(REPORT_AFTER_S, budget))
            except Timeout:
                _report_wait(self.path, "another harness process is using it", budget)
                self._lock.acquire(timeout=max(0.0, budget - REPORT_AFTER_S))
        except Timeout as exc:
            raise HarnessError(f"store {self.path} stayed locked by another harness process for {budget:.0f} s",
                               "wait for the other job to finish, raise HARNESS_STORE_WAIT_S, or pass another "
                               "--db") from exc
        except OSError:
            if not self.read_only:
                raise
            yield
            return
        try:
            yield
        finally:
            self._lock.release()

    def _connect(self, read_only: bool | None = None) -> duckdb.DuckDBPyConnection:
        """Connect, retrying while another program holds the file (bounded, reported)."""
        ro = self.read_only if read_only is None else read_only
        budget = wait_budget_s()
        start = time.monotonic()
        reported = False
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=ro)
            except duckdb.Error as exc:
                waited = time.monotonic() - start
                if "different configuration" in str(exc) and self._close_local_readers():
                    continue
                if not _is_lock_conflict(exc):
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    denied = "permission denied" in first.lower() or "read-only file system" in first.lower()
                    raise HarnessError(f"cannot open store {self.path}: {first}",
                                       "give this user read and write access to the store file and its folder, "
                                       "or pass --db PATH" if denied else
                                       "pass --db with a harness .duckdb store or a new file name") from exc
                if waited >= budget:
                    raise HarnessError(f"store {self.path} stayed locked by another program for {budget:.0f} s",
                                       "close the program holding it, raise HARNESS_STORE_WAIT_S, or pass "
                                       "another --db") from exc
                if not reported and waited >= REPORT_AFTER_S:
                    _report_wait(self.path, "another program holds the file", budget)
                    reported = True
                time.sleep(0.05 + 0.1 * (uuid.uuid4().int % 10) / 10)  # jitter: writers do not retry in step

    def _open(self) -> None:
        """Recognise the file (refuse others, never modifying them), create/migrate, sweep dead runs.
        Caller holds the lock."""
        state: migrations.State = "empty"
        version = None
        dead: list[dict[str, Any]] = []
        if self.path.exists() and self.path.stat().st_size > 0:
            with self._connect(read_only=True) as con:
                state, version = migrations.inspect(con)
                migrations.refuse(self.path, state, version, self.read_only)
                if state == "harness":
                    dead = liveness.dead_runs(con, self.path)
        elif self.path.exists():
            raise HarnessError(f"store {self.path} is an empty file (0 bytes), not a DuckDB database",
                               "delete it to start a new store there, or pass another --db")
        needs_schema = state == "empty" or (version or 0) < migrations.schema.SCHEMA_VERSION
        if not (needs_schema or dead):
            return
        try:
            con = self._connect(read_only=False)
        except HarnessError:
            if self.read_only and not needs_schema:
                return  # a reader that cannot write leaves dead runs for the next writer
            raise
        with con:
            if needs_schema:
                migrations.ensure_schema(con, state, version)
            if dead:
                liveness.sweep(con, self.path, liveness.dead_runs(con, self.path))

    def sweep_dead_runs(self) -> list[str]:
        """Mark runs whose process died `abandoned` now (also done whenever a Store is opened)."""
        with self._locked(), self._connect(read_only=False) as con:
            return liveness.sweep(con, self.path, liveness.dead_runs(con, self.path))

    @contextmanager
    def transaction(self, after_commit: Any = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """Locked write transaction: all rows inside become visible together or not at all. `after_commit(con)`
        runs after the commit on the same connection, still under the lock."""
        if self.read_only:
            raise RuntimeError("store opened read-only")
        with self._locked(), self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                self._release_after_commit.clear()
                raise
            con.execute("COMMIT")
            while self._release_after_commit:
                self._release(self._release_after_commit.pop())
            if after_commit is not None:
                after_commit(con)

    # -- reads --------------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection under the store's lock, for bulk exports (harness/store/shared.py)."""
        with self._locked(), self._connect(read_only=True) as con:
            yield con

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every query of this thread inside uses one connection, opened under the store's lock and held for
        the block: for a command that makes many small reads (compare). Nested sessions share the outer one;
        a keep-open reader already reuses its connection and needs none."""
        if getattr(self._local, "con", None) is not None or self._keep_open_s > 0:
            yield
            return
        with self._locked(), self._connect() as con:
            self._local.con = con
            try:
                yield
            finally:
                self._local.con = None

    @contextmanager
    def _query_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = getattr(self._local, "con", None)
        if con is not None:
            yield con
        elif self._keep_open_s > 0:
            with self._kept_mutex:
                yield self._kept_connection()
                self._schedule_close()
        else:
            with self._locked(), self._connect() as con:
                yield con

    def _kept_connection(self) -> duckdb.DuckDBPyConnection:
        """The kept read-only connection (caller holds _kept_mutex). The store's lock is taken for the check
        only: if another process holds it, close ours first, since a writer cannot open the file while a
        reader has it open."""
        Store._keep_open_readers.add(self)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            self._close_kept()
            with self._locked():
                self._kept = self._connect(read_only=True)
            return self._kept
        except OSError:  # no lock file possible (read-only folder): connect retries instead
            pass
        else:
            self._lock.release()
        if self._kept is None:
            self._kept = self._connect(read_only=True)
        return self._kept

    def _close_local_readers(self) -> bool:
        """Close this process's other keep-open readers of the same file; True if one was open."""
        here = self.path.resolve()
        others = [s for s in list(Store._keep_open_readers)
                  if s is not self and s._kept is not None and s.path.resolve() == here]
        for other in others:
            other.close()
        return bool(others)

    def _schedule_close(self) -> None:
        if self._kept_timer is not None:
            self._kept_timer.cancel()
        self._kept_timer = threading.Timer(self._keep_open_s, self.close)
        self._kept_timer.daemon = True
        self._kept_timer.start()

    def _close_kept(self) -> None:
        if self._kept is not None:
            try:
                self._kept.close()
            finally:
                self._kept = None

    def close(self) -> None:
        """Close a keep-open reader's connection now (the next query reopens it)."""
        with self._kept_mutex:
            self._close_kept()

    def sample_rows_range(self, run_id: str) -> tuple[int, int]:
        """(lo, hi) such that every eval_samples row of the run has lo <= rowid <= hi: a filter DuckDB prunes row
        groups with (run ids share their first bytes, so their zone maps cannot). The recorded range is used
        only if it still holds all of the run's rows (counted once per Store); else the whole table."""
        known = self._ranges.get(run_id)
        if known is not None:
            return known
        everything = (0, 2**62)
        rows = self.query("SELECT any_value(row_lo) AS lo, any_value(row_hi) AS hi, sum(n)::BIGINT AS n"
                          " FROM eval_sample_stats WHERE run_id = ?", [run_id])
        lo, hi, n = (rows[0]["lo"], rows[0]["hi"], rows[0]["n"]) if rows else (None, None, None)
        out = everything
        if lo is not None and hi is not None and n:
            found = self.query("SELECT count(*) AS n FROM eval_samples WHERE rowid BETWEEN ? AND ? AND run_id = ?",
                               [lo, hi, run_id])[0]["n"]
            if found == n:
                out = (int(lo), int(hi))
        self._ranges[run_id] = out
        return out

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts. Always pass values as bound parameters."""
        with self._query_connection() as con:
            cur = con.execute(sql, params or [])
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def query_df(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None):
        import pandas as pd

        rows = self.query(sql, params)
        return pd.DataFrame(rows)

    def query_arrow(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None):
        """Rows as a pyarrow Table (columnar, no per-row Python objects): for reads of many rows."""
        with self._query_connection() as con:
            return con.sql(sql, params=params or []).to_arrow_table()

    def run(self, run_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM runs WHERE run_id = ?", [run_id])
        return rows[0] if rows else None

    # -- run lifecycle ------------------------------------------------------------------------
    def start_run(self, kind: str, *, domain: str | None = None, stage: str | None = None,
                  config: Any = None, model_id: str | None = None, parent_model_id: str | None = None,
                  fingerprint: str | None = None, data_hash: str | None = None, seed: int | None = None,
                  output_path: str | Path | None = None, run_id: str | None = None) -> str:
        run_id = run_id or new_id(kind)
        lease = liveness.acquire(self.path, run_id)  # before the row exists: a 'running' row always has one
        try:
            self._start_row(run_id, kind, domain, stage, config, model_id, parent_model_id, fingerprint,
                            data_hash, seed, output_path)
        except BaseException:
            lease.release()
            raise
        self._leases[(str(self.path.resolve()), run_id)] = lease
        return run_id

    def _release(self, run_id: str) -> None:
        lease = self._leases.pop((str(self.path.resolve()), run_id), None)
        if lease is not None:
            lease.release()

    def _start_row(self, run_id: str, kind: str, domain: str | None, stage: str | None, config: Any,
                   model_id: str | None, parent_model_id: str | None, fingerprint: str | None,
                   data_hash: str | None, seed: int | None, output_path: str | Path | None) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, kind, domain, stage, status, model_id, parent_model_id, config_json,"
                " fingerprint, data_hash, seed, versions_json, output_path, started_at)"
                " VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, kind, domain, stage, model_id, parent_model_id, _json(config), fingerprint, data_hash,
                 seed, _json(library_versions()), None if output_path is None else str(output_path), now()],
            )

    def finish_run(self, run_id: str, *, status: str = "completed", error: str | None = None,
                   model_id: str | None = None, output_path: str | Path | None = None,
                   con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Flip status last. Pass `con` to flip inside the transaction that wrote the run's rows."""
        sql = ("UPDATE runs SET status = ?, error = ?, finished_at = ?,"
               " model_id = coalesce(?, model_id), output_path = coalesce(?, output_path) WHERE run_id = ?")
        params = [status, error, now(), model_id, None if output_path is None else str(output_path), run_id]
        if con is not None:
            con.execute(sql, params)
            self._release_after_commit.append(run_id)  # the liveness lock goes once the flip is committed
            return
        with self.transaction() as own:
            own.execute(sql, params)
        self._release(run_id)

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

    def add_eval(self, run_id: str, results: Iterable[Mapping[str, Any]], samples: Any,
                 *, model_id: str | None = None, tasks: Iterable[Mapping[str, Any]] = (),
                 copy_tasks: Mapping[str, str] | None = None) -> None:
        """Aggregates, per-sample rows, per-task identities and the 'completed' flip in one transaction.
        `samples`: dicts with EVAL_SAMPLE_COLS keys (missing keys are NULL), or a pyarrow Table / pandas
        DataFrame with those columns; either way one bulk Arrow insert. `copy_tasks` ({task: run id}): tasks
        reused from stored runs, whose eval_results, eval_tasks and eval_samples rows are copied into this run in
        the same transaction, so the run holds every task it was asked for and readers need not know."""
        written = [0]

        def note_range(con: duckdb.DuckDBPyConnection) -> None:  # same connection and lock hold as the commit
            if written[0]:
                _note_row_range(con, run_id, written[0])

        with self.transaction(after_commit=note_range) as con:
            self._insert(con, "eval_results", EVAL_RESULT_COLS, results)
            self._insert(con, "eval_tasks", EVAL_TASK_COLS, [{**t, "run_id": run_id} for t in tasks])
            written[0] = self._insert_samples(con, samples)
            written[0] += self._copy_tasks(con, run_id, copy_tasks or {})
            self.finish_run(run_id, model_id=model_id, con=con)

    def _copy_tasks(self, con: duckdb.DuckDBPyConnection, run_id: str, sources: Mapping[str, str]) -> int:
        """Copy each task's rows from its source run into `run_id` (on the caller's transaction); the per-item
        rows keep their order and get their eval_sample_stats as any ingest does. Returns per-item rows copied."""
        by_source: dict[str, list[str]] = {}
        for task, source in sorted(sources.items()):
            by_source.setdefault(source, []).append(task)
        copied = 0
        for source, names in by_source.items():
            for table, cols in (("eval_results", EVAL_RESULT_COLS), ("eval_tasks", EVAL_TASK_COLS)):
                rest = ", ".join(c for c in cols if c != "run_id")
                con.execute(f"INSERT INTO {table} (run_id, {rest}) SELECT ?, {rest} FROM {table}"
                            " WHERE run_id = ? AND list_contains(?, task)", [run_id, source, names])
            rest = ", ".join(c for c in EVAL_SAMPLE_COLS if c != "run_id")
            rows = con.sql(f"SELECT ?::VARCHAR AS run_id, {rest} FROM eval_samples WHERE run_id = ?"
                           " AND list_contains(?, task) ORDER BY rowid", params=[run_id, source, names])
            copied += self._insert_samples(con, rows.to_arrow_table())
        return copied

    def record_row_range(self, run_id: str, n: int) -> None:
        """Note where a run's n just-committed per-item rows lie (see _note_row_range). Caller holds the store
        lock since that commit, so no other writer appended in between."""
        with self.transaction() as con:
            _note_row_range(con, run_id, n)

    def _insert_samples(self, con: duckdb.DuckDBPyConnection, samples: Any) -> int:
        """Bulk-insert per-item rows as one Arrow table, and their eval_sample_stats summary, on the caller's
        transaction connection (so both commit with the run's 'completed' flip, or neither does)."""
        table = samples_table(samples)
        if table is None:
            return 0
        con.register("_samples", table)
        try:
            con.execute(f"INSERT INTO eval_samples SELECT {', '.join(EVAL_SAMPLE_COLS)} FROM _samples")
            con.execute("INSERT INTO eval_sample_stats " + schema.SAMPLE_STATS_SQL.format(source="_samples"))
        finally:
            con.unregister("_samples")
        return len(table)

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
