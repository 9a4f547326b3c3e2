"""Rich tables of eval results; every value carries its stderr and n."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from harness.console import fmt_value


def results_table(rows: list[dict[str, Any]], title: str = "results") -> Table:
    table = Table("suite", "task", "metric", "value ± stderr", "n", title=title)
    for r in sorted(rows, key=lambda r: (r.get("suite") or "", r["task"], r["metric"])):
        table.add_row(r.get("suite") or "", r["task"], r["metric"] + ("" if r.get("higher_is_better", True) else " ↓"),
                      fmt_value(r["value"], r.get("stderr")), str(r.get("n") or ""))
    return table
