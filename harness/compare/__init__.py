"""Paired, item-level comparison of two evaluations (statistics, alignment, reports)."""

from harness.compare.align import AlignedMetric, Alignment, ResolvedRuns, align, resolve_runs
from harness.compare.report import (
    Comparison,
    Flip,
    FlipCount,
    ForgettingRow,
    MetricRow,
    SuiteRow,
    compare_alignment,
    compare_runs,
    print_comparison,
    render_rich,
    to_json,
    to_markdown,
)

__all__ = [
    "AlignedMetric", "Alignment", "Comparison", "Flip", "FlipCount", "ForgettingRow", "MetricRow",
    "ResolvedRuns", "SuiteRow", "align", "compare_alignment", "compare_runs", "print_comparison", "render_rich",
    "resolve_runs", "to_json", "to_markdown",
]
