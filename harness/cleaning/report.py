"""Render a `clean_records` report as rich tables (what prep prints and a reviewer signs off on)."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def render_report(report: dict[str, Any], title: str = "cleaning") -> list[Table]:
    """Tables: rows (in/out and every drop reason), PII by type, contamination by eval source."""
    rows_in = report.get("rows_in", 0)
    tables = []

    t = Table(title=f"{title}: rows ({report.get('kind', '?')})")
    t.add_column("step / reason")
    t.add_column("rows", justify="right")
    t.add_column("share", justify="right")
    t.add_row("rows in", str(rows_in), "")
    for reason, n in report.get("dropped_by_reason", {}).items():
        if n:
            t.add_row(f"dropped: {reason}", str(n), _pct(n, rows_in))
    for kind, n in report.get("fixed", {}).items():
        if n:
            t.add_row(f"repaired: {kind} (fields)", str(n), "")
    t.add_row("rows out", str(report.get("rows_out", 0)), _pct(report.get("rows_out", 0), rows_in), style="bold")
    tables.append(t)

    counts = report.get("pii_counts_by_type", {})
    if report.get("pii_mode", "off") != "off":
        t = Table(title=f"{title}: PII ({report.get('pii_mode')}, {report.get('pii_rows', 0)} rows touched)")
        t.add_column("type")
        t.add_column("masked", justify="right")
        for kind, n in counts.items():
            t.add_row(kind, str(n))
        t.add_row("total", str(sum(counts.values())), style="bold")
        tables.append(t)

    c = report.get("contamination") or {}
    if c.get("eval_items"):
        t = Table(title=f"{title}: contamination ({c.get('n')}-gram, {c.get('rows_dropped', 0)} rows dropped)")
        t.add_column("eval source")
        t.add_column("eval items", justify="right")
        t.add_column("items touched", justify="right")
        t.add_column("train rows hit", justify="right")
        for source, s in c.get("per_source", {}).items():
            t.add_row(source, str(s["items"]), f"{s['items_touched']} ({_pct(s['items_touched'], s['items'])})",
                      str(s["train_rows_hit"]))
        t.add_row("all", str(c["eval_items"]), str(c.get("eval_items_touched", 0)), str(c.get("train_rows_hit", 0)),
                  style="bold")
        tables.append(t)

    secs = report.get("seconds") or {}
    if secs:
        t = Table(title=f"{title}: time")
        t.add_column("step")
        t.add_column("seconds", justify="right")
        t.add_column("rows/s", justify="right")
        for step, s in secs.items():
            t.add_row(step, f"{s:.2f}", f"{rows_in / s:,.0f}" if s else "-")
        tables.append(t)
    return tables
