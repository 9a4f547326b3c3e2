"""Evaluation: lm-eval runs (runner), task definitions and identity (tasks), aggregation of per-item values.

The runner is imported lazily so that compare/gate (which only need `tasks` and `aggregation`) do not pay
for importing torch and lm-eval."""

from __future__ import annotations

from typing import Any

__all__ = ["EvalSummary", "available_suites", "run_eval"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from harness.evaluation import runner

        return getattr(runner, name)
    raise AttributeError(name)
