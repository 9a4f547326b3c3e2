"""`harness gate --plan`: can each rule of a policy tell a real change from noise at its suite's size?

For every rule: the number of paired items it will see, the expected CI half-width of what it judges (at
the policy's alpha), and from that the chance that an unchanged model passes a non-inferiority rule and the
minimum detectable effect of a significance rule. A rule whose margin is not larger than the half-width is
flagged: even a model identical to its baseline would usually come out INCONCLUSIVE.

Item counts come from a stored baseline eval (`--baseline`) when given, else from the suites themselves
(lm-eval loads the tasks). Per-item spread comes from the stored baseline where there is one, else from the
policy's `planning:` assumptions, which the output states. A rule on a metric that is defined on some items only
(legal_extract's f1_has_answer: answerable questions) sees that metric's items, keyed `task/metric` in the stats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harness.compare.stats import default_higher_is_better, is_binary
from harness.evaluation.tasks import suite_members, task_metas
from harness.gate.policy import (
    FloorRule,
    GatePolicy,
    MaxDropRule,
    MaxForgettingRule,
    MaxPerplexityIncreaseRule,
    MinImprovementRule,
    MinNRule,
)
from harness.store import Store

POWER = 0.8


@dataclass
class TaskStats:
    """What the plan knows about one task: items, whether 0/1, baseline level, chance, direction."""

    task: str
    n: int
    binary: bool
    baseline: float | None
    chance: float | None
    higher_is_better: bool
    source: str  # "stored baseline" | "suite definition"
    sd: float | None = None  # per-item sd of the stored values (a floor's CI is one side's mean, not a difference)


@dataclass
class PlanRow:
    rule: str
    kind: str
    target: str
    n: int | None
    margin: float | None
    half_width: float | None
    pass_if_unchanged: float | None  # non-inferiority rules: P(PASS | no true change)
    mde: float | None  # significance rules: smallest true improvement detected with 80% power
    resolvable: bool | None
    note: str = ""


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def task_stats_from_store(store: Store, baseline: str) -> dict[str, TaskStats]:
    """Per task (its primary metric), and per `task/metric` for every metric, from a stored eval: n is the
    items with a value, so a metric defined on some items only is planned on those."""
    from harness.compare.align import load_samples, load_task_rows, resolve_runs, task_info

    resolved = resolve_runs(store, baseline)
    samples = load_samples(store, resolved)
    rows = load_task_rows(store, resolved)
    out: dict[str, TaskStats] = {}
    for task, frame in samples.groupby("task"):
        info = task_info(str(task), [rows.get(str(task))], None)
        primary = info.primary_metric or sorted(frame["metric"].unique())[0]
        for metric in sorted(frame["metric"].unique()):
            values = pd.to_numeric(frame.loc[frame["metric"] == metric, "value"], errors="coerce").to_numpy(float)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            if metric == primary:
                hib = True if info.higher_is_better is None else bool(info.higher_is_better)
            else:
                hib = default_higher_is_better(str(metric))
            stats_ = TaskStats(str(task), int(values.size), is_binary(values), float(values.mean()),
                               info.chance if metric == primary else None, hib, "stored baseline",
                               float(np.std(values, ddof=1)) if values.size > 1 else None)
            out[f"{task}/{metric}"] = stats_
            if metric == primary:
                out[str(task)] = stats_
    return out


def task_stats_from_suites(tasks: list[str], metrics: Iterable[tuple[str, str]] = ()) -> dict[str, TaskStats]:
    """Per task from its suite definition; plus, per (task, metric) in `metrics` that is not the task's primary
    metric, `task/metric` stats whose n is the documents that metric is defined on (metric_items)."""
    from harness.evaluation.runner import task_manager
    from harness.evaluation.tasks import task_identities

    manager = task_manager(tasks)
    known = set(manager.all_tasks)
    wanted = [t for t in tasks if t in known]
    out: dict[str, TaskStats] = {}
    primary: dict[str, str | None] = {}
    for task, ident in task_identities(wanted, manager).items() if wanted else []:
        primary[task] = ident["primary_metric"]
        cfg = ident["config_json"]
        binary = cfg.get("output_type") == "multiple_choice"
        hib = True if ident["higher_is_better"] is None else bool(ident["higher_is_better"])
        out[task] = TaskStats(task, int(ident["n_docs"] or 0), binary, None, ident["chance"], hib,
                              "suite definition")
    extra = sorted({(t, m) for t, m in metrics if t in out and m != primary[t]})
    for (task, metric), n in metric_items(extra, manager).items():
        out[f"{task}/{metric}"] = TaskStats(task, n, out[task].binary, None, None, default_higher_is_better(metric),
                                            "suite definition")
    return out


def metric_items(pairs: Iterable[tuple[str, str]], manager: Any) -> dict[tuple[str, str], int]:
    """Documents each (task, metric) of a generation task is defined on, without a model: each document is
    scored with its own target as the answer. A task's process_results may leave a metric out on some documents
    (legal_extract's f1_has_answer on unanswerable questions); which it leaves out depends on the document.
    Tasks of other output types score every metric on every document, so they are left out here."""
    from harness.evaluation.tasks import load_tasks

    pairs = list(pairs)
    if not pairs:
        return {}
    tasks = load_tasks(sorted({t for t, _ in pairs}), manager)
    out: dict[tuple[str, str], int] = {}
    for task_name, metric in pairs:
        task = tasks.get(task_name)
        if task is None or task.OUTPUT_TYPE != "generate_until":
            continue
        try:
            out[(task_name, metric)] = sum(metric in task.process_results(doc, [str(task.doc_to_target(doc))])
                                           for doc in task.eval_docs)
        except Exception:  # noqa: BLE001 - a scorer that cannot take its own target: plan on the task's n
            continue
    return out


def _stats(known: dict[str, TaskStats], task: str | None, metric: str | None) -> TaskStats | None:
    """A rule's stats: its metric's where known (a metric defined on fewer items), else its task's."""
    return (known.get(f"{task}/{metric}") if metric else None) or known.get(task or "")


def _task_se(t: TaskStats, policy: GatePolicy) -> float | None:
    """Standard error of the paired per-task difference under the planning assumptions."""
    if t.n < 2:
        return None
    if t.binary:
        return math.sqrt(policy.planning.discordance / t.n)
    if t.baseline is None:
        return None
    return policy.planning.relative_sd * abs(t.baseline) / math.sqrt(t.n)


def _rel_se(ts: list[TaskStats], policy: GatePolicy) -> float | None:
    """SE of candidate/baseline of a macro mean of continuous tasks (relative spread, so no level needed)."""
    if not ts or any(t.n < 2 for t in ts):
        return None
    return math.sqrt(sum(policy.planning.relative_sd ** 2 / t.n for t in ts)) / len(ts)


def _members(suite: str, known: dict[str, TaskStats]) -> list[str]:
    members = suite_members().get(suite) or [t for t, m in task_metas().items() if m.suite == suite]
    return members or [t for t in known if t.startswith(f"{suite}_")]


def _ni_row(rule: Any, target: str, n: int | None, se: float | None, margin: float, alpha: float,
            note: str = "") -> PlanRow:
    if se is None:
        return PlanRow(rule.name, rule.kind, target, n, margin, None, None, None, None,
                       note or "per-item spread unknown: pass --baseline to plan from a stored eval")
    half = _z(alpha) * se
    lenient = getattr(rule, "lenient", False)
    if lenient:
        note = (note + "; " if note else "") + ("LENIENT: passes an unchanged model, but also passes a true loss "
                                                f"of the margin with probability {1 - _power(margin, se, alpha):.0%}")
    return PlanRow(rule.name, rule.kind, target, n, margin, half,
                   1.0 if lenient else float(stats.norm.cdf(margin / se - _z(alpha))), None, half < margin, note)


def _power(effect: float, se: float, alpha: float) -> float:
    """P(the CI excludes 0 in the effect's direction) for a true effect (normal approximation)."""
    return float(stats.norm.cdf(effect / se - _z(alpha)))


def plan_policy(policy: GatePolicy, known: dict[str, TaskStats]) -> list[PlanRow]:
    alpha = policy.alpha
    family = sum(isinstance(r, MinImprovementRule) and r.significant for r in policy.rules) or 1
    rows: list[PlanRow] = []
    for rule in policy.rules:
        if isinstance(rule, MinNRule):
            tasks = rule.tasks or ([t for t in _members(rule.suite, known)] if rule.suite else sorted(known))
            ns = [known[t].n for t in tasks if t in known]
            n = min(ns) if ns else None
            rows.append(PlanRow(rule.name, rule.kind, rule.target(), n, float(rule.min_n), None, None, None,
                                n is not None and n >= rule.min_n and len(ns) == len(tasks),
                                "" if len(ns) == len(tasks) else "some tasks unknown"))
        elif isinstance(rule, MinImprovementRule | FloorRule):
            t = _stats(known, rule.task, rule.metric)
            if t is None:
                rows.append(PlanRow(rule.name, rule.kind, rule.target(), None, None, None, None, None, False,
                                    f"task {rule.task} not found"))
                continue
            if isinstance(rule, FloorRule):
                p = t.baseline if t.baseline is not None else 0.5
                note = f"judged on the {'CI bound' if rule.on == 'ci' else 'point estimate'}"
                if t.sd is not None and t.n >= 2:  # the stored baseline's item spread; the candidate's sets the CI
                    se: float | None = t.sd / math.sqrt(t.n)
                    note += " (half-width at the baseline's per-item spread)"
                else:
                    se = math.sqrt(p * (1 - p) / t.n) if t.binary else _task_se(t, policy)
                half = None if se is None else _z(alpha) * se
                rows.append(PlanRow(rule.name, rule.kind, rule.target(), t.n, rule.threshold, half, None, None,
                                    None, note))
                continue
            se = _task_se(t, policy)
            mde = None
            if se is not None and rule.significant:
                mde = (float(stats.norm.ppf(1 - alpha / (2 * family))) + float(stats.norm.ppf(POWER))) * se
            if se is None:
                note = "continuous metric: pass --baseline to plan from a stored eval's spread"
            elif rule.significant:
                note = f"MDE at {POWER:.0%} power, Holm family of {family}"
            else:
                note = "judged on the point estimate"
            rows.append(PlanRow(rule.name, rule.kind, rule.target(), t.n, rule.delta,
                                None if se is None else _z(alpha) * se, None, mde, None if mde is None else True,
                                note))
        elif isinstance(rule, MaxDropRule):
            if rule.task:
                t = _stats(known, rule.task, rule.metric)
                rows.append(_ni_row(rule, rule.target(), t.n if t else None, _task_se(t, policy) if t else None,
                                    rule.max_drop, alpha, "" if t else f"task {rule.task} not found"))
            else:
                members = [known[m] for m in _members(rule.suite or "", known) if m in known]
                acc = [t for t in members if t.higher_is_better]
                ses = [_task_se(t, policy) for t in acc]
                se = None if not acc or None in ses else math.sqrt(sum(s * s for s in ses)) / len(acc)  # type: ignore[operator]
                rows.append(_ni_row(rule, rule.target(), sum(t.n for t in acc) or None, se, rule.max_drop, alpha))
        elif isinstance(rule, MaxForgettingRule):
            members = [known[m] for m in _members(rule.suite, known) if m in known and known[m].higher_is_better]
            se = None
            note = ""
            if members and all(t.n >= 2 for t in members):
                above = []
                for t in members:
                    c = t.chance or 0.0
                    level = t.baseline if t.baseline is not None else policy.planning.baseline_score
                    above.append((level - c) / (1 - c))
                base_above = float(np.mean(above))
                ses = [(_task_se(t, policy) or 0.0) / (1 - (t.chance or 0.0)) for t in members]
                if base_above > 0:
                    se = math.sqrt(sum(s * s for s in ses)) / len(members) / base_above
                note = f"baseline above-chance score {base_above:.2f}"
            rows.append(_ni_row(rule, rule.target(), sum(t.n for t in members) or None, se, rule.max_forgetting,
                                alpha, note))
        elif isinstance(rule, MaxPerplexityIncreaseRule):
            members = [known[m] for m in _members(rule.suite, known) if m in known and not known[m].higher_is_better]
            rows.append(_ni_row(rule, rule.target(), sum(t.n for t in members) or None, _rel_se(members, policy),
                                rule.max_increase, alpha, f"relative per-item sd {policy.planning.relative_sd}"))
    return rows


def rule_metrics(policy: GatePolicy) -> list[tuple[str, str]]:
    """(task, metric) of the rules naming a metric of a task."""
    return [(r.task, r.metric) for r in policy.rules if getattr(r, "task", None) and getattr(r, "metric", None)]  # type: ignore[union-attr]


def rule_tasks(policy: GatePolicy) -> list[str]:
    tasks: list[str] = []
    for rule in policy.rules:
        if getattr(rule, "task", None):
            tasks.append(rule.task)  # type: ignore[arg-type]
        for suite in [getattr(rule, "suite", None)]:
            if suite:
                tasks += suite_members().get(suite, [])
        tasks += list(getattr(rule, "tasks", None) or [])
    return list(dict.fromkeys(tasks))


def plan_rows_json(rows: list[PlanRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
