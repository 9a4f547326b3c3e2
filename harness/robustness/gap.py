"""The robustness gap: clean minus perturbed score, paired on the same items.

A perturbed copy renames each task (`<task>_adv_<tag>`) and changes every prompt, so its items cannot be
paired on doc_hash or prompt hash (compare/align does that for like-for-like runs); they are paired on
(clean task, metric, filter, doc_id): the copy keeps the clean suite's order (harness.robustness.perturb).
The gap is oriented so that a positive value is a loss from perturbing (for lower-is-better metrics the sign
is flipped); CIs are paired bootstrap percentile intervals, tests McNemar / paired permutation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.compare.stats import default_higher_is_better, paired_bootstrap_ci, paired_test
from harness.errors import HarnessError
from harness.robustness.suite import clean_task_name
from harness.store import Store


@dataclass
class GapRow:
    task: str  # clean task name
    metric: str
    filter: str
    n: int
    clean: float
    perturbed: float
    gap: float  # clean - perturbed (in the "better" direction: positive = perturbing hurts)
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    flipped: int  # items right on the clean copy and wrong on the perturbed one (0/1 metrics)


def _samples(store: Store, run_id: str) -> dict[tuple[str, str, str, int], float]:
    rows = store.query("SELECT task, metric, coalesce(filter, 'none') AS filter, doc_id, value FROM eval_samples"
                       " WHERE run_id = ? AND value IS NOT NULL", [run_id])
    if not rows:
        raise HarnessError(f"eval run {run_id} has no per-item rows in the store",
                           "pass eval run ids from `harness runs --kind eval`")
    return {(clean_task_name(r["task"]), r["metric"], r["filter"], int(r["doc_id"])): float(r["value"])
            for r in rows}


def _directions(store: Store, run_id: str) -> dict[tuple[str, str], bool]:
    rows = store.query("SELECT task, metric, higher_is_better FROM eval_results WHERE run_id = ?", [run_id])
    return {(clean_task_name(r["task"]), r["metric"]): r["higher_is_better"] for r in rows
            if r["higher_is_better"] is not None}


def robustness_gap(store: Store, clean_run: str, perturbed_run: str, *, n_boot: int = 2000,
                   primary_only: bool = False) -> list[GapRow]:
    """One row per (task, metric, filter) both runs scored, paired on doc id."""
    clean, pert = _samples(store, clean_run), _samples(store, perturbed_run)
    hib = _directions(store, clean_run)
    groups: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for key, value in clean.items():
        if key in pert:
            groups.setdefault(key[:3], []).append((value, pert[key]))
    if not groups:
        raise HarnessError(f"runs {clean_run} and {perturbed_run} share no (task, doc id) item",
                           "pass a clean eval and the eval of its perturbed copy (same suite, same --limit)")
    primary = None
    if primary_only:
        primary = {(r["task"], r["primary_metric"]) for r in store.query(
            "SELECT task, primary_metric FROM eval_tasks WHERE run_id = ?", [clean_run])}
    out = []
    for (task, metric, filter_), pairs in sorted(groups.items()):
        if primary is not None and (task, metric) not in primary:
            continue
        c = np.array([p[0] for p in pairs])
        p = np.array([p[1] for p in pairs])
        sign = 1.0 if hib.get((task, metric), default_higher_is_better(metric)) else -1.0
        # paired_bootstrap_ci gives mean(candidate - baseline): candidate = clean, baseline = perturbed
        low, high = paired_bootstrap_ci(sign * p, sign * c, n_boot=n_boot, rng=0)
        test = paired_test(p, c, rng=0)
        out.append(GapRow(task, metric, filter_, len(pairs), float(c.mean()), float(p.mean()),
                          float(sign * (c.mean() - p.mean())), low, high, test.p_value, test.test,
                          int(np.count_nonzero((c == 1) & (p == 0))) if set(np.unique(np.r_[c, p])) <= {0, 1}
                          else 0))
    return out


def gap_table(rows: list[GapRow], title: str) -> Any:
    from rich.table import Table

    table = Table("task", "metric", "n", "clean", "perturbed", "gap (clean − perturbed)", "95% CI", "p",
                  "flipped", title=title, title_justify="left")
    for r in rows:
        table.add_row(r.task, r.metric if r.filter in ("none", "") else f"{r.metric} ({r.filter})", str(r.n),
                      f"{r.clean:.3f}", f"{r.perturbed:.3f}", f"{r.gap:+.3f}",
                      f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]", "n/a" if np.isnan(r.p_value) else f"{r.p_value:.3g}",
                      str(r.flipped))
    return table


@dataclass
class GapChange:
    """How a model's robustness gap changed (e.g. after adversarial training): per item, gap = clean − perturbed
    of each model, paired on doc id; reduction = mean(gap before) − mean(gap after) (positive = more robust)."""

    task: str
    metric: str
    n: int
    gap_before: float
    gap_after: float
    reduction: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str


def _item_gaps(store: Store, clean_run: str, perturbed_run: str, task: str, metric: str) -> dict[int, float]:
    clean, pert = _samples(store, clean_run), _samples(store, perturbed_run)
    sign = 1.0 if _directions(store, clean_run).get((task, metric), default_higher_is_better(metric)) else -1.0
    return {key[3]: sign * (value - pert[key]) for key, value in clean.items()
            if key[0] == task and key[1] == metric and key in pert}


def gap_change(store: Store, before: tuple[str, str], after: tuple[str, str], *, task: str, metric: str,
               n_boot: int = 2000) -> GapChange:
    """Paired test of two models' robustness gaps on the same items: `before` and `after` are (clean eval run,
    perturbed eval run) of each model. CI: paired bootstrap of the per-item gap difference; p: paired
    permutation test (scipy via compare.stats)."""
    a = _item_gaps(store, *before, task, metric)
    b = _item_gaps(store, *after, task, metric)
    docs = sorted(set(a) & set(b))
    if len(docs) < 2:
        raise HarnessError(f"the two models share {len(docs)} scored item(s) of {task}/{metric}",
                           "evaluate both on the same suite and --limit")
    ga, gb = np.array([a[d] for d in docs]), np.array([b[d] for d in docs])
    low, high = paired_bootstrap_ci(gb, ga, n_boot=n_boot, rng=0)  # mean(ga - gb): the reduction
    test = paired_test(gb, ga, rng=0)
    return GapChange(task, metric, len(docs), float(ga.mean()), float(gb.mean()), float((ga - gb).mean()), low,
                     high, test.p_value, test.test)
