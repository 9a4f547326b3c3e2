"""Compare two evaluations item by item: per task+metric rows, per-suite summaries, forgetting, flips.

Rules this module follows (the product principle: no number without its n and uncertainty, no
"improvement" without a test):
- Every mean is over the items both sides scored (see compare/align.py); n and the per-side drops are
  reported with it. Baseline, candidate and delta each carry a (1 - alpha) percentile bootstrap CI.
- Task rows: McNemar (0/1 metrics) or paired permutation test (continuous); the p-values of all task rows
  form one family corrected with Holm (default) or Benjamini-Hochberg. Verdict = corrected p < alpha,
  direction from the sign of delta and the metric's higher_is_better.
- Suite rows: macro mean over the suite's tasks of each task's primary metric, only tasks whose primary
  metric is higher-is-better (averaging accuracy with bits-per-byte means nothing; those tasks are listed
  as excluded). Delta CI and p-value from a paired bootstrap stratified by task (so the smallest p is
  2/(B+1)); suite rows are their own family for the correction.
- Forgetting (regression suites): candidate / baseline of that suite macro mean, CI from the same
  bootstrap. 1.0 = nothing forgotten, 0.9 = 10% of the baseline's score lost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from harness.compare.align import AlignedMetric, Alignment, ResolvedRuns, align
from harness.compare.stats import (
    DEFAULT_N_BOOT,
    DEFAULT_N_PERM,
    Correction,
    Verdict,
    adjust_p_values,
    is_binary,
    paired_estimate,
    paired_test,
    rng_for,
    verdict,
)
from harness.store import Store

# Same order as harness/evaluation/tables.py, except that per-item bits_per_byte comes before the per-item
# perplexities: a mean of per-document perplexities is dominated by a few hard documents (exp of the loss),
# while bits per byte averages like the loss itself.
PRIMARY_METRIC_ORDER = ("acc", "rouge_l", "rougeL", "exact_match", "acc_norm", "f1", "bleu", "bits_per_byte",
                        "nll", "byte_perplexity", "word_perplexity")


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


class MetricRow(BaseModel):
    """One task+metric. Means are over the n paired items; CIs at the comparison's confidence."""

    suite: str
    task: str
    metric: str
    primary: bool
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
    excluded_tasks: list[str]  # lower-is-better primary metric or no paired items
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
    """candidate / baseline of a regression suite's macro mean; < 1 means the candidate forgot."""

    suite: str
    tasks: list[str]
    n: int
    baseline: float | None
    candidate: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None


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

    def row(self, task: str, metric: str | None = None) -> MetricRow | None:
        """The row of a task's metric; metric=None picks the task's primary metric."""
        for r in self.rows:
            if r.task == task and (r.metric == metric if metric else r.primary):
                return r
        return None

    def suite_row(self, suite: str) -> SuiteRow | None:
        return next((s for s in self.suites if s.suite == suite), None)

    def forgetting_for(self, suite: str) -> ForgettingRow | None:
        return next((f for f in self.forgetting if f.suite == suite), None)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -- building ----------------------------------------------------------------------------------------
def primary_metric(metrics: Iterable[str], override: str | None = None) -> str:
    """The metric a task is judged on: an explicit override, else the first of PRIMARY_METRIC_ORDER."""
    names = sorted(set(metrics))
    if override and override in names:
        return override
    for name in PRIMARY_METRIC_ORDER:
        if name in names:
            return name
    return names[0]


def _side(resolved: ResolvedRuns) -> RunSide:
    return RunSide(label=resolved.label, model_id=resolved.model_id, runs=dict(resolved.task_runs),
                   notes=list(resolved.notes))


def _metric_row(m: AlignedMetric, primary: bool, *, alpha: float, n_boot: int, n_perm: int,
                seed: int) -> MetricRow:
    base = dict(suite=m.suite, task=m.task, metric=m.metric, primary=primary, higher_is_better=m.higher_is_better,
                n=m.n, dropped_baseline=m.dropped_baseline, dropped_candidate=m.dropped_candidate)
    if m.n == 0:
        return MetricRow(**base, baseline=None, baseline_ci_low=None, baseline_ci_high=None, candidate=None,
                         candidate_ci_low=None, candidate_ci_high=None, delta=None, ci_low=None, ci_high=None,
                         test="none", p_value=None, p_adjusted=None, verdict="no data")
    b, c = m.baseline_values, m.candidate_values
    est = paired_estimate([(b, c)], n_boot=n_boot, alpha=alpha, rng=rng_for(seed, "task", m.task, m.metric))
    test = paired_test(b, c, n_resamples=n_perm, rng=rng_for(seed, "test", m.task, m.metric))
    return MetricRow(
        **base, baseline=_f(est.baseline), baseline_ci_low=_f(est.baseline_ci[0]),
        baseline_ci_high=_f(est.baseline_ci[1]), candidate=_f(est.candidate),
        candidate_ci_low=_f(est.candidate_ci[0]), candidate_ci_high=_f(est.candidate_ci[1]),
        delta=_f(est.delta), ci_low=_f(est.delta_ci[0]), ci_high=_f(est.delta_ci[1]), test=test.test,
        p_value=_f(test.p_value), p_adjusted=None, verdict="no significant change",
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


def _suite_rows(primaries: list[AlignedMetric], *, alpha: float, n_boot: int, seed: int,
                regression_suites: Sequence[str]) -> tuple[list[SuiteRow], list[ForgettingRow], list[str]]:
    notes: list[str] = []
    suites: list[SuiteRow] = []
    forgetting: list[ForgettingRow] = []
    for suite in sorted({m.suite for m in primaries}):
        members = [m for m in primaries if m.suite == suite]
        used = [m for m in members if m.higher_is_better and m.n > 0]
        excluded = [m.task for m in members if m not in used]
        if not used:
            suites.append(SuiteRow(
                suite=suite, tasks=[], excluded_tasks=excluded, n=0, baseline=None, baseline_ci_low=None,
                baseline_ci_high=None, candidate=None, candidate_ci_low=None, candidate_ci_high=None, delta=None,
                ci_low=None, ci_high=None, p_value=None, p_adjusted=None, verdict="no data"))
            continue
        est = paired_estimate([(m.baseline_values, m.candidate_values) for m in used], n_boot=n_boot,
                              alpha=alpha, rng=rng_for(seed, "suite", suite))
        suites.append(SuiteRow(
            suite=suite, tasks=[m.task for m in used], excluded_tasks=excluded, n=est.n,
            baseline=_f(est.baseline), baseline_ci_low=_f(est.baseline_ci[0]),
            baseline_ci_high=_f(est.baseline_ci[1]), candidate=_f(est.candidate),
            candidate_ci_low=_f(est.candidate_ci[0]), candidate_ci_high=_f(est.candidate_ci[1]),
            delta=_f(est.delta), ci_low=_f(est.delta_ci[0]), ci_high=_f(est.delta_ci[1]),
            p_value=_f(est.delta_p_value), p_adjusted=None, verdict="no significant change"))
        if suite in regression_suites:
            forgetting.append(ForgettingRow(
                suite=suite, tasks=[m.task for m in used], n=est.n, baseline=_f(est.baseline),
                candidate=_f(est.candidate), ratio=_f(est.ratio), ci_low=_f(est.ratio_ci[0]),
                ci_high=_f(est.ratio_ci[1])))
    for suite in regression_suites:
        if not any(f.suite == suite for f in forgetting):
            notes.append(f"regression suite '{suite}' has no paired higher-is-better items: no forgetting score")
    return suites, forgetting, notes


def compare_alignment(alignment: Alignment, *, regression_suites: Sequence[str] = ("general",),
                      correction: Correction = "holm", alpha: float = 0.05, n_boot: int = DEFAULT_N_BOOT,
                      n_perm: int = DEFAULT_N_PERM, seed: int = 0, max_flips: int = 10,
                      primary_metrics: Mapping[str, str] | None = None) -> Comparison:
    """Statistics for already-aligned items (compare_runs without the store)."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    overrides = dict(primary_metrics or {})
    by_task: dict[str, list[AlignedMetric]] = {}
    for m in alignment.metrics:
        by_task.setdefault(m.task, []).append(m)
    primary_of = {task: primary_metric([m.metric for m in ms], overrides.get(task)) for task, ms in by_task.items()}

    rows: list[MetricRow] = []
    primaries: list[AlignedMetric] = []
    flip_counts: list[FlipCount] = []
    flips: list[Flip] = []
    for m in sorted(alignment.metrics, key=lambda m: (m.suite, m.task, m.metric != primary_of[m.task], m.metric)):
        is_primary = m.metric == primary_of[m.task]
        rows.append(_metric_row(m, is_primary, alpha=alpha, n_boot=n_boot, n_perm=n_perm, seed=seed))
        if is_primary:
            primaries.append(m)
            if m.n > 0 and is_binary(m.baseline_values, m.candidate_values):
                count, some = _flips(m, max_flips)
                flip_counts.append(count)
                flips.extend(some)

    adjusted = adjust_p_values([r.p_value for r in rows], correction)
    for r, p_adj in zip(rows, adjusted, strict=True):
        r.p_adjusted = _f(p_adj)
        r.verdict = verdict(r.delta, r.p_adjusted, alpha, r.higher_is_better, r.n)

    suites, forgetting, notes = _suite_rows(primaries, alpha=alpha, n_boot=n_boot, seed=seed,
                                            regression_suites=regression_suites)
    adjusted = adjust_p_values([s.p_value for s in suites], correction)
    for s, p_adj in zip(suites, adjusted, strict=True):
        s.p_adjusted = _f(p_adj)
        s.verdict = verdict(s.delta, s.p_adjusted, alpha, True, s.n)

    return Comparison(
        baseline=_side(alignment.baseline), candidate=_side(alignment.candidate), alpha=alpha,
        confidence=1 - alpha, correction=correction, n_boot=n_boot, seed=seed,
        regression_suites=list(regression_suites), rows=rows, suites=suites, forgetting=forgetting,
        flip_counts=flip_counts, flips=flips, notes=[*alignment.notes, *notes],
    )


def compare_runs(store: Store, baseline: str, candidate: str, *, regression_suites: Sequence[str] = ("general",),
                 correction: Correction = "holm", alpha: float = 0.05, n_boot: int = DEFAULT_N_BOOT,
                 n_perm: int = DEFAULT_N_PERM, seed: int = 0, max_flips: int = 10,
                 primary_metrics: Mapping[str, str] | None = None) -> Comparison:
    """Compare two evaluations. baseline/candidate: an eval run id, or a model id/ref (its latest completed
    eval run per task). Raises HarnessError when they cannot be resolved or share no items."""
    alignment = align(store, baseline, candidate)
    return compare_alignment(alignment, regression_suites=regression_suites, correction=correction, alpha=alpha,
                             n_boot=n_boot, n_perm=n_perm, seed=seed, max_flips=max_flips,
                             primary_metrics=primary_metrics)


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
    return (f"baseline: {comp.baseline.label} (model {comp.baseline.model_id or '?'})  vs  "
            f"candidate: {comp.candidate.label} (model {comp.candidate.model_id or '?'}); "
            f"{comp.confidence:.0%} bootstrap CIs (B={comp.n_boot}), {comp.correction}-corrected p, "
            f"alpha={comp.alpha}")


def render_rich(comp: Comparison, *, show_flips: int = 3) -> Any:
    """A rich renderable (Group of tables). Every number is shown with its n and CI."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    style = {"improved": "green", "regressed": "bold red", "no significant change": "dim", "no data": "yellow"}
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
        metric = ("" if r.primary else "·") + r.metric + ("" if r.higher_is_better else " ↓")
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
            suites.add_row(s.suite, f"{len(s.tasks)}{excl}", str(s.n),
                           f"{fmt(s.baseline)}\n{fmt_ci(s.baseline_ci_low, s.baseline_ci_high)}",
                           f"{fmt(s.candidate)}\n{fmt_ci(s.candidate_ci_low, s.candidate_ci_high)}",
                           f"{fmt_signed(s.delta)}\n{fmt_ci(s.ci_low, s.ci_high, signed=True)}",
                           fmt_p(s.p_adjusted), Text(s.verdict, style=style[s.verdict]))
        parts.append(suites)
    if comp.forgetting:
        forget = Table(title="Forgetting (candidate / baseline; 1 = nothing forgotten)", title_justify="left")
        for col in ("suite", "n", "baseline", "candidate", f"ratio [{ci}]"):
            forget.add_column(col)
        for f in comp.forgetting:
            forget.add_row(f.suite, str(f.n), fmt(f.baseline), fmt(f.candidate),
                           f"{fmt(f.ratio)} {fmt_ci(f.ci_low, f.ci_high)}")
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
        metric = r.metric + ("" if r.higher_is_better else " (↓)") + ("" if r.primary else " (secondary)")
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
        lines += ["", f"| forgetting (candidate/baseline) | n | baseline | candidate | ratio [{ci}] |",
                  "|---|---|---|---|---|"]
        for f in comp.forgetting:
            lines.append(f"| {f.suite} | {f.n} | {fmt(f.baseline)} | {fmt(f.candidate)} | "
                         f"{fmt(f.ratio)} {fmt_ci(f.ci_low, f.ci_high)} |")
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
