"""Load the per-item rows of two evaluations and pair them item by item.

Only items both sides scored count: two runs can differ in what they saw (a changed suite, a --limit, a
crashed shard), and comparing means over different items would mix a data change into the model
difference. Items are matched on (task, metric, doc_hash), the content hash of the document, not the
doc_id position. What could not be paired is reported per side, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.compare.stats import default_higher_is_better
from harness.errors import HarnessError
from harness.store import Store

SAMPLE_COLS = ("run_id", "suite", "task", "metric", "doc_id", "doc_hash", "value", "prediction", "target",
               "prompt")
_KEY = ["task", "metric", "doc_hash"]


@dataclass
class ResolvedRuns:
    """What a user's argument (run id, model id or model ref) resolved to: the eval run used per task."""

    label: str
    model_id: str | None
    task_runs: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return sorted(set(self.task_runs.values()))

    def describe(self) -> str:
        runs = ", ".join(self.run_ids)
        return f"{self.label} (model {self.model_id or '?'}; runs {runs})"


@dataclass
class AlignedMetric:
    """One (task, metric) of both sides, paired on doc_hash. `items` has one row per paired item:
    doc_hash, doc_id, baseline, candidate, baseline_prediction, candidate_prediction, target, prompt."""

    suite: str
    task: str
    metric: str
    higher_is_better: bool
    items: pd.DataFrame
    n_baseline: int  # distinct items the baseline scored for this task/metric
    n_candidate: int

    @property
    def n(self) -> int:
        return len(self.items)

    @property
    def dropped_baseline(self) -> int:
        return self.n_baseline - self.n

    @property
    def dropped_candidate(self) -> int:
        return self.n_candidate - self.n

    @property
    def baseline_values(self) -> np.ndarray:
        return self.items["baseline"].to_numpy(dtype=float)

    @property
    def candidate_values(self) -> np.ndarray:
        return self.items["candidate"].to_numpy(dtype=float)


@dataclass
class Alignment:
    baseline: ResolvedRuns
    candidate: ResolvedRuns
    metrics: list[AlignedMetric]
    notes: list[str] = field(default_factory=list)


# -- resolving arguments -----------------------------------------------------------------------------
def _latest_eval_per_task(store: Store, model_id: str) -> dict[str, str]:
    rows = store.query(
        "SELECT s.task, r.run_id FROM runs r"
        " JOIN (SELECT DISTINCT run_id, task FROM eval_samples) s ON s.run_id = r.run_id"
        " WHERE r.kind = 'eval' AND r.status = 'completed' AND r.model_id = ?"
        " ORDER BY coalesce(r.finished_at, r.started_at), r.run_id",
        [model_id],
    )
    latest: dict[str, str] = {}
    for row in rows:  # ascending time: later runs overwrite earlier ones
        latest[row["task"]] = row["run_id"]
    return latest


def _eval_run_tasks(store: Store, run_id: str) -> dict[str, str]:
    rows = store.query("SELECT DISTINCT task FROM eval_samples WHERE run_id = ? ORDER BY task", [run_id])
    return {r["task"]: run_id for r in rows}


def _candidate_model_ids(store: Store, ref: str) -> list[str]:
    """Model ids the argument names: exact model_id, model ref or eval --model string (also as a resolved
    path), else a unique model-id prefix."""
    refs = [ref]
    if Path(ref).exists():
        refs.append(str(Path(ref).resolve()))
    marks = ", ".join("?" for _ in refs)
    rows = store.query(  # eval runs keep the user's --model string in config_json.model (e.g. `default`)
        f"SELECT model_id FROM models WHERE model_id = ? OR ref IN ({marks})"
        " UNION SELECT DISTINCT model_id FROM runs WHERE model_id = ?"
        " UNION SELECT DISTINCT model_id FROM runs WHERE kind = 'eval'"
        f" AND json_extract_string(config_json, '$.model') IN ({marks})",
        [ref, *refs, ref, *refs],
    )
    ids = sorted({r["model_id"] for r in rows if r["model_id"]})
    if not ids and len(ref) >= 6:
        rows = store.query(
            "SELECT DISTINCT model_id FROM runs WHERE kind = 'eval' AND starts_with(model_id, ?)", [ref])
        ids = sorted({r["model_id"] for r in rows if r["model_id"]})
        if len(ids) > 1:
            raise HarnessError(f"'{ref}' is a prefix of {len(ids)} model ids ({', '.join(ids[:4])})",
                               "pass more characters of the model id, or an eval run id")
    return ids


def resolve_runs(store: Store, ref: str) -> ResolvedRuns:
    """A run id, model id, model ref or unique model-id prefix -> the eval run to use for each task.

    An eval run id is used as is (it must be completed). Anything else names a model, and for each task
    the latest completed eval run of that model is used, so evaluations of different suites merge."""
    run = store.run(ref)
    if run is not None:
        if run["kind"] == "eval":
            if run["status"] != "completed":
                raise HarnessError(f"eval run {ref} is {run['status']}",
                                   "compare completed runs only (re-run the evaluation)")
            tasks = _eval_run_tasks(store, ref)
            if not tasks:
                raise HarnessError(f"eval run {ref} stored no per-item rows",
                                   "re-run the evaluation with per-sample logging enabled")
            return ResolvedRuns(ref, run["model_id"], tasks)
        if not run["model_id"]:
            raise HarnessError(f"run {ref} is a {run['kind']} run without a model",
                               "pass an eval run id, a model id or a model ref")
        resolved = resolve_runs(store, run["model_id"])
        resolved.label = ref
        resolved.notes.append(f"{ref} is a {run['kind']} run; used the evaluations of its model")
        return resolved

    ids = _candidate_model_ids(store, ref)
    per_model = {mid: _latest_eval_per_task(store, mid) for mid in ids}
    per_model = {mid: tasks for mid, tasks in per_model.items() if tasks}
    if not per_model:
        what = "no run, model id or model ref" if not ids else "a model with no completed eval runs"
        raise HarnessError(f"'{ref}' matches {what}",
                           "run `harness eval` for that model first, or pass an eval run id")
    notes: list[str] = []
    if len(per_model) > 1:
        finished = {mid: _newest_finish(store, list(tasks.values())) for mid, tasks in per_model.items()}
        chosen = max(finished, key=lambda mid: (finished[mid], mid))
        notes.append(f"'{ref}' matches {len(per_model)} model ids; used {chosen} (most recently evaluated)")
    else:
        chosen = next(iter(per_model))
    return ResolvedRuns(ref, chosen, per_model[chosen], notes)


def _newest_finish(store: Store, run_ids: list[str]) -> Any:
    marks = ", ".join("?" for _ in run_ids)
    row = store.query(f"SELECT max(coalesce(finished_at, started_at)) AS t FROM runs WHERE run_id IN ({marks})",
                      run_ids)
    return row[0]["t"]


# -- loading and aligning ----------------------------------------------------------------------------
def load_samples(store: Store, resolved: ResolvedRuns) -> pd.DataFrame:
    """Per-item rows of the runs `resolved` chose, each task from its own run."""
    by_run: dict[str, list[str]] = {}
    for task, run_id in resolved.task_runs.items():
        by_run.setdefault(run_id, []).append(task)
    frames = []
    for run_id, tasks in sorted(by_run.items()):
        marks = ", ".join("?" for _ in tasks)
        rows = store.query(
            f"SELECT {', '.join(SAMPLE_COLS)} FROM eval_samples WHERE run_id = ? AND task IN ({marks})",
            [run_id, *tasks],
        )
        frames.append(pd.DataFrame(rows, columns=list(SAMPLE_COLS)))
    if not frames:
        return pd.DataFrame(columns=list(SAMPLE_COLS))
    return pd.concat(frames, ignore_index=True)


def load_directions(store: Store, resolved: ResolvedRuns) -> dict[tuple[str, str], bool]:
    """higher_is_better per (task, metric) as the eval runner stored it in eval_results."""
    out: dict[tuple[str, str], bool] = {}
    for run_id in resolved.run_ids:
        rows = store.query("SELECT task, metric, suite, higher_is_better FROM eval_results"
                           " WHERE run_id = ? AND higher_is_better IS NOT NULL", [run_id])
        for r in rows:
            if resolved.task_runs.get(r["task"]) == run_id:
                out[(r["task"], r["metric"])] = bool(r["higher_is_better"])
    return out


def _suite_of(task: str, frames: list[pd.DataFrame]) -> str:
    for frame in frames:
        suites = frame.loc[frame["task"] == task, "suite"].dropna()
        if len(suites):
            return str(suites.iloc[0])
    return task.split("_", 1)[0]  # eval runner stored no suite: lm-eval tasks are named <suite>_<task>


def _dedupe(frame: pd.DataFrame, side: str, notes: list[str]) -> pd.DataFrame:
    """One row per (task, metric, doc_hash). Identical documents score identically, so keep the first."""
    frame = frame.sort_values(["task", "metric", "doc_id", "doc_hash"], na_position="last", kind="stable")
    dup = frame.duplicated(_KEY, keep="first")
    if dup.any():
        counts = frame.loc[dup].groupby("task").size()
        for task, count in counts.items():
            notes.append(f"{side}: {count} duplicate item(s) of task {task} (same doc_hash) counted once")
    return frame.loc[~dup]


def align_samples(baseline: pd.DataFrame, candidate: pd.DataFrame,
                  directions: dict[tuple[str, str], bool] | None = None,
                  notes: list[str] | None = None) -> list[AlignedMetric]:
    """Pair two sample frames (columns SAMPLE_COLS) on (task, metric, doc_hash).

    Items whose value is missing on a side are not paired. Every (task, metric) either side has yields an
    AlignedMetric, with n = 0 when nothing paired, so a missing task shows up instead of vanishing."""
    notes = notes if notes is not None else []
    directions = directions or {}
    b = _dedupe(baseline, "baseline", notes)
    c = _dedupe(candidate, "candidate", notes)
    keys = sorted(set(zip(b["task"], b["metric"], strict=True)) | set(zip(c["task"], c["metric"], strict=True)))
    b_groups = dict(tuple(b.groupby(["task", "metric"], sort=False)))
    c_groups = dict(tuple(c.groupby(["task", "metric"], sort=False)))
    empty = b.iloc[0:0]
    out: list[AlignedMetric] = []
    for task, metric in keys:
        bg = b_groups.get((task, metric), empty)
        cg = c_groups.get((task, metric), empty)
        merged = pd.merge(
            bg[["doc_hash", "doc_id", "value", "prediction", "target", "prompt"]],
            cg[["doc_hash", "doc_id", "value", "prediction", "target", "prompt"]],
            on="doc_hash", how="inner", suffixes=("_b", "_c"),
        )
        values_b = pd.to_numeric(merged["value_b"], errors="coerce")
        values_c = pd.to_numeric(merged["value_c"], errors="coerce")
        ok = np.isfinite(values_b.to_numpy(dtype=float)) & np.isfinite(values_c.to_numpy(dtype=float))
        merged = merged.loc[ok]
        items = pd.DataFrame({
            "doc_hash": merged["doc_hash"].to_numpy(),
            "doc_id": merged["doc_id_c"].combine_first(merged["doc_id_b"]).to_numpy(),
            "baseline": values_b[ok].to_numpy(dtype=float),
            "candidate": values_c[ok].to_numpy(dtype=float),
            "baseline_prediction": merged["prediction_b"].to_numpy(),
            "candidate_prediction": merged["prediction_c"].to_numpy(),
            "target": merged["target_c"].combine_first(merged["target_b"]).to_numpy(),
            "prompt": merged["prompt_c"].combine_first(merged["prompt_b"]).to_numpy(),
        }).sort_values(["doc_id", "doc_hash"], kind="stable", ignore_index=True)
        hib = directions.get((task, metric))
        out.append(AlignedMetric(
            suite=_suite_of(task, [cg, bg]), task=task, metric=metric,
            higher_is_better=default_higher_is_better(metric) if hib is None else hib,
            items=items, n_baseline=len(bg), n_candidate=len(cg),
        ))
    return out


def align(store: Store, baseline: str | ResolvedRuns, candidate: str | ResolvedRuns) -> Alignment:
    """Resolve both arguments, load their per-item rows and pair them."""
    base = baseline if isinstance(baseline, ResolvedRuns) else resolve_runs(store, baseline)
    cand = candidate if isinstance(candidate, ResolvedRuns) else resolve_runs(store, candidate)
    if base.task_runs == cand.task_runs:
        raise HarnessError(f"baseline and candidate both resolve to {', '.join(base.run_ids)}",
                           "pass two different models or eval runs")
    notes = [f"baseline: {n}" for n in base.notes] + [f"candidate: {n}" for n in cand.notes]
    directions = load_directions(store, base)
    directions.update(load_directions(store, cand))  # the candidate's runner is the newer one
    metrics = align_samples(load_samples(store, base), load_samples(store, cand), directions, notes)
    if not metrics:
        raise HarnessError("neither side has per-item eval rows", "run `harness eval` on both models first")
    if all(m.n == 0 for m in metrics):
        raise HarnessError(
            f"baseline {base.describe()} and candidate {cand.describe()} share no scored items",
            "evaluate both models on the same suites (items are matched by document content hash)")
    return Alignment(base, cand, metrics, notes)

