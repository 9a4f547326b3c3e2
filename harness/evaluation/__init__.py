"""Evaluation through lm-eval; results land in the store."""

from harness.evaluation.runner import EvalSummary, available_suites, run_eval

__all__ = ["EvalSummary", "available_suites", "run_eval"]
