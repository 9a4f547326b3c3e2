"""Store identity and schema migrations.

A harness store is a DuckDB file with a `schema_version` table (column `version`) and a `runs` table. Any
other DuckDB file that has tables belongs to another application: it is refused, by writers and readers,
before anything is written to it. A store whose version is newer than this harness is refused too; an
older one is migrated, one version at a time, each step in its own transaction with its version row.

To change the schema (e.g. v1 -> v2):
  1. bump `schema.SCHEMA_VERSION` to 2 and edit `schema.TABLES` (the shape a NEW store is created with);
  2. add `schema.MIGRATIONS[2]`: SQL (one string, several statements allowed) or a callable(con) that turns
     a v1 store into a v2 one (use `IF NOT EXISTS` for tables, since `TABLES` runs before the steps);
  3. tests/test_store_reliability.py opens the saved v1 file (tests/fixtures/store/v1.duckdb.gz) and
     checks the result has every column a new store has.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import duckdb

from harness.errors import HarnessError
from harness.store import schema

Migration = str | Callable[[duckdb.DuckDBPyConnection], None]
State = Literal["empty", "harness", "foreign"]


def inspect(con: duckdb.DuckDBPyConnection) -> tuple[State, int | None]:
    """('empty', None) for a database without tables, ('harness', version) for a store, else ('foreign', None)."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()").fetchall()}
    if not tables:
        return "empty", None
    if not {"schema_version", "runs"} <= tables:
        return "foreign", None
    try:
        row = con.execute("SELECT max(version) FROM main.schema_version").fetchone()
    except duckdb.Error:  # a table of that name but not ours
        return "foreign", None
    # harness tables without a version row: a v1 store whose first open crashed after CREATE (v1 only)
    return "harness", int(row[0]) if row and row[0] is not None else 1


def refuse(path: Path, state: State, version: int | None, read_only: bool) -> None:
    """Raise the one-line error for a file this harness must not read or write, else return."""
    if state == "foreign":
        raise HarnessError(f"{path} is a DuckDB file of another application (it has tables but no harness "
                           "schema_version table); it was not modified",
                           "pass --db with a harness store or a new file name")
    if state == "empty" and read_only:
        raise HarnessError(f"{path} is an empty DuckDB file, not a harness store",
                           "run `harness demo` or `harness eval` with this --db first, or pass another --db")
    if version is not None and version > schema.SCHEMA_VERSION:
        raise HarnessError(f"store {path} has schema v{version}, newer than this harness (v{schema.SCHEMA_VERSION})",
                           "upgrade the harness, or pass another --db")


def check_chain() -> None:
    """Every version above 1 has exactly one step (a programming error otherwise, caught by the tests)."""
    missing = [v for v in range(2, schema.SCHEMA_VERSION + 1) if v not in schema.MIGRATIONS]
    extra = [v for v in schema.MIGRATIONS if not 2 <= v <= schema.SCHEMA_VERSION]
    if missing or extra:
        raise RuntimeError(f"schema.MIGRATIONS must have one step per version 2..{schema.SCHEMA_VERSION}: "
                           f"missing {missing}, unexpected {extra}")


def ensure_schema(con: duckdb.DuckDBPyConnection, state: State, version: int | None) -> list[int]:
    """Create a new store or migrate an older one on a read-write connection (caller holds the lock).
    Returns the versions applied."""
    check_chain()
    if state == "empty":
        con.execute("BEGIN TRANSACTION")
        con.execute(schema.TABLES)
        con.execute("INSERT INTO schema_version (version) VALUES (?)", [schema.SCHEMA_VERSION])
        con.execute("COMMIT")
        return [schema.SCHEMA_VERSION]
    current = version or 1
    applied = []
    for target in range(current + 1, schema.SCHEMA_VERSION + 1):
        step = schema.MIGRATIONS[target]
        con.execute("BEGIN TRANSACTION")
        try:
            if target == current + 1:
                con.execute(schema.TABLES)  # tables new in this version (all use IF NOT EXISTS)
            step(con) if callable(step) else con.execute(step)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [target])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        applied.append(target)
    return applied
