"""A team's shared results store: a Parquet dataset on a shared file system, one folder per run.

Why Parquet files and not one shared DuckDB file: DuckDB allows one writing process per file and file locks
over NFS/SMB are not trustworthy, so several people and CI jobs cannot write one `.duckdb` file safely. A
folder of Parquet files needs no server (unlike Postgres), no account (unlike MotherDuck), is read in place
by DuckDB (`read_parquet('<root>/runs/*/eval_results.parquet', union_by_name=true)`), pandas, Polars or
Spark, and lets every writer add files without touching anyone else's.

Layout (runs are immutable once finished, so a run is written once and never edited):

    <root>/FORMAT                       {"format": "harness-shared-store", "version": 1}
    <root>/runs/<run_id>/<table>.parquet  that run's rows of each store table that has any
    <root>/runs/<run_id>/_run.json        schema version, row count per table, who pushed it and when

`push` writes a run into `<root>/.incoming/<run_id>-<random>/` and renames the folder to `runs/<run_id>`:
a rename is atomic on POSIX and NFS file systems, so readers never see half a run, two writers pushing
different runs never touch the same path, and two writers pushing the same run leave exactly one copy
(the second rename fails and its copy is dropped). Only finished runs travel (completed, failed,
abandoned); `running` ones are skipped and reported. `pull` inserts each shared run the local store lacks in
one transaction (runs are keyed by id, so pulling twice adds nothing); models, data reports and gates are
keyed by their own ids and only added when missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from harness.errors import HarnessError
from harness.store import schema
from harness.store.db import Store

FORMAT = {"format": "harness-shared-store", "version": 1}
FINISHED = ("completed", "failed", "abandoned")
MANIFEST = "_run.json"
# table -> SQL selecting one run's rows (parameter: run id). Order matters on pull only for readability.
RUN_TABLES: dict[str, str] = {
    "runs": "SELECT * FROM runs WHERE run_id = $run",
    "models": "SELECT * FROM models WHERE model_id IN (SELECT model_id FROM runs WHERE run_id = $run UNION "
              "SELECT parent_model_id FROM runs WHERE run_id = $run)",
    "train_logs": "SELECT * FROM train_logs WHERE run_id = $run",
    "eval_results": "SELECT * FROM eval_results WHERE run_id = $run",
    "eval_samples": "SELECT * FROM eval_samples WHERE run_id = $run",
    "eval_tasks": "SELECT * FROM eval_tasks WHERE run_id = $run",
    "data_reports": "SELECT * FROM data_reports WHERE run_id = $run",
    "gates": "SELECT * FROM gates WHERE run_id = $run",
    "gate_results": "SELECT * FROM gate_results WHERE gate_id IN (SELECT gate_id FROM gates WHERE run_id = $run)",
}
# tables whose rows have their own key and may already be in the local store (from another run)
KEYED = {"models": "model_id", "data_reports": "report_id", "gates": "gate_id"}


@dataclass
class Transfer:
    """What a push or pull did."""

    moved: list[str] = field(default_factory=list)  # run ids written (push) or inserted (pull)
    present: list[str] = field(default_factory=list)  # already at the destination
    skipped: dict[str, str] = field(default_factory=dict)  # run id -> why (e.g. still running)
    rows: int = 0


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return str(os.getuid())


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_root(root: str | Path, *, create: bool) -> Path:
    """The shared store folder, checked (and created with its FORMAT file when `create`)."""
    text = str(root)
    if "://" in text and not text.startswith("file://"):
        raise HarnessError(f"shared store {text}: only folders (local or a mounted shared file system) are supported",
                           "mount the bucket or share (s3fs, gcsfuse, NFS) and pass its folder path")
    path = Path(text.removeprefix("file://")).expanduser()
    marker = path / "FORMAT"
    if path.exists() and not path.is_dir():
        raise HarnessError(f"shared store {path} is not a folder", "pass a folder path with --shared")
    if marker.exists():
        try:
            found = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            found = {}
        if found.get("format") != FORMAT["format"]:
            raise HarnessError(f"{path} holds a FORMAT file that is not a harness shared store's",
                               "pass the folder of a harness shared store, or a new folder")
        if int(found.get("version", 0)) > FORMAT["version"]:
            raise HarnessError(f"shared store {path} has format v{found.get('version')}, newer than this harness",
                               "upgrade the harness")
        return path
    if not create:
        raise HarnessError(f"{path} is not a harness shared store (no FORMAT file)",
                           "push to it first (`harness push --shared PATH`), or check the path")
    # another first pusher may be half-way through creating the store: its runs/, .incoming/ and FORMAT temp are ours
    def ours(p: Path) -> bool:
        return p.name == ".incoming" or p.name.startswith(".FORMAT-") or (p.name == "runs" and not any(p.iterdir()))

    if path.exists() and not all(ours(p) for p in path.iterdir()):
        raise HarnessError(f"{path} is a non-empty folder that is not a harness shared store",
                           "pass an empty or new folder, or an existing shared store")
    (path / "runs").mkdir(parents=True, exist_ok=True)
    tmp = path / f".FORMAT-{uuid.uuid4().hex}"
    tmp.write_text(json.dumps(FORMAT), encoding="utf-8")
    os.replace(tmp, marker)  # two first pushers both write the same content: either wins
    return path


def shared_run_ids(root: Path) -> set[str]:
    runs = root / "runs"
    return {p.name for p in runs.iterdir() if (p / MANIFEST).exists()} if runs.is_dir() else set()


def push(store: Store, root: str | Path, run_ids: list[str] | None = None) -> Transfer:
    """Copy finished runs of the local store (all, or `run_ids`) that the shared store lacks."""
    target = open_root(root, create=True)
    out = Transfer()
    with store.reading() as con:
        rows = con.execute("SELECT run_id, status FROM runs ORDER BY started_at").fetchall()
        status = dict(rows)
        wanted = list(status) if run_ids is None else run_ids
        unknown = [r for r in wanted if r not in status]
        if unknown:
            raise HarnessError(f"run {unknown[0]} is not in store {store.path}", "list runs with `harness runs`")
        there = shared_run_ids(target)
        for run_id in wanted:
            if run_id in there:
                out.present.append(run_id)
            elif status[run_id] not in FINISHED:
                out.skipped[run_id] = f"still {status[run_id]}"
            elif _write_run(con, target, run_id, out):
                out.moved.append(run_id)
            else:
                out.present.append(run_id)
    return out


def _write_run(con: duckdb.DuckDBPyConnection, root: Path, run_id: str, out: Transfer) -> bool:
    """Write one run's rows into a private folder and rename it into place; False if another writer won."""
    incoming = root / ".incoming"
    incoming.mkdir(exist_ok=True)
    tmp = incoming / f"{run_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    counts: dict[str, int] = {}
    try:
        for table, sql in RUN_TABLES.items():
            query = sql.replace("$run", _literal(run_id))
            n = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
            if n:
                con.execute(f"COPY ({query}) TO {_literal(str(tmp / f'{table}.parquet'))} (FORMAT parquet)")
                counts[table] = int(n)
        manifest = {"run_id": run_id, "schema_version": schema.SCHEMA_VERSION, "rows": counts,
                    "pushed_by": f"{_user()}@{socket.gethostname()}",
                    "pushed_at": datetime.now(UTC).isoformat()}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.rename(tmp, root / "runs" / run_id)
        except OSError:
            if (root / "runs" / run_id / MANIFEST).exists():
                return False  # pushed by someone else meanwhile: theirs is the same run
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    out.rows += sum(counts.values())
    return True


def pull(store: Store, root: str | Path, run_ids: list[str] | None = None) -> Transfer:
    """Insert shared runs (all, or `run_ids`) the local store lacks, each run in one transaction."""
    source = open_root(root, create=False)
    out = Transfer()
    there = shared_run_ids(source)
    wanted = sorted(there) if run_ids is None else run_ids
    missing = [r for r in wanted if r not in there]
    if missing:
        raise HarnessError(f"run {missing[0]} is not in shared store {source}", "list them with `harness pull --list`")
    local = {r["run_id"] for r in store.query("SELECT run_id FROM runs")}
    for run_id in wanted:
        if run_id in local:
            out.present.append(run_id)
            continue
        folder = source / "runs" / run_id
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if int(manifest.get("schema_version", 1)) > schema.SCHEMA_VERSION:
            out.skipped[run_id] = f"pushed with schema v{manifest['schema_version']}, newer than this harness"
            continue
        n_samples = manifest["rows"].get("eval_samples", 0)
        with store._locked():  # one hold for the run's transaction and its row-range note
            with store.transaction() as con:
                if con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]:
                    out.present.append(run_id)  # another puller got there first
                    continue
                for table in RUN_TABLES:
                    out.rows += _insert_table(con, folder, table, manifest["rows"].get(table, 0))
                if n_samples:  # the summary is derived, never shared: rebuild it
                    con.execute("INSERT INTO eval_sample_stats " + schema.SAMPLE_STATS_SQL.format(
                        source="(SELECT * FROM eval_samples WHERE run_id = $run)"), {"run": run_id})
            if n_samples:
                store.record_row_range(run_id, n_samples)
        out.moved.append(run_id)
    return out


def _insert_table(con: duckdb.DuckDBPyConnection, folder: Path, table: str, expected: int) -> int:
    file = folder / f"{table}.parquet"
    if not expected:
        return 0
    if not file.exists():
        raise HarnessError(f"shared run {folder.name} lacks {file.name} ({expected} rows announced)",
                           "push the run again from a store that has it")
    source = f"read_parquet({_literal(str(file))})"
    mine = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    theirs = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    cols = ", ".join(c for c in mine if c in theirs)  # older pushes lack newer columns: NULL there
    where = ""
    if table in KEYED:
        key = KEYED[table]
        where = f" WHERE {key} NOT IN (SELECT {key} FROM {table} WHERE {key} IS NOT NULL)"
    before = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    if before != expected:
        raise HarnessError(f"shared run {folder.name}: {file.name} has {before} rows, its manifest says {expected}",
                           "push the run again from a store that has it")
    return int(con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source}{where}").fetchone()[0])


def list_shared(root: str | Path) -> list[dict[str, Any]]:
    """The shared runs (run id, kind, status, model, when pushed and by whom), newest first."""
    source = open_root(root, create=False)
    out = []
    for run_id in shared_run_ids(source):
        manifest = json.loads((source / "runs" / run_id / MANIFEST).read_text(encoding="utf-8"))
        out.append({"run_id": run_id, "pushed_by": manifest.get("pushed_by"), "pushed_at": manifest.get("pushed_at"),
                    "rows": sum(manifest.get("rows", {}).values())})
    if not out:
        return out
    runs = duckdb.sql(f"SELECT run_id, kind, status, model_id FROM read_parquet("
                      f"{_literal(str(source / 'runs' / '*' / 'runs.parquet'))}, union_by_name=true)").fetchall()
    info = {r[0]: {"kind": r[1], "status": r[2], "model_id": r[3]} for r in runs}
    return sorted(({**row, **info.get(row["run_id"], {})} for row in out), key=lambda r: r["pushed_at"] or "",
                  reverse=True)
