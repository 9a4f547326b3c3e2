"""Judge a Comparison against a GatePolicy, and record the outcome in the store.

Every rule yields the number it judged (observed), the number it was held to (threshold) and a one-line
detail with n and the CI, so a failed release says exactly why. Anything missing fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from harness.compare.report import Comparison, MetricRow, RunSide, compare_runs, fmt, fmt_ci, fmt_p, fmt_signed
from harness.gate.policy import (
    FloorRule,
    GatePolicy,
    MaxDropRule,
    MaxForgettingRule,
    MinImprovementRule,
    MinNRule,
    Rule,
)
from harness.store import Store, new_id


class RuleResult(BaseModel):
    name: str
    kind: str
    task: str | None = None
    suite: str | None = None
    metric: str | None = None
    observed: float | None
    threshold: float | None
    passed: bool
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


class GateOutcome(BaseModel):
    policy: str
    passed: bool
    results: list[RuleResult]
    baseline: RunSide
    candidate: RunSide
    alpha: float
    confidence: float

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    @property
    def exit_code(self) -> int:
        """0 when the gate passed, 1 when a rule failed (user errors exit 2 through HarnessError)."""
        return 0 if self.passed else 1


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _missing_task(rule: Rule, task: str, metric: str | None, comp: Comparison) -> RuleResult:
    known = [r.metric for r in comp.rows if r.task == task]
    if known:
        why = f"task {task} has no metric '{metric}' in the results (it has {', '.join(known)})"
    else:
        why = f"task {task} is missing from the results (the evaluations did not score it)"
    return RuleResult(name=rule.name or "", kind=rule.kind, task=task, metric=metric, observed=None,
                      threshold=None, passed=False, detail=f"FAIL: {why}; missing data never passes")


def _row_text(row: MetricRow, comp: Comparison) -> str:
    return (f"baseline {fmt(row.baseline)}, candidate {fmt(row.candidate)} "
            f"{fmt_ci(row.candidate_ci_low, row.candidate_ci_high)}, Δ {fmt_signed(row.delta)} "
            f"{comp.confidence:.0%} CI {fmt_ci(row.ci_low, row.ci_high, signed=True)}, n={row.n}, "
            f"p_adj={fmt_p(row.p_adjusted)} ({row.test})")


def _row_data(row: MetricRow) -> dict[str, Any]:
    return row.model_dump(include={"suite", "n", "baseline", "candidate", "candidate_ci_low", "candidate_ci_high",
                                   "delta", "ci_low", "ci_high", "p_value", "p_adjusted", "test",
                                   "higher_is_better", "verdict"})


def _task_row(rule: FloorRule | MinImprovementRule | MaxDropRule, comp: Comparison) -> MetricRow | RuleResult:
    """The rule's row, or the failing result that says why there is none."""
    assert rule.task is not None
    row = comp.row(rule.task, rule.metric)
    if row is None:
        return _missing_task(rule, rule.task, rule.metric, comp)
    if row.n == 0:
        return RuleResult(
            name=rule.name or "", kind=rule.kind, task=rule.task, metric=row.metric, observed=None,
            threshold=None, passed=False,
            detail=f"FAIL: task {rule.task} has no items scored by both models "
                   f"(baseline-only {row.dropped_baseline}, candidate-only {row.dropped_candidate})")
    return row


def _floor(rule: FloorRule, comp: Comparison) -> RuleResult:
    row = _task_row(rule, comp)
    if isinstance(row, RuleResult):
        return row
    hib = row.higher_is_better
    if rule.on == "ci":
        observed = row.candidate_ci_low if hib else row.candidate_ci_high
        what = f"{comp.confidence:.0%} CI {'lower' if hib else 'upper'} bound"
    else:
        observed = row.candidate
        what = "candidate"
    op = ">=" if hib else "<="
    passed = observed is not None and (observed >= rule.threshold if hib else observed <= rule.threshold)
    detail = (f"{'pass' if passed else 'FAIL'}: {row.metric} {what} {fmt(observed)} {op} {fmt(rule.threshold)} "
              f"required; {_row_text(row, comp)}")
    return RuleResult(name=rule.name or "", kind=rule.kind, task=rule.task, metric=row.metric, observed=observed,
                      threshold=rule.threshold, passed=passed, detail=detail, data=_row_data(row))


def _min_improvement(rule: MinImprovementRule, comp: Comparison) -> RuleResult:
    row = _task_row(rule, comp)
    if isinstance(row, RuleResult):
        return row
    imp, _, _ = row.improvement()
    alpha = rule.alpha if rule.alpha is not None else comp.alpha
    big_enough = imp is not None and imp >= rule.delta
    significant = row.p_adjusted is not None and row.p_adjusted < alpha and imp is not None and imp > 0
    passed = big_enough and (significant or not rule.significant)
    direction = "" if row.higher_is_better else " (lower is better: improvement = baseline - candidate)"
    need = f"improvement {fmt_signed(imp)} >= {fmt_signed(rule.delta)}{direction}"
    if rule.significant:
        need += f" and significant (p_adj {fmt_p(row.p_adjusted)} < {alpha}: {'yes' if significant else 'no'})"
    detail = f"{'pass' if passed else 'FAIL'}: {need}; {_row_text(row, comp)}"
    return RuleResult(name=rule.name or "", kind=rule.kind, task=rule.task, metric=row.metric, observed=imp,
                      threshold=rule.delta, passed=passed, detail=detail,
                      data={**_row_data(row), "alpha": alpha, "significant": significant})


def _drop_verdict(rule: MaxDropRule, imp: float | None, lo: float | None, hi: float | None,
                  confidence: float) -> tuple[float | None, bool, str]:
    limit = -rule.max_drop
    if rule.strict:
        observed, bound = lo, "lower"
        meaning = "must be confident the drop is at most"
    else:
        observed, bound = hi, "upper"
        meaning = "fails only when confident the drop exceeds"
    passed = observed is not None and observed >= limit
    text = (f"improvement {fmt_signed(imp)}, {confidence:.0%} CI {bound} bound {fmt_signed(observed)} vs "
            f"{fmt_signed(limit)} ({meaning} {fmt(rule.max_drop)})")
    if not _ok(observed):
        text += "; too few items for a CI"
    return observed, passed, text


def _max_drop(rule: MaxDropRule, comp: Comparison) -> RuleResult:
    if rule.suite is not None:
        s = comp.suite_row(rule.suite)
        if s is None or s.n == 0:
            why = "is missing from the results" if s is None else "has no paired higher-is-better items"
            return RuleResult(name=rule.name or "", kind=rule.kind, suite=rule.suite, observed=None,
                              threshold=-rule.max_drop, passed=False,
                              detail=f"FAIL: suite {rule.suite} {why}; missing data never passes")
        observed, passed, text = _drop_verdict(rule, s.delta, s.ci_low, s.ci_high, comp.confidence)
        detail = (f"{'pass' if passed else 'FAIL'}: {text}; suite macro mean over {len(s.tasks)} task(s) "
                  f"baseline {fmt(s.baseline)}, candidate {fmt(s.candidate)}, n={s.n}, p_adj={fmt_p(s.p_adjusted)}")
        data = s.model_dump(include={"tasks", "excluded_tasks", "n", "baseline", "candidate", "delta", "ci_low",
                                     "ci_high", "p_value", "p_adjusted", "verdict"})
        return RuleResult(name=rule.name or "", kind=rule.kind, suite=rule.suite, metric="macro_mean",
                          observed=observed, threshold=-rule.max_drop, passed=passed, detail=detail,
                          data={**data, "strict": rule.strict})
    row = _task_row(rule, comp)
    if isinstance(row, RuleResult):
        return row
    imp, lo, hi = row.improvement()
    observed, passed, text = _drop_verdict(rule, imp, lo, hi, comp.confidence)
    detail = f"{'pass' if passed else 'FAIL'}: {text}; {_row_text(row, comp)}"
    return RuleResult(name=rule.name or "", kind=rule.kind, task=rule.task, suite=row.suite, metric=row.metric,
                      observed=observed, threshold=-rule.max_drop, passed=passed, detail=detail,
                      data={**_row_data(row), "strict": rule.strict})


def _max_forgetting(rule: MaxForgettingRule, comp: Comparison) -> RuleResult:
    limit = 1 - rule.max_forgetting
    f = comp.forgetting_for(rule.suite)
    if f is None or not _ok(f.ratio):
        if f is not None:
            why = "has a baseline score of 0, so no ratio"
        elif rule.suite in comp.regression_suites:
            why = "has no paired higher-is-better items in the results"
        else:
            why = f"was not scored as a regression suite (comparison used {comp.regression_suites})"
        return RuleResult(name=rule.name or "", kind=rule.kind, suite=rule.suite, observed=None, threshold=limit,
                          passed=False, detail=f"FAIL: regression suite {rule.suite} {why}; missing data never passes")
    observed, bound = (f.ci_low, "lower") if rule.strict else (f.ci_high, "upper")
    passed = observed is not None and observed >= limit
    meaning = ("must be confident forgetting is at most" if rule.strict
               else "fails only when confident forgetting exceeds")
    detail = (f"{'pass' if passed else 'FAIL'}: forgetting ratio {fmt(f.ratio)} "
              f"{comp.confidence:.0%} CI {fmt_ci(f.ci_low, f.ci_high)}, {bound} bound {fmt(observed)} vs "
              f"{fmt(limit)} ({meaning} {rule.max_forgetting:.0%}); baseline {fmt(f.baseline)}, "
              f"candidate {fmt(f.candidate)}, n={f.n} over {len(f.tasks)} task(s)")
    return RuleResult(name=rule.name or "", kind=rule.kind, suite=rule.suite, metric="forgetting_ratio",
                      observed=observed, threshold=limit, passed=passed, detail=detail,
                      data={**f.model_dump(), "strict": rule.strict})


def _min_n(rule: MinNRule, comp: Comparison) -> RuleResult:
    if rule.tasks:
        tasks = list(rule.tasks)
    else:
        tasks = sorted({r.task for r in comp.rows if rule.suite is None or r.suite == rule.suite})
    if not tasks:
        return RuleResult(name=rule.name or "", kind=rule.kind, suite=rule.suite, observed=None,
                          threshold=rule.min_n, passed=False,
                          detail=f"FAIL: no tasks{f' of suite {rule.suite}' if rule.suite else ''} in the results")
    counts: dict[str, int | None] = {}
    for task in tasks:
        row = comp.row(task)
        counts[task] = None if row is None else row.n
    missing = [t for t, n in counts.items() if n is None]
    short = {t: n for t, n in counts.items() if n is not None and n < rule.min_n}
    present = [n for n in counts.values() if n is not None]
    observed = float(min(present)) if present else None
    passed = not missing and not short
    parts = [f"min n over {len(tasks)} task(s) = {fmt(observed, 0) if observed is not None else 'n/a'}, "
             f"required >= {rule.min_n}"]
    if short:
        parts.append("too few paired items: " + ", ".join(f"{t} (n={n})" for t, n in short.items()))
    if missing:
        parts.append("missing from the results: " + ", ".join(missing))
    return RuleResult(name=rule.name or "", kind=rule.kind, suite=rule.suite,
                      task=tasks[0] if len(tasks) == 1 else None, observed=observed, threshold=rule.min_n,
                      passed=passed, detail=f"{'pass' if passed else 'FAIL'}: " + "; ".join(parts),
                      data={"n": counts})


_JUDGES = {"floor": _floor, "min_improvement": _min_improvement, "max_drop": _max_drop,
           "max_forgetting": _max_forgetting, "min_n": _min_n}


def evaluate_gate(policy: GatePolicy, comparison: Comparison) -> GateOutcome:
    """Apply every rule; the gate passes only when all rules pass."""
    results = [_JUDGES[rule.kind](rule, comparison) for rule in policy.rules]
    return GateOutcome(policy=policy.name, passed=all(r.passed for r in results), results=results,
                       baseline=comparison.baseline, candidate=comparison.candidate, alpha=comparison.alpha,
                       confidence=comparison.confidence)


def run_gate(store: Store, policy: GatePolicy, *, baseline: str, candidate: str,
             **compare_kwargs: Any) -> tuple[Comparison, GateOutcome]:
    """compare_runs with the policy's statistics settings, then evaluate_gate."""
    kwargs: dict[str, Any] = dict(regression_suites=policy.all_regression_suites(), correction=policy.correction,
                                  alpha=policy.alpha, n_boot=policy.n_boot, seed=policy.seed)
    kwargs.update(compare_kwargs)
    comparison = compare_runs(store, baseline, candidate, **kwargs)
    return comparison, evaluate_gate(policy, comparison)


def store_gate(store: Store, outcome: GateOutcome, *, policy: GatePolicy | None = None,
               policy_path: str | Path | None = None, domain: str | None = None, run_id: str | None = None,
               config: Mapping[str, Any] | None = None) -> str:
    """Write gates + gate_results. Without run_id a 'gate' run is started; either way the run is marked
    completed in the same transaction as the results. Returns the gate id."""
    if run_id is None:
        cfg = dict(config or {})
        if policy is not None:
            cfg.setdefault("policy", policy.model_dump(mode="json"))
        cfg.setdefault("baseline", outcome.baseline.model_dump(mode="json"))
        cfg.setdefault("candidate", outcome.candidate.model_dump(mode="json"))
        run_id = store.start_run("gate", domain=domain, config=cfg, model_id=outcome.candidate.model_id,
                                 parent_model_id=outcome.baseline.model_id)
    gate_id = new_id("gate")
    rules = [{
        "rule": r.name, "kind": r.kind, "task": r.task, "metric": r.metric,
        "observed": r.observed if _ok(r.observed) else None,
        "threshold": r.threshold if _ok(r.threshold) else None, "passed": r.passed,
        "detail_json": {"detail": r.detail, "suite": r.suite, **r.data},
    } for r in outcome.results]
    store.add_gate(gate_id, run_id=run_id, policy=str(policy_path) if policy_path else outcome.policy,
                   domain=domain, candidate_run=",".join(sorted(set(outcome.candidate.runs.values()))),
                   baseline_run=",".join(sorted(set(outcome.baseline.runs.values()))), passed=outcome.passed,
                   rules=rules)
    return gate_id
