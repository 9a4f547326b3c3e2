"""What every page shares: which store to read, the guard that turns store problems into messages, and
formatting that keeps n and uncertainty next to every number."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboards import queries as q
from harness.errors import HarnessError

KIND_ORDER = ("prep", "train", "eval", "gate", "build", "demo")


@dataclass(frozen=True)
class Db:
    """The store path plus its version key (file mtimes) for st.cache_data."""

    path: str
    version: q.Version


def db_path() -> Path:
    """`--db PATH` after `streamlit run app.py --`, else env HARNESS_DB, else the harness default."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--db", default=None)
    args, _ = parser.parse_known_args(sys.argv[1:])
    if args.db:
        return Path(args.db).expanduser().resolve()
    from harness.paths import default_store_path

    return default_store_path() if not os.environ.get("HARNESS_DB") else Path(os.environ["HARNESS_DB"]).resolve()


@contextmanager
def guard() -> Iterator[None]:
    """Store problems (busy, missing, not a store) become one message instead of a traceback."""
    try:
        yield
    except HarnessError as exc:
        st.error(exc.one_line())
        st.stop()
    except duckdb.Error as exc:
        st.error(f"error: cannot read the store: {type(exc).__name__}: {exc}. fix: check that --db points to a "
                 "harness store written by this version.")
        st.stop()


def open_db() -> Db:
    """The store for this page, or a message and a stop when there is none to read."""
    path = db_path()
    if not path.exists():
        st.info(f"No store at `{path}` yet. Run `harness demo` (or `harness eval`) to create one, or start the "
                "dashboard with `harness dashboard --db PATH`.")
        st.stop()
    db = Db(str(path), q.store_version(path))
    with guard():
        if not q.has_schema(db.path, db.version):
            st.info(f"`{path}` has no harness tables yet. Run `harness demo` to fill it.")
            st.stop()
    return db


def require(condition: bool, message: str) -> None:
    """Show an info message and end the page when there is nothing to show."""
    if not condition:
        st.info(message)
        st.stop()


def missing(value: Any) -> bool:
    """None, NaN, pandas NA/NaT: anything a cell would show as empty."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def fmt(value: Any, digits: int = 3) -> str:
    return "n/a" if missing(value) else f"{float(value):.{digits}f}"


def fmt_signed(value: Any, digits: int = 3) -> str:
    return "n/a" if missing(value) else f"{float(value):+.{digits}f}"


def fmt_ci(low: Any, high: Any, digits: int = 3, signed: bool = False) -> str:
    f = fmt_signed if signed else fmt
    return "[n/a]" if missing(low) or missing(high) else f"[{f(low, digits)}, {f(high, digits)}]"


def fmt_p(p: Any) -> str:
    if missing(p):
        return "n/a"
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def short_id(value: Any, keep: int = 28) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= keep else text[: keep - 1] + "…"


def eval_run_label(row: dict[str, Any]) -> str:
    """How an eval run is named in pickers: stage, domain, model, time — then the run id."""
    when = row.get("finished_at") or row.get("started_at")
    when_s = when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else str(when or "")
    parts = [row.get("stage") or "?", row.get("domain") or "no domain", short_id(row.get("model_id"), 32), when_s]
    return " · ".join(str(p) for p in parts) + f" — {row['run_id']}"
