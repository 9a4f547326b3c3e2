"""Gate outcome as JUnit XML (CI test reports: one testcase per rule) and as a Markdown summary
(for $GITHUB_STEP_SUMMARY), so a failed release shows up where reviewers already look."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.gate.evaluate import GateOutcome, RuleResult


def _num(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if kind == "min_n" else f"{value:.3f}"


def to_junit_xml(outcome: GateOutcome) -> str:
    """<testsuites><testsuite name=policy><testcase name=rule>[<failure message=detail/>]</testcase>…"""
    n, failures = len(outcome.results), len(outcome.failures)
    root = ET.Element("testsuites", name="harness-gate", tests=str(n), failures=str(failures), errors="0")
    suite = ET.SubElement(root, "testsuite", name=outcome.policy, tests=str(n), failures=str(failures),
                          errors="0", skipped="0", time="0")
    props = ET.SubElement(suite, "properties")
    for side in ("baseline", "candidate"):
        run_side = getattr(outcome, side)
        ET.SubElement(props, "property", name=side, value=run_side.label)
        ET.SubElement(props, "property", name=f"{side}_model_id", value=run_side.model_id or "")
        ET.SubElement(props, "property", name=f"{side}_runs", value=",".join(sorted(set(run_side.runs.values()))))
    ET.SubElement(props, "property", name="confidence", value=f"{outcome.confidence:g}")
    for r in outcome.results:
        case = ET.SubElement(suite, "testcase", classname=f"harness.gate.{outcome.policy}", name=r.name, time="0")
        text = (f"{r.detail}\nobserved={_num(r.observed, r.kind)} threshold={_num(r.threshold, r.kind)}")
        if not r.passed:  # inconclusive blocks a release too: the data could not show the rule holds
            failure = ET.SubElement(case, "failure", message=r.detail, type=f"{r.kind}:{r.outcome}")
            failure.text = text
        ET.SubElement(case, "system-out").text = text
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(outcome: GateOutcome, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_junit_xml(outcome), encoding="utf-8")
    return path


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _row(r: RuleResult) -> str:
    mark = {"pass": "✅ pass", "fail": "❌ **FAIL**", "inconclusive": "⚠️ **INCONCLUSIVE**"}[r.outcome]
    target = r.task or (f"suite {r.suite}" if r.suite else "")
    return "| " + " | ".join(_cell(x) for x in (
        r.name, r.kind, target, _num(r.observed, r.kind), _num(r.threshold, r.kind), mark, r.detail)) + " |"


def to_markdown_summary(outcome: GateOutcome, comparison_markdown: str | None = None) -> str:
    """Headline verdict, one table row per rule (failures first), optionally the full comparison."""
    icon = {"PASS": "✅", "FAIL": "❌", "INCONCLUSIVE": "⚠️"}[outcome.status]
    head = f"## {icon} Gate `{outcome.policy}`: {outcome.headline()}"
    lines = [head, "",
             f"baseline `{outcome.baseline.label}` (model `{outcome.baseline.model_id or '?'}`) → candidate "
             f"`{outcome.candidate.label}` (model `{outcome.candidate.model_id or '?'}`); "
             f"{outcome.confidence:.0%} bootstrap CIs.", "",
             "| rule | kind | target | observed | threshold | result | detail |", "|---|---|---|---|---|---|---|"]
    lines += [_row(r) for r in sorted(outcome.results, key=lambda r: r.passed)]
    if comparison_markdown:
        lines += ["", "<details><summary>Full comparison</summary>", "", comparison_markdown, "</details>"]
    return "\n".join(lines) + "\n"


def write_summary(text: str, path: str | Path, *, append: bool = True) -> Path:
    """Append (GitHub's step summary is shared by all steps of a job) or overwrite a Markdown file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
