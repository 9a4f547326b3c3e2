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
    """How an eval run is named in pickers: stage, then the whole run id (never cut: a narrow picker cuts the
    end), then time, domain and model."""
    when = row.get("finished_at") or row.get("started_at")
    when_s = when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else str(when or "")
    parts = [row.get("stage") or "?", row["run_id"], when_s, row.get("domain") or "no domain",
             short_id(row.get("model_id"), 32)]
    return " · ".join(str(p) for p in parts)


def fmt_num(value: Any) -> str:
    """A number formatted by magnitude, so a narrow column never needs to cut it: 4 significant digits
    below 1, 4 decimals up to 10, 3 up to 100, 2 up to 10 000, none up to a million, then 4 significant digits
    in scientific notation (a ratio over a near-zero baseline can reach 1e18)."""
    if missing(value):
        return "—"
    v = float(value)
    a = abs(v)
    if a == 0:
        return "0"
    if a < 1e-3:
        return f"{v:.2e}"
    if a < 1:
        return f"{v:.4g}" if a < 0.1 else f"{v:.4f}"
    if a < 10:
        return f"{v:.4f}"
    if a < 100:
        return f"{v:.3f}"
    if a < 10_000:
        return f"{v:.2f}"
    if a < 1e6:
        return f"{v:,.0f}"
    return f"{v:.3e}"


# -- selections in the URL --------------------------------------------------------------------------------
def from_url(key: str, param: str, options: list[Any] | None = None, default: Any = None, *,
             many: bool = False, cast: Any = str) -> None:
    """Seed widget `key` from query parameter `param` the first time the page runs in this session, so a
    copied link reopens the same selection. Values not among `options` are ignored (default instead)."""
    if key in st.session_state:
        return
    if many:
        raw = st.query_params.get_all(param)
        try:
            values = [cast(v) for v in raw]
        except (TypeError, ValueError):
            values = []
        values = [v for v in values if options is None or v in options]
        value = values if values or (param in st.query_params and not raw) else default
    else:
        raw_one = st.query_params.get(param)
        try:
            value = cast(raw_one) if raw_one is not None else None
        except (TypeError, ValueError):
            value = None
        if value is None or (options is not None and value not in options):
            value = default
    if value is not None:
        st.session_state[key] = value


def to_url(**params: Any) -> None:
    """Write the page's selections into the URL (lists become repeated parameters; None/"" are dropped)."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or value == "" or (isinstance(value, list | tuple) and not value):
            continue
        out[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    if {k: st.query_params.get_all(k) for k in st.query_params} != {
            k: v if isinstance(v, list) else [v] for k, v in out.items()}:
        st.query_params.from_dict(out)


def word_diff_html(old: str | None, new: str | None) -> tuple[str, str]:
    """(old, new) as HTML with word-level differences marked: removed words red and struck in the old text,
    added words green in the new one. Everything else is escaped."""
    import difflib
    import html
    import re

    a = re.findall(r"\S+|\s+", old or "")
    b = re.findall(r"\S+|\s+", new or "")
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        x, y = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(x)
            right.append(y)
            continue
        if x:
            left.append(f'<del class="diff-del" style="background:#fde0dc;color:#a50f15">{x}</del>')
        if y:
            right.append(f'<ins class="diff-ins" style="background:#d9f0d3;color:#00441b;text-decoration:none">'
                         f'{y}</ins>')
    return "".join(left) or "<i>—</i>", "".join(right) or "<i>—</i>"


def item_html(prompt: str | None, target: str | None, old_html: str, new_html: str) -> str:
    """One paired item as a single HTML block: prompt, target, and the two outputs side by side (`old_html` and
    `new_html` come from word_diff_html, already escaped)."""
    import html

    target_line = (f'<div style="margin:4px 0">target: <code>{html.escape(str(target))}</code></div>'
                   if target else "")
    return (text_box(html.escape(prompt or "")) + target_line
            + '<div style="display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:6px">'
            f"<div><b>baseline output</b>{text_box(old_html)}</div>"
            f"<div><b>candidate output</b>{text_box(new_html)}</div></div>")


def text_box(body_html: str) -> str:
    return ('<div style="white-space:pre-wrap;font-family:monospace;font-size:0.85rem;border:1px solid #ddd;'
            f'border-radius:4px;padding:6px 8px;overflow-wrap:anywhere">{body_html}</div>')
