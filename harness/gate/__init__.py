"""Release gate: a YAML policy of rules judged on a Comparison, with JUnit/Markdown output."""

from harness.gate.evaluate import GateOutcome, RuleResult, evaluate_gate, run_gate, store_gate
from harness.gate.junit import to_junit_xml, to_markdown_summary, write_junit, write_summary
from harness.gate.policy import (
    FloorRule,
    GatePolicy,
    MaxDropRule,
    MaxForgettingRule,
    MaxPerplexityIncreaseRule,
    MinImprovementRule,
    MinNRule,
    load_policy,
)

__all__ = [
    "FloorRule", "GateOutcome", "GatePolicy", "MaxDropRule", "MaxForgettingRule", "MaxPerplexityIncreaseRule",
    "MinImprovementRule", "MinNRule", "RuleResult", "evaluate_gate", "load_policy", "run_gate", "store_gate",
    "to_junit_xml", "to_markdown_summary", "write_junit", "write_summary",
]
