"""Compare two evaluations item by item: per task+metric rows, per-suite summaries, forgetting, flips.

Rules this module follows (the product principle: no number without its n and uncertainty, no
"improvement" without a test):
- Every mean is over the items both sides scored (see compare/align.py); n and the per-side drops are
  reported with it. Baseline, candidate and delta each carry a (1 - alpha) percentile bootstrap CI.
- A task's primary metric, filter, direction and chance level are what its suite YAML declares
  (harness/evaluation/tasks.py), stored with each eval; nothing here keeps a list of metric names.
- Task figures are lm-eval's aggregates (weighted ratio estimators for bits_per_byte and perplexities,
  harness/evaluation/aggregation.py), so the compare baseline equals lm-eval's reported number.
- Task rows: McNemar (0/1 metrics) or paired permutation test (continuous). The multiple-comparison
  family is the primary metric of each task of the named suites (default: every suite compared), corrected
  with Holm (default) or Benjamini-Hochberg; the family size is stated. Secondary metrics, and primary
  metrics outside the named suites, are exploratory: raw p only, no verdict.
- Suite rows: macro mean over the suite's member tasks (as the suite definition lists them, however the
  evals were launched) of each task's higher-is-better primary metric; members missing on either side are
  named and make the row incomplete. Delta CI and p-value from a paired bootstrap stratified by task.
- Forgetting (regression suites): candidate / baseline of the suite's chance-corrected macro mean
  ((score - chance) / (1 - chance) per task), and separately candidate / baseline of its perplexity-type
  tasks' bits per byte. 1.0 = nothing forgotten; a ratio of 0.9 = 10% of the above-chance skill lost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from harness.compare.align import AlignedMetric, Alignment, ResolvedRuns, TaskInfo, align
from harness.compare.stats import (
    DEFAULT_N_BOOT,
    DEFAULT_N_PERM,
    Correction,
    Stratum,
    Verdict,
    adjust_p_values,
    is_binary,
    paired_estimate,
    paired_test,
    rng_for,
    verdict,
)
from harness.compare.suite_defs import suite_members
from harness.errors import HarnessError
from harness.store import Store


def _f(value: float | None) -> float | None:
    """Floats for the models: NaN/inf become None so JSON stays valid and 'unknown' is explicit."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class RunSide(BaseModel):
    label: str
    model_id: str | None
    runs: dict[str, str]  # task -> eval run id
    notes: list[str] = Field(default_factory=list)
    limits: dict[str, Any] = Field(default_factory=dict)  # run id -> --limit, for limited (smoke) runs only


class MetricRow(BaseModel):
    """One task+metric+filter. Figures are lm-eval's aggregate over the n paired items; CIs at the
    comparison's confidence. Rows outside the correction family (`in_family` false) are exploratory."""

    suite: str
    task: str
    metric: str
    filter: str = "none"
    primary: bool
    in_family: bool = False
    higher_is_better: bool
    n: int
    dropped_baseline: int
    dropped_candidate: int
    baseline: float | None
    baseline_ci_low: float | None
    baseline_ci_high: float | None
    candidate: float | None
    candidate_ci_low: float | None
    candidate_ci_high: float | None
    delta: float | None  # candidate - baseline
    ci_low: float | None
    ci_high: float | None
    test: str
    p_value: float | None
    p_adjusted: float | None
    verdict: Verdict
    baseline_only: int | None = None  # 0/1 metrics: items only the baseline got right
    candidate_only: int | None = None  # 0/1 metrics: items only the candidate got right

    def improvement(self) -> tuple[float | None, float | None, float | None]:
        """(delta, ci_low, ci_high) signed so that positive is better, whatever the metric direction."""
        if self.higher_is_better:
            return self.delta, self.ci_low, self.ci_high
        neg = [None if v is None else -v for v in (self.delta, self.ci_high, self.ci_low)]
        return neg[0], neg[1], neg[2]


class SuiteRow(BaseModel):
    """Macro mean over a suite's tasks (each task's primary metric, higher-is-better tasks only)."""

    suite: str
    tasks: list[str]
    excluded_tasks: list[str]  # lower-is-better primary metric
    missing_tasks: list[str] = Field(default_factory=list)  # members (by definition) without paired items
    n: int
    baseline: float | None
    baseline_ci_low: float | None
    baseline_ci_high: float | None
    candidate: float | None
    candidate_ci_low: float | None
    candidate_ci_high: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    test: str = "stratified_paired_bootstrap"
    p_value: float | None
    p_adjusted: float | None
    verdict: Verdict
    higher_is_better: bool = True


class ForgettingRow(BaseModel):
    """How much of a regression suite the candidate kept. Accuracy-type: candidate / baseline of the
    chance-corrected macro mean (< 1 = forgot). Perplexity-type: candidate / baseline bits per byte
    (> 1 = general text got less predictable). One definition, used by compare, gate and dashboard."""

    suite: str
    tasks: list[str]
    n: int
    baseline: float | None  # chance-corrected macro mean (0 = chance, 1 = perfect)
    candidate: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    chance_corrected: bool = True
    tasks_without_chance: list[str] = Field(default_factory=list)
    missing_tasks: list[str] = Field(default_factory=list)
    ppl_metric: str | None = None
    ppl_tasks: list[str] = Field(default_factory=list)
    ppl_n: int = 0
    ppl_baseline: float | None = None
    ppl_candidate: float | None = None
    ppl_ratio: float | None = None
    ppl_ci_low: float | None = None
    ppl_ci_high: float | None = None


class Flip(BaseModel):
    suite: str
    task: str
    metric: str
    direction: Literal["right_to_wrong", "wrong_to_right"]
    doc_id: int | None
    doc_hash: str
    prompt: str | None
    target: str | None
    baseline_prediction: str | None
    candidate_prediction: str | None


class FlipCount(BaseModel):
    task: str
    metric: str
    n: int
    right_to_wrong: int
    wrong_to_right: int


class Comparison(BaseModel):
    baseline: RunSide
    candidate: RunSide
    alpha: float
    confidence: float
    correction: Correction
    n_boot: int
    seed: int
    regression_suites: list[str]
    rows: list[MetricRow]
    suites: list[SuiteRow]
    forgetting: list[ForgettingRow]
    flip_counts: list[FlipCount]
    flips: list[Flip]
    notes: list[str] = Field(default_factory=list)
    family: list[str] = Field(default_factory=list)  # "task/metric" rows in the correction family
    config_drift: list[dict[str, Any]] = Field(default_factory=list)  # allowed task-config differences

    @property
    def family_size(self) -> int:
        return len(self.family)

    def row(self, task: str, metric: str | None = None) -> MetricRow | None:
        """The row of a task's metric (primary filter first); metric=None picks the task's primary metric."""
        rows = [r for r in self.rows if r.task == task and (r.metric == metric if metric else r.primary)]
        return next((r for r in rows if r.primary), rows[0] if rows else None)

    def suite_row(self, suite: str) -> SuiteRow | None:
        return next((s for s in self.suites if s.suite == suite), None)

    def forgetting_for(self, suite: str) -> ForgettingRow | None:
        return next((f for f in self.forgetting if f.suite == suite), None)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -- building ----------------------------------------------------------------------------------------
def _primary(info: TaskInfo | None, metrics: list[AlignedMetric], override: str | None) -> tuple[str, str]:
    """(metric, filter) a task is judged on: an explicit override, else what its suite YAML declares, else
    its only (or alphabetically first) metric, each on the declared or first filter."""
    names = sorted({m.metric for m in metrics})
    metric = override if override in names else None
    if metric is None and info and info.primary_metric in names:
        metric = info.primary_metric
    metric = metric or names[0]
    filters = [m.filter for m in metrics if m.metric == metric]
    filt = info.primary_filter if info and info.primary_filter in filters else filters[0]
    return metric, filt


def _side(resolved: ResolvedRuns) -> RunSide:
    notes = list(resolved.notes)
    if resolved.limits:
        notes.append("LIMITED eval(s): " + ", ".join(f"{r} (--limit {v})" for r, v in resolved.limits.items()))
    return RunSide(label=resolved.label, model_id=resolved.model_id, runs=dict(resolved.task_runs), notes=notes,
                   limits=dict(resolved.limits))


def stratum(m: AlignedMetric) -> Stratum:
    return Stratum(m.baseline_values, m.candidate_values, m.weights, m.kind, m.chance)


def _metric_row(m: AlignedMetric, primary: bool, *, alpha: float, n_boot: int, n_perm: int,
                seed: int) -> MetricRow:
    base = dict(suite=m.suite, task=m.task, metric=m.metric, filter=m.filter, primary=primary,
                higher_is_better=m.higher_is_better, n=m.n, dropped_baseline=m.dropped_baseline,
                dropped_candidate=m.dropped_candidate)
    if m.n == 0:
        return MetricRow(**base, baseline=None, baseline_ci_low=None, baseline_ci_high=None, candidate=None,
                         candidate_ci_low=None, candidate_ci_high=None, delta=None, ci_low=None, ci_high=None,
                         test="none", p_value=None, p_adjusted=None, verdict="no data")
    key = (m.task, m.metric) if m.filter == "none" else (m.task, m.metric, m.filter)
    est = paired_estimate([stratum(m)], n_boot=n_boot, alpha=alpha, rng=rng_for(seed, "task", *key))
    test = paired_test(m.baseline_values, m.candidate_values, n_resamples=n_perm, rng=rng_for(seed, "test", *key),
                       weights=m.weights, kind=m.kind)
    return MetricRow(
        **base, baseline=_f(est.baseline), baseline_ci_low=_f(est.baseline_ci[0]),
        baseline_ci_high=_f(est.baseline_ci[1]), candidate=_f(est.candidate),
        candidate_ci_low=_f(est.candidate_ci[0]), candidate_ci_high=_f(est.candidate_ci[1]),
        delta=_f(est.delta), ci_low=_f(est.delta_ci[0]), ci_high=_f(est.delta_ci[1]), test=test.test,
        p_value=_f(test.p_value), p_adjusted=None, verdict="exploratory",
        baseline_only=test.baseline_only, candidate_only=test.candidate_only,
    )


def _flips(m: AlignedMetric, limit: int) -> tuple[FlipCount, list[Flip]]:
    right = 1.0 if m.higher_is_better else 0.0
    items = m.items
    b_right = items["baseline"].to_numpy() == right
    c_right = items["candidate"].to_numpy() == right
    out: list[Flip] = []
    for direction, mask in (("right_to_wrong", b_right & ~c_right), ("wrong_to_right", ~b_right & c_right)):
        for rec in items.loc[mask].head(limit).to_dict("records"):
            out.append(Flip(
                suite=m.suite, task=m.task, metric=m.metric, direction=direction,
                doc_id=None if _missing(rec["doc_id"]) else int(rec["doc_id"]), doc_hash=str(rec["doc_hash"]),
                prompt=_text(rec["prompt"]), target=_text(rec["target"]),
                baseline_prediction=_text(rec["baseline_prediction"]),
                candidate_prediction=_text(rec["candidate_prediction"]),
            ))
    count = FlipCount(task=m.task, metric=m.metric, n=m.n, right_to_wrong=int((b_right & ~c_right).sum()),
                      wrong_to_right=int((~b_right & c_right).sum()))
    return count, out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _members(suite: str, primaries: list[AlignedMetric], tasks: Mapping[str, TaskInfo],
             definitions: Mapping[str, list[str]]) -> list[str]:
    """A suite's tasks as its definition lists them, plus any task stored as belonging to it."""
    defined = definitions.get(suite, [])
    seen = [m.task for m in primaries if m.suite == suite]
    stored = [t for t, info in tasks.items() if info.suite == suite]
    return list(dict.fromkeys([*defined, *seen, *stored]))


def _suite_rows(primaries: list[AlignedMetric], *, alpha: float, n_boot: int, seed: int,
                regression_suites: Sequence[str], tasks: Mapping[str, TaskInfo],
                ) -> tuple[list[SuiteRow], list[ForgettingRow], list[str]]:
    notes: list[str] = []
    suites: list[SuiteRow] = []
    forgetting: list[ForgettingRow] = []
    by_task = {m.task: m for m in primaries}
    definitions = suite_members()
    for suite in sorted({m.suite for m in primaries} | set(regression_suites)):
        members = _members(suite, primaries, tasks, definitions)
        missing = [t for t in members if t not in by_task or by_task[t].n == 0]
        present = [by_task[t] for t in members if t not in missing]
        used = [m for m in present if m.higher_is_better]
        excluded = [m.task for m in present if not m.higher_is_better]
        if not members:
            notes.append(f"suite '{suite}' is neither defined nor in the results")
            continue
        if not used:
            suites.append(SuiteRow(
                suite=suite, tasks=[], excluded_tasks=excluded, missing_tasks=missing, n=0, baseline=None,
                baseline_ci_low=None, baseline_ci_high=None, candidate=None, candidate_ci_low=None,
                candidate_ci_high=None, delta=None, ci_low=None, ci_high=None, p_value=None, p_adjusted=None,
                verdict="no data"))
        else:
            est = paired_estimate([stratum(m) for m in used], n_boot=n_boot, alpha=alpha,
                                  rng=rng_for(seed, "suite", suite))
            suites.append(SuiteRow(
                suite=suite, tasks=[m.task for m in used], excluded_tasks=excluded, missing_tasks=missing, n=est.n,
                baseline=_f(est.baseline), baseline_ci_low=_f(est.baseline_ci[0]),
                baseline_ci_high=_f(est.baseline_ci[1]), candidate=_f(est.candidate),
                candidate_ci_low=_f(est.candidate_ci[0]), candidate_ci_high=_f(est.candidate_ci[1]),
                delta=_f(est.delta), ci_low=_f(est.delta_ci[0]), ci_high=_f(est.delta_ci[1]),
                p_value=_f(est.delta_p_value), p_adjusted=None, verdict="no significant change"))
        if missing:
            notes.append(f"suite '{suite}' is incomplete: member task(s) {', '.join(missing)} have no items scored "
                         "by both models")
        if suite in regression_suites:
            forgetting.append(_forgetting_row(suite, used, present, missing, alpha=alpha, n_boot=n_boot, seed=seed))
    return suites, forgetting, notes


def _forgetting_row(suite: str, used: list[AlignedMetric], present: list[AlignedMetric], missing: list[str], *,
                    alpha: float, n_boot: int, seed: int) -> ForgettingRow:
    row: dict[str, Any] = dict(suite=suite, tasks=[m.task for m in used], missing_tasks=missing,
                               tasks_without_chance=[m.task for m in used if m.chance is None], n=0,
                               baseline=None, candidate=None, ratio=None, ci_low=None, ci_high=None)
    if used:
        est = paired_estimate([stratum(m) for m in used], n_boot=n_boot, alpha=alpha, chance_corrected=True,
                              rng=rng_for(seed, "forgetting", suite))
        row.update(n=est.n, baseline=_f(est.baseline), candidate=_f(est.candidate), ratio=_f(est.ratio),
                   ci_low=_f(est.ratio_ci[0]), ci_high=_f(est.ratio_ci[1]))
    ppl = [m for m in present if not m.higher_is_better]
    if ppl:
        metrics = sorted({m.metric for m in ppl})
        est = paired_estimate([stratum(m) for m in ppl], n_boot=n_boot, alpha=alpha,
                              rng=rng_for(seed, "forgetting-ppl", suite))
        row.update(ppl_metric=metrics[0] if len(metrics) == 1 else "+".join(metrics), ppl_tasks=[m.task for m in ppl],
                   ppl_n=est.n, ppl_baseline=_f(est.baseline), ppl_candidate=_f(est.candidate),
                   ppl_ratio=_f(est.ratio), ppl_ci_low=_f(est.ratio_ci[0]), ppl_ci_high=_f(est.ratio_ci[1]))
    return ForgettingRow(**row)


def compare_alignment(alignment: Alignment, *, regression_suites: Sequence[str] = ("general",),
                      correction: Correction = "holm", alpha: float = 0.05, n_boot: int = DEFAULT_N_BOOT,
                      n_perm: int = DEFAULT_N_PERM, seed: int = 0, max_flips: int = 10,
                      primary_metrics: Mapping[str, str] | None = None,
                      suites: Sequence[str] | None = None) -> Comparison:
    """Statistics for already-aligned items (compare_runs without the store). `suites` names the suites
    whose tasks' primary metrics form the correction family (default: every suite in the comparison)."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    overrides = dict(primary_metrics or {})
    by_task: dict[str, list[AlignedMetric]] = {}
    for m in alignment.metrics:
        by_task.setdefault(m.task, []).append(m)
    primary_of = {task: _primary(alignment.tasks.get(task), ms, overrides.get(task)) for task, ms in by_task.items()}
    family_suites = set(suites) if suites else None
    if family_suites and (missing := sorted(family_suites - {m.suite for m in alignment.metrics})):
        present = sorted({m.suite for m in alignment.metrics})
        raise HarnessError(f"--suite {', '.join(missing)}: not a suite both runs were evaluated on "
                           f"(compared suites: {', '.join(present) or 'none'})",
                           "pass --suite with one of the compared suites, or drop --suite to use every suite")

    rows: list[MetricRow] = []
    primaries: list[AlignedMetric] = []
    flip_counts: list[FlipCount] = []
    flips: list[Flip] = []
    notes: list[str] = []
    for task, ms in by_task.items():
        info = alignment.tasks.get(task)
        if (info is None or info.primary_metric is None) and len({m.metric for m in ms}) > 1 and task not in overrides:
            notes.append(f"task {task} declares no primary_metric in its YAML metadata; judged on "
                         f"{primary_of[task][0]}")
    order = sorted(alignment.metrics, key=lambda m: (m.suite, m.task, (m.metric, m.filter) != primary_of[m.task],
                                                      m.metric, m.filter))
    for m in order:
        is_primary = (m.metric, m.filter) == primary_of[m.task]
        row = _metric_row(m, is_primary, alpha=alpha, n_boot=n_boot, n_perm=n_perm, seed=seed)
        row.in_family = is_primary and (family_suites is None or m.suite in family_suites)
        rows.append(row)
        if is_primary:
            primaries.append(m)
            if m.n > 0 and m.kind == "mean" and is_binary(m.baseline_values, m.candidate_values):
                count, some = _flips(m, max_flips)
                flip_counts.append(count)
                flips.extend(some)

    family_rows = [r for r in rows if r.in_family and r.p_value is not None]
    adjusted = adjust_p_values([r.p_value for r in family_rows], correction)
    for r, p_adj in zip(family_rows, adjusted, strict=True):
        r.p_adjusted = _f(p_adj)
        r.verdict = verdict(r.delta, r.p_adjusted, alpha, r.higher_is_better, r.n)
    for r in rows:
        if r.n == 0:
            r.verdict = "no data"

    suite_rows, forgetting, suite_notes = _suite_rows(primaries, alpha=alpha, n_boot=n_boot, seed=seed,
                                                      regression_suites=regression_suites, tasks=alignment.tasks)
    adjusted = adjust_p_values([s.p_value for s in suite_rows], correction)
    for s, p_adj in zip(suite_rows, adjusted, strict=True):
        s.p_adjusted = _f(p_adj)
        s.verdict = verdict(s.delta, s.p_adjusted, alpha, True, s.n)

    return Comparison(
        baseline=_side(alignment.baseline), candidate=_side(alignment.candidate), alpha=alpha,
        confidence=1 - alpha, correction=correction, n_boot=n_boot, seed=seed,
        regression_suites=list(regression_suites), rows=rows, suites=suite_rows, forgetting=forgetting,
        flip_counts=flip_counts, flips=flips, notes=[*alignment.notes, *notes, *suite_notes],
        family=[f"{r.task}/{r.metric}" for r in family_rows], config_drift=list(alignment.config_drift),
    )


def compare_runs(store: Store, baseline: str, candidate: str, *, regression_suites: Sequence[str] = ("general",),
                 correction: Correction = "holm", alpha: float = 0.05, n_boot: int = DEFAULT_N_BOOT,
                 n_perm: int = DEFAULT_N_PERM, seed: int = 0, max_flips: int = 10,
                 primary_metrics: Mapping[str, str] | None = None, suites: Sequence[str] | None = None,
                 allow_config_drift: bool = False) -> Comparison:
    """Compare two evaluations. baseline/candidate: an eval run id, or a model id/ref (its newest complete,
    unlimited eval run per task, matched on task config). Raises HarnessError when they cannot be resolved,
    share no items, or were evaluated with different task configs (unless allow_config_drift)."""
    alignment = align(store, baseline, candidate, allow_config_drift=allow_config_drift)
    return compare_alignment(alignment, regression_suites=regression_suites, correction=correction, alpha=alpha,
                             n_boot=n_boot, n_perm=n_perm, seed=seed, max_flips=max_flips,
                             primary_metrics=primary_metrics, suites=suites)


# -- rendering ---------------------------------------------------------------------------------------
def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_signed(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def fmt_ci(low: float | None, high: float | None, digits: int = 3, signed: bool = False) -> str:
    f = fmt_signed if signed else fmt
    return "[n/a]" if low is None or high is None else f"[{f(low, digits)}, {f(high, digits)}]"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _value_ci(value: float | None, low: float | None, high: float | None) -> str:
    return f"{fmt(value)} {fmt_ci(low, high)}"


def _delta_ci(row: MetricRow | SuiteRow) -> str:
    return f"{fmt_signed(row.delta)} {fmt_ci(row.ci_low, row.ci_high, signed=True)}"


def _header(comp: Comparison) -> str:
    drift = ""
    if comp.config_drift:
        drift = f"; CONFIG DRIFT ALLOWED in {', '.join(d['task'] for d in comp.config_drift)}"
    return (f"baseline: {comp.baseline.label} (model {comp.baseline.model_id or '?'})  vs  "
            f"candidate: {comp.candidate.label} (model {comp.candidate.model_id or '?'}); "
            f"{comp.confidence:.0%} bootstrap CIs (B={comp.n_boot}), {comp.correction}-corrected p over a "
            f"family of {comp.family_size} primary metric(s), alpha={comp.alpha}{drift}")


def forgetting_text(f: ForgettingRow) -> str:
    """One line per regression suite, shared by the CLI, the demo summary and the dashboard."""
    parts = []
    if f.ratio is not None:
        parts.append(f"{f.suite} kept {fmt(f.ratio)} {fmt_ci(f.ci_low, f.ci_high)} of its above-chance score "
                     f"(n={f.n})")
    elif f.tasks:
        parts.append(f"{f.suite}: baseline not above chance, no forgetting ratio (n={f.n})")
    if f.ppl_ratio is not None:
        parts.append(f"{f.ppl_metric} ×{fmt(f.ppl_ratio)} {fmt_ci(f.ppl_ci_low, f.ppl_ci_high)} (n={f.ppl_n})")
    if f.missing_tasks:
        parts.append(f"missing {', '.join(f.missing_tasks)}")
    return "; ".join(parts) or f"{f.suite}: no data"


def render_rich(comp: Comparison, *, show_flips: int = 3) -> Any:
    """A rich renderable (Group of tables). Every number is shown with its n and CI."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    style = {"improved": "green", "regressed": "bold red", "no significant change": "dim", "no data": "yellow",
             "exploratory": "dim italic"}
    ci = f"{comp.confidence:.0%} CI"
    tasks = Table(title="Per task (n = paired items; -b/-c = unpaired items of baseline/candidate)",
                  title_justify="left")
    for col in ("task", "metric", "n", f"baseline\n[{ci}]", f"candidate\n[{ci}]", f"Δ\n[{ci}]",
                "p adj\n(raw, test)", "verdict"):
        tasks.add_column(col, justify="right" if col == "n" else "left", overflow="fold",
                         min_width=12 if col == "task" else None)
    suite = None
    for r in comp.rows:
        if r.suite != suite:
            if suite is not None:
                tasks.add_section()
            suite = r.suite
            tasks.add_row(Text(r.suite, style="bold"))
        drops = f"\n-{r.dropped_baseline}/-{r.dropped_candidate}" if r.dropped_baseline or r.dropped_candidate else ""
        metric = (("" if r.primary else "·") + r.metric + ("" if r.higher_is_better else " ↓")
                  + ("" if r.filter == "none" else f" [{r.filter}]"))
        tasks.add_row(r.task, metric, f"{r.n}{drops}",
                      f"{fmt(r.baseline)}\n{fmt_ci(r.baseline_ci_low, r.baseline_ci_high)}",
                      f"{fmt(r.candidate)}\n{fmt_ci(r.candidate_ci_low, r.candidate_ci_high)}",
                      f"{fmt_signed(r.delta)}\n{fmt_ci(r.ci_low, r.ci_high, signed=True)}",
                      f"{fmt_p(r.p_adjusted)}\n({fmt_p(r.p_value)}, {_TEST_SHORT.get(r.test, r.test)})",
                      Text(r.verdict, style=style[r.verdict]))
    parts: list[Any] = [Text(_header(comp)), tasks]

    if comp.suites:
        suites = Table(title="Per suite (macro mean of primary metrics, higher is better)", title_justify="left")
        for col in ("suite", "tasks", "n", f"baseline\n[{ci}]", f"candidate\n[{ci}]", f"Δ\n[{ci}]", "p adj",
                    "verdict"):
            suites.add_column(col, overflow="fold", justify="right" if col == "n" else "left")
        for s in comp.suites:
            excl = f"\nexcl. {', '.join(s.excluded_tasks)}" if s.excluded_tasks else ""
            excl += f"\nMISSING {', '.join(s.missing_tasks)}" if s.missing_tasks else ""
            suites.add_row(s.suite, f"{len(s.tasks)}{excl}", str(s.n),
                           f"{fmt(s.baseline)}\n{fmt_ci(s.baseline_ci_low, s.baseline_ci_high)}",
                           f"{fmt(s.candidate)}\n{fmt_ci(s.candidate_ci_low, s.candidate_ci_high)}",
                           f"{fmt_signed(s.delta)}\n{fmt_ci(s.ci_low, s.ci_high, signed=True)}",
                           fmt_p(s.p_adjusted), Text(s.verdict, style=style[s.verdict]))
        parts.append(suites)
    if comp.forgetting:
        forget = Table(title="Forgetting (candidate / baseline of the chance-corrected macro mean; 1 = nothing "
                             "forgotten) and perplexity-type ratio (> 1 = worse)", title_justify="left")
        for col in ("suite", "n", "baseline\n(above chance)", "candidate\n(above chance)", f"kept [{ci}]",
                    f"bits/byte ratio [{ci}]\n(n)"):
            forget.add_column(col)
        for f in comp.forgetting:
            ppl = "—" if f.ppl_ratio is None else (f"{fmt(f.ppl_ratio)} {fmt_ci(f.ppl_ci_low, f.ppl_ci_high)}"
                                                   f"\n(n={f.ppl_n})")
            missing = f"\nMISSING {', '.join(f.missing_tasks)}" if f.missing_tasks else ""
            forget.add_row(f.suite + missing, str(f.n), fmt(f.baseline), fmt(f.candidate),
                           f"{fmt(f.ratio)} {fmt_ci(f.ci_low, f.ci_high)}", ppl)
        parts.append(forget)
    if comp.flip_counts:
        flips = Table(title="Flipped items (0/1 primary metrics)", title_justify="left")
        for col in ("task", "n", "right→wrong", "wrong→right"):
            flips.add_column(col)
        for fc in comp.flip_counts:
            flips.add_row(fc.task, str(fc.n), str(fc.right_to_wrong), str(fc.wrong_to_right))
        parts.append(flips)
        for fl in [f for f in comp.flips if f.direction == "right_to_wrong"][:show_flips]:
            parts.append(Text(f"  right→wrong {fl.task} #{fl.doc_id}: target={_short(fl.target)!r} "
                              f"baseline={_short(fl.baseline_prediction)!r} "
                              f"candidate={_short(fl.candidate_prediction)!r}", style="dim"))
    for note in comp.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    return Group(*parts)


_TEST_SHORT = {"mcnemar_exact": "McNemar", "paired_permutation": "permutation", "none": "-"}


def print_comparison(comp: Comparison, console: Any = None) -> None:
    from rich.console import Console

    (console or Console()).print(render_rich(comp))


def _short(text: str | None, limit: int = 80) -> str:
    if text is None:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(comp: Comparison, *, max_flips: int = 5) -> str:
    ci = f"{comp.confidence:.0%} CI"
    lines = [f"_{_header(comp)}_", "", "| suite | task | metric | n | dropped b/c | baseline | candidate | "
             f"Δ [{ci}] | p | p adj | test | verdict |", "|" + "---|" * 12]
    for r in comp.rows:
        metric = (r.metric + ("" if r.higher_is_better else " (↓)") + ("" if r.filter == "none" else f" [{r.filter}]")
                  + ("" if r.primary else " (secondary)"))
        lines.append("| " + " | ".join(_md_cell(x) for x in (
            r.suite, r.task, metric, str(r.n), f"{r.dropped_baseline}/{r.dropped_candidate}",
            _value_ci(r.baseline, r.baseline_ci_low, r.baseline_ci_high),
            _value_ci(r.candidate, r.candidate_ci_low, r.candidate_ci_high), _delta_ci(r), fmt_p(r.p_value),
            fmt_p(r.p_adjusted), r.test, f"**{r.verdict}**" if r.verdict in ("improved", "regressed")
            else r.verdict)) + " |")
    if comp.suites:
        lines += ["", "| suite (macro mean) | tasks | n | baseline | candidate | "
                  f"Δ [{ci}] | p adj | verdict |", "|" + "---|" * 8]
        for s in comp.suites:
            excl = f" (excl. {', '.join(s.excluded_tasks)})" if s.excluded_tasks else ""
            lines.append("| " + " | ".join(_md_cell(x) for x in (
                s.suite, f"{len(s.tasks)}{excl}", str(s.n),
                _value_ci(s.baseline, s.baseline_ci_low, s.baseline_ci_high),
                _value_ci(s.candidate, s.candidate_ci_low, s.candidate_ci_high), _delta_ci(s),
                fmt_p(s.p_adjusted), s.verdict)) + " |")
    if comp.forgetting:
        lines += ["", f"| forgetting | n | baseline (above chance) | candidate (above chance) | kept [{ci}] | "
                  f"bits/byte ratio [{ci}] |", "|---|---|---|---|---|---|"]
        for f in comp.forgetting:
            ppl = ("—" if f.ppl_ratio is None
                   else f"{fmt(f.ppl_ratio)} {fmt_ci(f.ppl_ci_low, f.ppl_ci_high)} (n={f.ppl_n})")
            lines.append(f"| {f.suite} | {f.n} | {fmt(f.baseline)} | {fmt(f.candidate)} | "
                         f"{fmt(f.ratio)} {fmt_ci(f.ci_low, f.ci_high)} | {ppl} |")
    if comp.flip_counts:
        lines += ["", "| flips | n | right→wrong | wrong→right |", "|---|---|---|---|"]
        for fc in comp.flip_counts:
            lines.append(f"| {fc.task} | {fc.n} | {fc.right_to_wrong} | {fc.wrong_to_right} |")
        shown = [f for f in comp.flips if f.direction == "right_to_wrong"][:max_flips]
        if shown:
            lines += ["", "Examples right→wrong:", ""]
            for fl in shown:
                lines.append(f"- `{fl.task}` #{fl.doc_id}: target `{_md_cell(_short(fl.target))}`, baseline "
                             f"`{_md_cell(_short(fl.baseline_prediction))}`, candidate "
                             f"`{_md_cell(_short(fl.candidate_prediction))}`")
    if comp.notes:
        lines += [""] + [f"> note: {n}" for n in comp.notes]
    return "\n".join(lines) + "\n"


def to_json(comp: Comparison) -> dict[str, Any]:
    return comp.to_dict()
