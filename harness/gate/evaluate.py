"""Judge a Comparison against a GatePolicy, and record the outcome in the store.

Every rule yields an outcome (pass / fail / inconclusive), the number it judged (observed), the number it was
held to (threshold) and a one-line detail with n and the CI, so a blocked release says exactly why and what
to do. Anything missing fails. The multiple-comparison family is the policy's significance-bearing rules
(min_improvement with `significant: true`), not everything that happened to be evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from harness.compare.report import (
    Comparison,
    MetricRow,
    RunSide,
    compare_runs,
    fmt,
    fmt_ci,
    fmt_p,
    fmt_signed,
)
from harness.compare.stats import adjust_p_values
from harness.gate.policy import (
    FloorRule,
    GatePolicy,
    MaxDropRule,
    MaxForgettingRule,
    MaxPerplexityIncreaseRule,
    MinImprovementRule,
    MinNRule,
    Rule,
)
from harness.store import Store, new_id

Outcome = Literal["pass", "fail", "inconclusive"]
NEXT_STEP = {
    "fail": "the data show the requirement is not met: fix the model (or the baseline is wrong)",
    "inconclusive": "too few items to tell: evaluate more items (see `harness gate --plan`) or, if the "
                    "release can accept it, widen the margin",
}


class RuleResult(BaseModel):
    name: str
    kind: str
    task: str | None = None
    suite: str | None = None
    metric: str | None = None
    observed: float | None
    threshold: float | None
    outcome: Outcome
    detail: str
    reading: str = ""  # how the rule was judged: non-inferiority | lenient | significance | estimate | count
    unresolvable: bool = False  # the margin is below what this n can resolve (CI half-width >= margin)
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


class GateOutcome(BaseModel):
    policy: str
    results: list[RuleResult]
    baseline: RunSide
    candidate: RunSide
    alpha: float
    confidence: float
    family_size: int = 0  # significance-bearing rules corrected together
    config_drift: list[dict[str, Any]] = Field(default_factory=list)
    limited: bool = False  # a side used a limited (smoke) eval, allowed with --allow-limit

    @property
    def status(self) -> Literal["PASS", "FAIL", "INCONCLUSIVE"]:
        outcomes = {r.outcome for r in self.results}
        if "fail" in outcomes:
            return "FAIL"
        return "INCONCLUSIVE" if "inconclusive" in outcomes else "PASS"

    @property
    def passed(self) -> bool:
        return self.status == "PASS"

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    @property
    def exit_code(self) -> int:
        """0 when the gate passed, 1 on FAIL or INCONCLUSIVE (user errors exit 2 through HarnessError)."""
        return 0 if self.passed else 1

    def headline(self) -> str:
        counts = {o: sum(r.outcome == o for r in self.results) for o in ("pass", "fail", "inconclusive")}
        text = (f"{self.status}: {counts['pass']}/{len(self.results)} rules pass, {counts['fail']} fail, "
                f"{counts['inconclusive']} inconclusive (significance family: {self.family_size} rule(s))")
        if self.config_drift:
            text += f"; CONFIG DRIFT ALLOWED in {', '.join(d['task'] for d in self.config_drift)}"
        if self.limited:
            text += "; LIMITED (smoke) evaluation allowed"
        if self.status != "PASS":
            text += f" — {NEXT_STEP['fail' if self.status == 'FAIL' else 'inconclusive']}"
        return text


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _result(rule: Rule, outcome: Outcome, detail: str, **kw: Any) -> RuleResult:
    kw.setdefault("observed", None)
    kw.setdefault("threshold", None)
    return RuleResult(name=rule.name or "", kind=rule.kind, outcome=outcome,
                      detail=f"{outcome.upper() if outcome != 'pass' else 'pass'}: {detail}", **kw)


def _missing_task(rule: Rule, task: str, metric: str | None, comp: Comparison) -> RuleResult:
    known = [r.metric for r in comp.rows if r.task == task]
    if known:
        why = f"task {task} has no metric '{metric}' in the results (it has {', '.join(known)})"
    else:
        why = f"task {task} is missing from the results (the evaluations did not score it)"
    return _result(rule, "fail", f"{why}; missing data never passes", task=task, metric=metric)


def _row_text(row: MetricRow, comp: Comparison, p_adj: float | None = None) -> str:
    text = (f"baseline {fmt(row.baseline)}, candidate {fmt(row.candidate)} "
            f"{fmt_ci(row.candidate_ci_low, row.candidate_ci_high)}, Δ {fmt_signed(row.delta)} "
            f"{comp.confidence:.0%} CI {fmt_ci(row.ci_low, row.ci_high, signed=True)}, n={row.n}")
    if p_adj is not None:
        text += f", p_adj={fmt_p(p_adj)} ({row.test})"
    else:
        text += f", p={fmt_p(row.p_value)} ({row.test})"
    return text


def _row_data(row: MetricRow) -> dict[str, Any]:
    return row.model_dump(include={"suite", "n", "baseline", "candidate", "candidate_ci_low", "candidate_ci_high",
                                   "delta", "ci_low", "ci_high", "p_value", "test", "higher_is_better", "filter"})


def _task_row(rule: FloorRule | MinImprovementRule | MaxDropRule, comp: Comparison) -> MetricRow | RuleResult:
    """The rule's row, or the failing result that says why there is none."""
    assert rule.task is not None
    row = comp.row(rule.task, rule.metric)
    if row is None:
        return _missing_task(rule, rule.task, rule.metric, comp)
    if row.n == 0:
        return _result(rule, "fail", f"task {rule.task} has no items scored by both models (baseline-only "
                                     f"{row.dropped_baseline}, candidate-only {row.dropped_candidate})",
                       task=rule.task, metric=row.metric)
    return row


def three_way(lo: float | None, hi: float | None, limit: float, *, lenient: bool) -> Outcome:
    """Judge "value >= limit" from a CI [lo, hi]: confidently met, confidently not met, or undecided.
    Lenient: anything not confidently failing passes (the reading that lets thin data through)."""
    if not _ok(lo) or not _ok(hi):
        return "inconclusive" if not lenient else "pass"
    if hi < limit:
        return "fail"
    if lo >= limit or lenient:
        return "pass"
    return "inconclusive"


def _resolution(lo: float | None, hi: float | None, margin: float) -> tuple[float | None, bool]:
    if not _ok(lo) or not _ok(hi):
        return None, True
    half = (hi - lo) / 2  # type: ignore[operator]
    return half, half >= margin


def _floor(rule: FloorRule, comp: Comparison, _: dict[str, float]) -> RuleResult:
    row = _task_row(rule, comp)
    if isinstance(row, RuleResult):
        return row
    hib = row.higher_is_better
    sign = 1 if hib else -1  # judge "sign * value >= sign * threshold"
    op = ">=" if hib else "<="
    if rule.on == "ci":
        lo, hi = (row.candidate_ci_low, row.candidate_ci_high) if hib else (row.candidate_ci_high,
                                                                             row.candidate_ci_low)
        outcome = three_way(None if lo is None else sign * lo, None if hi is None else sign * hi,
                            sign * rule.threshold, lenient=False)
        observed, what, reading = lo, f"{comp.confidence:.0%} CI {'lower' if hib else 'upper'} bound", "ci"
    else:
        observed, what, reading = row.candidate, "candidate", "estimate"
        outcome = "pass" if observed is not None and sign * observed >= sign * rule.threshold else "fail"
    detail = f"{row.metric} {what} {fmt(observed)} {op} {fmt(rule.threshold)} required; {_row_text(row, comp)}"
    return _result(rule, outcome, detail, task=rule.task, metric=row.metric, observed=observed,
                   threshold=rule.threshold, reading=reading, data=_row_data(row))


def _min_improvement(rule: MinImprovementRule, comp: Comparison, p_adj: dict[str, float]) -> RuleResult:
    row = _task_row(rule, comp)
    if isinstance(row, RuleResult):
        return row
    imp, lo, hi = row.improvement()
    alpha = rule.alpha if rule.alpha is not None else comp.alpha
    direction = "" if row.higher_is_better else " (lower is better: improvement = baseline - candidate)"
    adjusted = p_adj.get(rule.name or "")
    if rule.significant:
        significant = adjusted is not None and adjusted < alpha and imp is not None and imp > 0
        if significant and imp is not None and imp >= rule.delta:
            outcome: Outcome = "pass"
        elif _ok(hi) and hi < rule.delta:  # type: ignore[operator]
            outcome = "fail"  # confidently short of the required improvement
        else:
            outcome = "inconclusive"
        need = (f"improvement {fmt_signed(imp)} >= {fmt_signed(rule.delta)}{direction}, shown by the corrected "
                f"test (p_adj {fmt_p(adjusted)} < {alpha}: {'yes' if significant else 'no'})")
        reading = "significance"
    else:
        significant = False
        outcome = "pass" if imp is not None and imp >= rule.delta else "fail"
        need = f"point estimate of the improvement {fmt_signed(imp)} >= {fmt_signed(rule.delta)}{direction}"
        reading = "estimate"
    detail = f"{need}; {_row_text(row, comp, adjusted)}"
    return _result(rule, outcome, detail, task=rule.task, metric=row.metric, observed=imp, threshold=rule.delta,
                   reading=reading, data={**_row_data(row), "alpha": alpha, "significant": significant,
                                          "p_adjusted": adjusted, "ci_low_improvement": lo,
                                          "ci_high_improvement": hi})


def _reading(lenient: bool) -> str:
    return "lenient" if lenient else "non-inferiority"


def _margin_text(lenient: bool, what: str, margin: str) -> str:
    if lenient:
        return f"LENIENT reading: fails only when confident {what} exceeds {margin}"
    return f"non-inferiority: passes only when confident {what} is within {margin}"


def _unresolvable_text(half: float | None, margin: float, n: int) -> str:
    if half is None:
        return f"; too few items for a CI (n={n})"
    return (f"; MARGIN BELOW RESOLUTION: CI half-width {fmt(half)} >= margin {fmt(margin)} at n={n}, so even an "
            "unchanged model is likely inconclusive")


def _missing_members(rule: Rule, suite: str, missing: list[str], limit: float) -> RuleResult:
    return _result(rule, "fail", f"suite {suite} member task(s) {', '.join(missing)} have no items scored by both "
                                 "models; a suite rule sees every member the suite definition lists",
                   suite=suite, threshold=limit, data={"missing_tasks": missing})


def _max_drop(rule: MaxDropRule, comp: Comparison, _: dict[str, float]) -> RuleResult:
    limit = -rule.max_drop
    if rule.suite is not None:
        s = comp.suite_row(rule.suite)
        if s is not None and s.missing_tasks:
            return _missing_members(rule, rule.suite, s.missing_tasks, limit)
        if s is None or s.n == 0:
            why = "is missing from the results" if s is None else "has no paired higher-is-better items"
            return _result(rule, "fail", f"suite {rule.suite} {why}; missing data never passes", suite=rule.suite,
                           threshold=limit)
        imp, lo, hi, n = s.delta, s.ci_low, s.ci_high, s.n
        context = (f"suite macro mean over {len(s.tasks)} task(s) baseline {fmt(s.baseline)}, candidate "
                   f"{fmt(s.candidate)}, n={s.n}")
        data = s.model_dump(include={"tasks", "excluded_tasks", "n", "baseline", "candidate", "delta", "ci_low",
                                     "ci_high", "p_value"})
        target = dict(suite=rule.suite, metric="macro_mean")
    else:
        row = _task_row(rule, comp)
        if isinstance(row, RuleResult):
            return row
        imp, lo, hi = row.improvement()
        n = row.n
        context, data = _row_text(row, comp), _row_data(row)
        target = dict(task=rule.task, suite=row.suite, metric=row.metric)
    outcome = three_way(lo, hi, limit, lenient=rule.lenient)
    half, unresolvable = _resolution(lo, hi, rule.max_drop)
    observed = hi if rule.lenient else lo
    detail = (f"improvement {fmt_signed(imp)}, {comp.confidence:.0%} CI {fmt_ci(lo, hi, signed=True)} vs limit "
              f"{fmt_signed(limit)} ({_margin_text(rule.lenient, 'the drop', fmt(rule.max_drop))}); {context}")
    if unresolvable and outcome != "fail":  # moot once the data show the loss is past the margin
        detail += _unresolvable_text(half, rule.max_drop, n)
    return _result(rule, outcome, detail, observed=observed, threshold=limit, reading=_reading(rule.lenient),
                   unresolvable=unresolvable and outcome != "fail",
                   data={**data, "lenient": rule.lenient, "half_width": half}, **target)


def _max_forgetting(rule: MaxForgettingRule, comp: Comparison, _: dict[str, float]) -> RuleResult:
    limit = 1 - rule.max_forgetting
    f = comp.forgetting_for(rule.suite)
    if f is not None and f.missing_tasks:
        return _missing_members(rule, rule.suite, f.missing_tasks, limit)
    if f is None or not _ok(f.ratio):
        if f is not None and f.tasks:
            why = "has a baseline at or below chance, so there is nothing to forget and no ratio"
        elif f is not None or rule.suite in comp.regression_suites:
            why = "has no paired higher-is-better items in the results"
        else:
            why = f"was not scored as a regression suite (comparison used {comp.regression_suites})"
        return _result(rule, "fail", f"regression suite {rule.suite} {why}; missing data never passes",
                       suite=rule.suite, threshold=limit)
    outcome = three_way(f.ci_low, f.ci_high, limit, lenient=rule.lenient)
    half, unresolvable = _resolution(f.ci_low, f.ci_high, rule.max_forgetting)
    reading = _margin_text(rule.lenient, "forgetting", f"{rule.max_forgetting:.0%}")
    detail = (f"kept {fmt(f.ratio)} {comp.confidence:.0%} CI {fmt_ci(f.ci_low, f.ci_high)} of the baseline's "
              f"above-chance score vs {fmt(limit)} required ({reading}); chance-corrected macro mean baseline "
              f"{fmt(f.baseline)}, candidate {fmt(f.candidate)}, n={f.n} over {len(f.tasks)} task(s)")
    if f.tasks_without_chance:
        detail += f" (no chance level declared for {', '.join(f.tasks_without_chance)}: taken as 0)"
    if unresolvable and outcome != "fail":  # moot once the data show the loss is past the margin
        detail += _unresolvable_text(half, rule.max_forgetting, f.n)
    return _result(rule, outcome, detail, suite=rule.suite, metric="forgetting_ratio",
                   observed=f.ci_high if rule.lenient else f.ci_low, threshold=limit, reading=_reading(rule.lenient),
                   unresolvable=unresolvable and outcome != "fail",
                   data={**f.model_dump(), "lenient": rule.lenient, "half_width": half})


def _max_ppl(rule: MaxPerplexityIncreaseRule, comp: Comparison, _: dict[str, float]) -> RuleResult:
    limit = 1 + rule.max_increase
    f = comp.forgetting_for(rule.suite)
    if f is not None and f.missing_tasks:
        return _missing_members(rule, rule.suite, f.missing_tasks, limit)
    if f is None or not _ok(f.ppl_ratio):
        return _result(rule, "fail", f"regression suite {rule.suite} has no paired perplexity-type task in the "
                                     "results; missing data never passes", suite=rule.suite, threshold=limit)
    # judge "-ratio >= -limit" so that three_way's "higher is better" reading applies
    outcome = three_way(-f.ppl_ci_high if _ok(f.ppl_ci_high) else None,  # type: ignore[operator]
                        -f.ppl_ci_low if _ok(f.ppl_ci_low) else None, -limit, lenient=rule.lenient)  # type: ignore[operator]
    half, unresolvable = _resolution(f.ppl_ci_low, f.ppl_ci_high, rule.max_increase)
    reading = _margin_text(rule.lenient, "the increase", f"{rule.max_increase:.0%}")
    detail = (f"{f.ppl_metric} ratio {fmt(f.ppl_ratio)} {comp.confidence:.0%} CI "
              f"{fmt_ci(f.ppl_ci_low, f.ppl_ci_high)} vs {fmt(limit)} allowed ({reading}); "
              f"baseline {fmt(f.ppl_baseline)}, candidate {fmt(f.ppl_candidate)}, n={f.ppl_n} over "
              f"{', '.join(f.ppl_tasks)}")
    if unresolvable and outcome != "fail":  # moot once the data show the loss is past the margin
        detail += _unresolvable_text(half, rule.max_increase, f.ppl_n)
    return _result(rule, outcome, detail, suite=rule.suite, metric=f"{f.ppl_metric}_ratio",
                   observed=f.ppl_ci_low if rule.lenient else f.ppl_ci_high, threshold=limit,
                   reading=_reading(rule.lenient), unresolvable=unresolvable and outcome != "fail",
                   data={**f.model_dump(), "lenient": rule.lenient, "half_width": half})


def _min_n(rule: MinNRule, comp: Comparison, _: dict[str, float]) -> RuleResult:
    if rule.tasks:
        tasks = list(rule.tasks)
    else:
        tasks = sorted({r.task for r in comp.rows if rule.suite is None or r.suite == rule.suite})
    if not tasks:
        return _result(rule, "fail", f"no tasks{f' of suite {rule.suite}' if rule.suite else ''} in the results",
                       suite=rule.suite, threshold=rule.min_n)
    counts: dict[str, int | None] = {}
    for task in tasks:
        row = comp.row(task)
        counts[task] = None if row is None else row.n
    missing = [t for t, n in counts.items() if n is None]
    short = {t: n for t, n in counts.items() if n is not None and n < rule.min_n}
    present = [n for n in counts.values() if n is not None]
    observed = float(min(present)) if present else None
    parts = [f"min n over {len(tasks)} task(s) = {fmt(observed, 0) if observed is not None else 'n/a'}, "
             f"required >= {rule.min_n}"]
    if short:
        parts.append("too few paired items: " + ", ".join(f"{t} (n={n})" for t, n in short.items()))
    if missing:
        parts.append("missing from the results: " + ", ".join(missing))
    return _result(rule, "pass" if not missing and not short else "fail", "; ".join(parts), suite=rule.suite,
                   task=tasks[0] if len(tasks) == 1 else None, observed=observed, threshold=rule.min_n,
                   reading="count", data={"n": counts})


_JUDGES = {"floor": _floor, "min_improvement": _min_improvement, "max_drop": _max_drop,
           "max_forgetting": _max_forgetting, "max_perplexity_increase": _max_ppl, "min_n": _min_n}


def family_p_values(policy: GatePolicy, comparison: Comparison) -> dict[str, float]:
    """Corrected p-values of the policy's significance-bearing rules, corrected as one family (and only
    them: unrelated tasks in the evaluation do not dilute or inflate the gate's decisions)."""
    names, raw = [], []
    for rule in policy.rules:
        if isinstance(rule, MinImprovementRule) and rule.significant:
            row = comparison.row(rule.task, rule.metric)
            names.append(rule.name or "")
            raw.append(None if row is None or row.p_value is None else row.p_value)
    adjusted = adjust_p_values(raw, policy.correction)
    return {n: float(p) for n, p in zip(names, adjusted, strict=True) if math.isfinite(p)}


def evaluate_gate(policy: GatePolicy, comparison: Comparison) -> GateOutcome:
    """Apply every rule; the gate passes only when all rules pass."""
    p_adj = family_p_values(policy, comparison)
    results = [_JUDGES[rule.kind](rule, comparison, p_adj) for rule in policy.rules]
    family = sum(isinstance(r, MinImprovementRule) and r.significant for r in policy.rules)
    for r in results:
        r.data["family_size"] = family
    limited = bool(comparison.baseline.limits or comparison.candidate.limits)
    return GateOutcome(policy=policy.name, results=results, baseline=comparison.baseline,
                       candidate=comparison.candidate, alpha=comparison.alpha, confidence=comparison.confidence,
                       family_size=family, config_drift=list(comparison.config_drift), limited=limited)


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
        cfg.setdefault("status", outcome.status)
        cfg.setdefault("config_drift", outcome.config_drift)
        cfg.setdefault("limited", outcome.limited)
        run_id = store.start_run("gate", domain=domain, config=cfg, model_id=outcome.candidate.model_id,
                                 parent_model_id=outcome.baseline.model_id)
    gate_id = new_id("gate")
    rules = [{
        "rule": r.name, "kind": r.kind, "task": r.task, "metric": r.metric,
        "observed": r.observed if _ok(r.observed) else None,
        "threshold": r.threshold if _ok(r.threshold) else None, "passed": r.passed,
        "detail_json": {"detail": r.detail, "suite": r.suite, "outcome": r.outcome, "reading": r.reading,
                        "unresolvable": r.unresolvable, **r.data},
    } for r in outcome.results]
    store.add_gate(gate_id, run_id=run_id, policy=str(policy_path) if policy_path else outcome.policy,
                   domain=domain, candidate_run=",".join(sorted(set(outcome.candidate.runs.values()))),
                   baseline_run=",".join(sorted(set(outcome.baseline.runs.values()))), passed=outcome.passed,
                   rules=rules)
    return gate_id
