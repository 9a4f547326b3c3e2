"""Liveness of running runs: a lock held for the run's life.

`start_run` takes an exclusive `flock` on `<store>.live/<run_id>.lock` (and writes pid, host and start time
into it) *before* the `running` row is inserted, and `finish_run` releases it only after the row's final
status is committed. The kernel drops a `flock` when its process dies, however it dies (`kill -9`, OOM,
power loss of a local machine), so a `running` row whose lock can be taken by someone else belongs to a
dead process. Any later harness command that opens the store (`sweep`, under the store's write lock) marks
such rows `abandoned`, deletes their partial training curves, removes their stray `<output>.partial` stage
folder and the lock file. Completed, failed and abandoned rows are never touched (`WHERE status =
'running'`). A lock written on another host cannot be tested from here (flock over NFS is not reliable), so
such runs are left as they are; a `running` row with no lock file at all (a store written before liveness
existed) counts as dead.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb


def live_dir(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".live")


def _lock_file(store_path: Path, run_id: str) -> Path:
    return live_dir(store_path) / f"{run_id}.lock"


@dataclass
class Lease:
    path: Path
    fd: int

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)  # unlink first: a checker never sees a free, still-listed lock
        finally:
            os.close(self.fd)  # closing drops the flock
            self.fd = -1


def acquire(store_path: Path, run_id: str) -> Lease:
    """Take the run's liveness lock (held until `Lease.release` or process death)."""
    path = _lock_file(store_path, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by exec'd children (PEP 446)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": run_id,
                  "started_at": datetime.now(UTC).isoformat()}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode())
    except BaseException:
        os.close(fd)
        raise
    return Lease(path, fd)


def status(store_path: Path, run_id: str) -> tuple[str, dict[str, Any]]:
    """('alive' | 'dead' | 'unknown', the lock file's record)."""
    path = _lock_file(store_path, run_id)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return "dead", {}
    try:
        try:
            record = json.loads(os.read(fd, 4096) or b"{}")
        except ValueError:
            record = {}
        if record.get("host") not in (None, socket.gethostname()):
            return "unknown", record
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return "alive", record
        fcntl.flock(fd, fcntl.LOCK_UN)
        return "dead", record
    finally:
        os.close(fd)


def dead_runs(con: duckdb.DuckDBPyConnection, store_path: Path) -> list[dict[str, Any]]:
    """`running` rows whose process is gone (each with its lock record under `live`)."""
    rows = con.execute("SELECT run_id, kind, output_path FROM runs WHERE status = 'running'").fetchall()
    out = []
    for run_id, kind, output_path in rows:
        state, record = status(store_path, run_id)
        if state == "dead":
            out.append({"run_id": run_id, "kind": kind, "output_path": output_path, "live": record})
    return out


def sweep(con: duckdb.DuckDBPyConnection, store_path: Path, dead: list[dict[str, Any]]) -> list[str]:
    """Mark `dead` runs abandoned and clean their leftovers (caller holds the store's write lock and has
    re-listed `dead` under it). Returns the run ids marked."""
    marked = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for run in dead:
        live = run["live"]
        who = f"pid {live['pid']} on {live['host']}" if live else "its process (no liveness record)"
        con.execute("BEGIN TRANSACTION")
        changed = con.execute(
            "UPDATE runs SET status = 'abandoned', finished_at = ?, error = ? WHERE run_id = ? AND status = 'running'"
            " RETURNING run_id", [now, f"abandoned: {who} died while the run was running", run["run_id"]]).fetchall()
        if changed:
            con.execute("DELETE FROM train_logs WHERE run_id = ?", [run["run_id"]])
        con.execute("COMMIT")
        if changed:
            marked.append(run["run_id"])
            if run["output_path"]:
                partial = Path(str(run["output_path"]) + ".partial")
                if partial.is_dir() and not partial.is_symlink():
                    shutil.rmtree(partial, ignore_errors=True)
        _lock_file(store_path, run["run_id"]).unlink(missing_ok=True)
    return marked
