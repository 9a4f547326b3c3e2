"""Rich tables of eval results; every value carries its stderr and n."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from harness.console import fmt_value

PRIMARY_METRICS = ("acc", "rouge_l", "exact_match", "word_perplexity", "bits_per_byte")


def primary_metric(metrics: list[str]) -> str | None:
    """The metric a task is judged on: first of PRIMARY_METRICS present, else the first one."""
    for name in PRIMARY_METRICS:
        if name in metrics:
            return name
    return metrics[0] if metrics else None


def results_table(rows: list[dict[str, Any]], title: str = "results") -> Table:
    table = Table("suite", "task", "metric", "value ± stderr", "n", title=title)
    for r in sorted(rows, key=lambda r: (r.get("suite") or "", r["task"], r["metric"])):
        table.add_row(r.get("suite") or "", r["task"], r["metric"] + ("" if r.get("higher_is_better", True) else " ↓"),
                      fmt_value(r["value"], r.get("stderr")), str(r.get("n") or ""))
    return table
