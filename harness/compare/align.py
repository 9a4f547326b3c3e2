"""Load the per-item rows of two evaluations and pair them item by item.

Only items both sides scored count: two runs can differ in what they saw (a changed suite, a --limit, a
crashed shard), and comparing means over different items would mix a data change into the model
difference. Items are matched on (task, metric, filter, doc_hash), the content hash of the document, not
the doc_id position; a document repeated inside a task is paired by occurrence and reported. What could not
be paired is reported per side, never dropped silently.

Two runs are comparable only when each shared task was evaluated the same way: the task-config hash
(prompt template, few-shot, generation settings, filters, metrics, version) and every paired item's prompt
hash must agree, otherwise `align` refuses (or, with allow_config_drift, records the drift so every output
says so). A model reference resolves per task to the newest complete, unlimited eval whose task config
matches the other side's; limited (smoke) evals are used only when named by run id.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.compare import pairing
from harness.compare.stats import default_higher_is_better
from harness.compare.suite_defs import suite_of, task_metas
from harness.errors import HarnessError
from harness.evaluation.aggregation import Aggregation, aggregation_for
from harness.evaluation.tasks import TaskMeta, config_diff
from harness.store import Store

SAMPLE_COLS = ("run_id", "suite", "task", "metric", "filter", "doc_id", "doc_hash", "value", "prediction",
               "target", "prompt", "prompt_hash", "weight")
_KEY = ["task", "metric", "filter", "doc_hash", "occurrence"]


@dataclass
class ResolvedRuns:
    """What a user's argument (run id, model id or model ref) resolved to: the eval run used per task."""

    label: str
    model_id: str | None
    task_runs: dict[str, str]
    notes: list[str] = field(default_factory=list)
    explicit: bool = False  # named by eval run id (limited runs allowed)
    limits: dict[str, Any] = field(default_factory=dict)  # run id -> its --limit, for limited runs only

    @property
    def run_ids(self) -> list[str]:
        return sorted(set(self.task_runs.values()))

    @property
    def limited(self) -> bool:
        return bool(self.limits)

    def describe(self) -> str:
        runs = ", ".join(self.run_ids)
        return f"{self.label} (model {self.model_id or '?'}; runs {runs})"


@dataclass
class TaskInfo:
    """How a task is judged, as its suite YAML declared it (stored with the run, else read from the suite)."""

    suite: str
    primary_metric: str | None = None
    primary_filter: str | None = None
    higher_is_better: bool | None = None
    chance: float | None = None
    config_hash: str | None = None


@dataclass
class AlignedMetric:
    """One (task, metric, filter) of both sides, paired on doc_hash. `items` has one row per paired item:
    doc_hash, doc_id, baseline, candidate, weight, baseline_prediction, candidate_prediction, target, prompt."""

    suite: str
    task: str
    metric: str
    higher_is_better: bool
    items: pd.DataFrame
    n_baseline: int  # items the baseline scored for this task/metric/filter (with a value: see align_samples)
    n_candidate: int
    filter: str = "none"
    kind: Aggregation = "mean"
    chance: float | None = None

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

    @property
    def weights(self) -> np.ndarray | None:
        if self.kind == "mean" or "weight" not in self.items:
            return None
        return self.items["weight"].to_numpy(dtype=float)


@dataclass
class Alignment:
    baseline: ResolvedRuns
    candidate: ResolvedRuns
    metrics: list[AlignedMetric]
    notes: list[str] = field(default_factory=list)
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    config_drift: list[dict[str, Any]] = field(default_factory=list)  # allowed drift, named in every output


# -- resolving arguments -----------------------------------------------------------------------------
@dataclass
class _EvalRun:
    run_id: str
    limit: Any
    tasks: dict[str, str | None]  # task -> config hash (None: not stored)


def _eval_runs(store: Store, model_id: str) -> list[_EvalRun]:
    """Completed eval runs of a model, newest first, with their tasks and task-config hashes."""
    rows = store.query(
        "SELECT run_id, config_json FROM runs WHERE kind = 'eval' AND status = 'completed' AND model_id = ?"
        " ORDER BY coalesce(finished_at, started_at) DESC, run_id DESC", [model_id])
    return [_EvalRun(r["run_id"], json.loads(r["config_json"] or "{}").get("limit"), _run_tasks(store, r["run_id"]))
            for r in rows]


def _run_tasks(store: Store, run_id: str) -> dict[str, str | None]:
    tasks: dict[str, str | None] = {r["task"]: None for r in store.query(  # tasks with per-item rows
        "SELECT DISTINCT task FROM eval_sample_stats WHERE run_id = ? ORDER BY task", [run_id])}
    for r in store.query("SELECT task, config_hash FROM eval_tasks WHERE run_id = ?", [run_id]):
        if r["task"] in tasks:
            tasks[r["task"]] = r["config_hash"]
    return tasks


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


@dataclass
class _Side:
    """A resolved argument before pairing: one explicit run, or a model's eligible runs (newest first)."""

    label: str
    model_id: str | None
    runs: list[_EvalRun]
    explicit: bool
    notes: list[str] = field(default_factory=list)


def _resolve_side(store: Store, ref: str) -> _Side:
    run = store.run(ref)
    if run is not None:
        if run["kind"] == "eval":
            if run["status"] != "completed":
                raise HarnessError(f"eval run {ref} is {run['status']}",
                                   "compare completed runs only (re-run the evaluation)")
            tasks = _run_tasks(store, ref)
            if not tasks:
                raise HarnessError(f"eval run {ref} stored no per-item rows",
                                   "re-run the evaluation with per-sample logging enabled")
            limit = json.loads(run["config_json"] or "{}").get("limit")
            return _Side(ref, run["model_id"], [_EvalRun(ref, limit, tasks)], explicit=True)
        if not run["model_id"]:
            raise HarnessError(f"run {ref} is a {run['kind']} run without a model",
                               "pass an eval run id, a model id or a model ref")
        side = _resolve_side(store, run["model_id"])
        side.label = ref
        side.notes.append(f"{ref} is a {run['kind']} run; used the evaluations of its model")
        return side

    ids = _candidate_model_ids(store, ref)
    per_model = {mid: runs for mid in ids if (runs := _eval_runs(store, mid))}
    if not per_model:
        what = "no run, model id or model ref" if not ids else "a model with no completed eval runs"
        raise HarnessError(f"'{ref}' matches {what}",
                           "run `harness eval` for that model first, or pass an eval run id")
    notes: list[str] = []
    chosen = next(iter(per_model))
    if len(per_model) > 1:
        chosen = max(per_model, key=lambda mid: (_newest_finish(store, [per_model[mid][0].run_id]), mid))
        notes.append(f"'{ref}' matches {len(per_model)} model ids; used {chosen} (most recently evaluated)")
    runs = per_model[chosen]
    full = [r for r in runs if r.limit is None]
    if not full:
        limits = sorted({str(r.limit) for r in runs})
        raise HarnessError(
            f"'{ref}' has only limited (smoke) evaluations (--limit {', '.join(limits)}), never used implicitly",
            "run a full `harness eval` of that model, or pass the limited eval's run id explicitly")
    if len(full) < len(runs):
        notes.append(f"ignored {len(runs) - len(full)} limited (smoke) eval run(s) of {ref}")
    return _Side(ref, chosen, full, explicit=False, notes=notes)


def _newest_finish(store: Store, run_ids: list[str]) -> Any:
    marks = ", ".join("?" for _ in run_ids)
    row = store.query(f"SELECT max(coalesce(finished_at, started_at)) AS t FROM runs WHERE run_id IN ({marks})",
                      run_ids)
    return row[0]["t"]


def _options(side: _Side, task: str) -> list[tuple[str, str | None]]:
    return [(r.run_id, r.tasks[task]) for r in side.runs if task in r.tasks]


def _finish(side: _Side, chosen: dict[str, str], extra_notes: list[str]) -> ResolvedRuns:
    limits = {r.run_id: r.limit for r in side.runs if r.limit is not None and r.run_id in chosen.values()}
    return ResolvedRuns(side.label, side.model_id, chosen, [*side.notes, *extra_notes], explicit=side.explicit,
                        limits=limits)


def resolve_pair(store: Store, baseline: str, candidate: str) -> tuple[ResolvedRuns, ResolvedRuns]:
    """Resolve both arguments, choosing per task the newest eval of each side whose task config matches the
    other side's (so an older eval made with an outdated prompt is never paired with a fresh one)."""
    b, c = _resolve_side(store, baseline), _resolve_side(store, candidate)
    tasks = sorted({t for r in b.runs + c.runs for t in r.tasks})
    chosen_b: dict[str, str] = {}
    chosen_c: dict[str, str] = {}
    notes_b: list[str] = []
    notes_c: list[str] = []
    for task in tasks:
        ob, oc = _options(b, task), _options(c, task)
        if not ob or not oc:
            if ob:
                chosen_b[task] = ob[0][0]
            if oc:
                chosen_c[task] = oc[0][0]
            continue
        pick = next(((rb, rc) for rc, hc in oc for rb, hb in ob if hb is not None and hb == hc), None)
        if pick is None:
            pick = (ob[0][0], oc[0][0])
        chosen_b[task], chosen_c[task] = pick
        for chosen, opts, notes in ((pick[0], ob, notes_b), (pick[1], oc, notes_c)):
            if chosen != opts[0][0]:
                notes.append(f"task {task}: used {chosen}, not the newer {opts[0][0]}, whose task config "
                             "differs from the other side's")
    return _finish(b, chosen_b, notes_b), _finish(c, chosen_c, notes_c)


def resolve_runs(store: Store, ref: str) -> ResolvedRuns:
    """A run id, model id, model ref or unique model-id prefix -> the eval run to use for each task.

    An eval run id is used as is (it must be completed). Anything else names a model, and for each task
    the newest complete, unlimited eval run of that model is used, so evaluations of different suites merge.
    (compare and gate use resolve_pair, which also matches task configs across the two sides.)"""
    side = _resolve_side(store, ref)
    chosen: dict[str, str] = {}
    for run in reversed(side.runs):  # oldest first: newer runs overwrite
        for task in run.tasks:
            chosen[task] = run.run_id
    return _finish(side, chosen, [])


# -- loading and aligning ----------------------------------------------------------------------------
def load_samples(store: Store, resolved: ResolvedRuns) -> pd.DataFrame:
    """Per-item rows of the runs `resolved` chose, each task from its own run."""
    by_run: dict[str, list[str]] = {}
    for task, run_id in resolved.task_runs.items():
        by_run.setdefault(run_id, []).append(task)
    frames = []
    for run_id, tasks in sorted(by_run.items()):
        marks = ", ".join("?" for _ in tasks)
        lo, hi = store.sample_rows_range(run_id)  # lets DuckDB skip other runs' row groups
        frames.append(store.query_arrow(  # columnar: no Python object per row
            f"SELECT {', '.join(SAMPLE_COLS)} FROM eval_samples WHERE run_id = ? AND task IN ({marks})"
            " AND rowid BETWEEN ? AND ?", [run_id, *tasks, lo, hi]).to_pandas())
    frames = [f for f in frames if not f.empty]
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


def load_task_rows(store: Store, resolved: ResolvedRuns) -> dict[str, dict[str, Any]]:
    """eval_tasks rows (identity and declared metadata) of the runs `resolved` chose, per task."""
    out: dict[str, dict[str, Any]] = {}
    for run_id in resolved.run_ids:
        for r in store.query("SELECT * FROM eval_tasks WHERE run_id = ?", [run_id]):
            if resolved.task_runs.get(r["task"]) == run_id:
                out[r["task"]] = r
    return out


def task_info(task: str, stored: list[dict[str, Any] | None], sample_suite: str | None) -> TaskInfo:
    """Declared metadata of a task: from the eval's stored row (candidate first), else the suite YAML."""
    row = next((r for r in stored if r), None)
    if row and row.get("suite"):  # the eval stored what the suite declared: no need to read the suite YAML
        return TaskInfo(suite=row["suite"], primary_metric=row["primary_metric"],
                        primary_filter=row["primary_filter"], higher_is_better=row["higher_is_better"],
                        chance=_finite(row["chance"]), config_hash=row["config_hash"])
    meta: TaskMeta | None = task_metas().get(task)
    suite = (row or {}).get("suite") or (meta.suite if meta else None) or suite_of(task) or sample_suite
    if row:
        return TaskInfo(suite=suite or task, primary_metric=row["primary_metric"],
                        primary_filter=row["primary_filter"], higher_is_better=row["higher_is_better"],
                        chance=_finite(row["chance"]), config_hash=row["config_hash"])
    if meta:
        return TaskInfo(suite=suite or task, primary_metric=meta.primary_metric, primary_filter=meta.primary_filter,
                        higher_is_better=meta.higher_is_better, chance=meta.chance)
    return TaskInfo(suite=suite or task.split("_", 1)[0])


def _finite(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def align_samples(baseline: pd.DataFrame, candidate: pd.DataFrame,
                  directions: dict[tuple[str, str], bool] | None = None,
                  notes: list[str] | None = None, tasks: dict[str, TaskInfo] | None = None) -> list[AlignedMetric]:
    """Pair two sample frames (columns SAMPLE_COLS) on (task, metric, filter, doc_hash, occurrence).

    A document repeated within (task, metric, filter) is numbered by doc_id order and paired by occurrence.
    Items whose value is missing (NULL or NaN) on a side are not paired, and not counted as that side's unpaired
    items either: the metric is not defined there (SQuAD v2's f1_has_answer on an unanswerable question), the
    same as an item without a row for it, so n and the unpaired counts are over the items it scores. Every
    (task, metric, filter) either side has yields an AlignedMetric, with n = 0 when nothing paired, so a missing
    task shows up instead of vanishing. Matching runs on integer codes (harness/compare/pairing.py)."""
    notes = notes if notes is not None else []
    directions = directions or {}
    tasks = tasks or {}
    for frame in (baseline, candidate):
        for col in SAMPLE_COLS:
            if col not in frame:
                frame[col] = None
    b, c, groups = pairing.sides(baseline, candidate)
    for side, label in ((b, "baseline"), (c, "candidate")):
        for task, count in pairing.repeats(side, groups):
            notes.append(f"{label}: task {task} repeats {count} document(s) (same doc_hash); paired by occurrence")
    values_b = pd.to_numeric(b.frame["value"], errors="coerce").to_numpy(dtype=float)
    values_c = pd.to_numeric(c.frame["value"], errors="coerce").to_numpy(dtype=float)
    out: list[AlignedMetric] = []
    for code, (task, metric, filt) in enumerate(groups):
        pb, pc, docs = pairing.pair(b, c, code)
        ok = np.isfinite(values_b[pb]) & np.isfinite(values_c[pc])
        pb, pc, docs = pb[ok], pc[ok], docs[ok]

        def both(col: str, pb: np.ndarray = pb, pc: np.ndarray = pc) -> pd.Series:
            """The candidate's value, else the baseline's."""
            return (c.frame[col].take(pc).reset_index(drop=True)
                    .combine_first(b.frame[col].take(pb).reset_index(drop=True)))

        doc_id = both("doc_id")
        missing, rank = pairing._sort_key(doc_id)
        final = np.lexsort((np.arange(len(pb)), docs, rank, missing))  # by doc_id, then doc_hash (stable)
        pb, pc = pb[final], pc[final]
        items = pd.DataFrame({
            "doc_hash": b.frame["doc_hash"].take(pb).to_numpy(),
            "doc_id": doc_id.take(final).to_numpy(),
            "baseline": values_b[pb],
            "candidate": values_c[pc],
            "weight": pd.to_numeric(both("weight", pb, pc), errors="coerce").to_numpy(dtype=float),
            "baseline_prediction": b.frame["prediction"].take(pb).to_numpy(),
            "candidate_prediction": c.frame["prediction"].take(pc).to_numpy(),
            "target": both("target", pb, pc).to_numpy(),
            "prompt": both("prompt", pb, pc).to_numpy(),
        })
        w = items["weight"].to_numpy(dtype=float)
        has_weights = bool(len(w)) and bool(np.all(np.isfinite(w) & (w > 0)))
        info = tasks.get(task) or task_info(task, [], _first(c, b, code))
        hib = directions.get((task, metric))
        if hib is None and metric == info.primary_metric:
            hib = info.higher_is_better
        out.append(AlignedMetric(
            suite=info.suite, task=task, metric=metric,
            higher_is_better=default_higher_is_better(metric) if hib is None else hib,
            items=items, n_baseline=_scored(b, values_b, code), n_candidate=_scored(c, values_c, code),
            filter=str(filt),
            kind=aggregation_for(metric, has_weights), chance=info.chance if metric == info.primary_metric else None,
        ))
    return out


def _scored(side: pairing.Side, values: np.ndarray, group: int) -> int:
    """Rows of a group with a value (values are per frame position)."""
    return int(np.isfinite(values[side.order[side.rows(group)]]).sum())


def _first(c: pairing.Side, b: pairing.Side, group: int) -> str | None:
    """The first suite named by the group's rows, candidate first."""
    for side in (c, b):
        vals = side.frame["suite"].take(side.order[side.rows(group)]).dropna()
        if len(vals):
            return str(vals.iloc[0])
    return None


def _prompt_drift(baseline: pd.DataFrame, candidate: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per task: (paired documents whose rendered prompt differs, paired documents with prompt hashes)."""
    cols = ["task", "doc_hash", "prompt_hash"]
    b = baseline[cols].dropna().drop_duplicates(["task", "doc_hash"])
    c = candidate[cols].dropna().drop_duplicates(["task", "doc_hash"])
    merged = pd.merge(b, c, on=["task", "doc_hash"], suffixes=("_b", "_c"))
    out: dict[str, tuple[int, int]] = {}
    for task, g in merged.groupby("task"):
        out[str(task)] = (int((g["prompt_hash_b"] != g["prompt_hash_c"]).sum()), len(g))
    return out


def check_config_drift(base_rows: dict[str, dict[str, Any]], cand_rows: dict[str, dict[str, Any]],
                       baseline: pd.DataFrame, candidate: pd.DataFrame, notes: list[str]) -> list[dict[str, Any]]:
    """Tasks both sides scored whose task config or rendered prompts differ: a prompt change is not a model
    change. Tasks without a stored config (older stores) are noted, and judged by their prompt hashes."""
    shared = sorted(set(baseline["task"].unique()) & set(candidate["task"].unique()))
    prompts = _prompt_drift(baseline, candidate)
    drift: list[dict[str, Any]] = []
    unknown = []
    for task in shared:
        fields: list[str] = []
        rb, rc = base_rows.get(task), cand_rows.get(task)
        if rb and rc and rb["config_hash"] and rc["config_hash"]:
            if rb["config_hash"] != rc["config_hash"]:
                fields += config_diff(_loads(rb["config_json"]), _loads(rc["config_json"])) or ["config_hash"]
        else:
            unknown.append(task)
        changed, total = prompts.get(task, (0, 0))
        if changed:
            fields.append(f"prompt of {changed}/{total} paired documents")
        if fields:
            drift.append({"task": task, "fields": list(dict.fromkeys(fields)),
                          "baseline_config_hash": (rb or {}).get("config_hash"),
                          "candidate_config_hash": (rc or {}).get("config_hash")})
    if unknown:
        notes.append(f"no stored task config for {', '.join(unknown)} (older store or external writer): "
                     "config drift checked on prompt hashes only")
    return drift


def _loads(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else value


def drift_message(drift: list[dict[str, Any]]) -> str:
    return "; ".join(f"{d['task']} ({', '.join(d['fields'])})" for d in drift)


def align(store: Store, baseline: str | ResolvedRuns, candidate: str | ResolvedRuns, *,
          allow_config_drift: bool = False) -> Alignment:
    """Resolve both arguments, load their per-item rows, check they were evaluated the same way, pair them."""
    with store.session():  # one connection for the dozen small reads of resolving and loading
        if isinstance(baseline, ResolvedRuns) and isinstance(candidate, ResolvedRuns):
            base, cand = baseline, candidate
        elif isinstance(baseline, ResolvedRuns) or isinstance(candidate, ResolvedRuns):
            base = baseline if isinstance(baseline, ResolvedRuns) else resolve_runs(store, baseline)
            cand = candidate if isinstance(candidate, ResolvedRuns) else resolve_runs(store, candidate)
        else:
            base, cand = resolve_pair(store, baseline, candidate)
        return _align(store, base, cand, allow_config_drift)


def _align(store: Store, base: ResolvedRuns, cand: ResolvedRuns, allow_config_drift: bool) -> Alignment:
    if base.task_runs == cand.task_runs:
        raise HarnessError(f"baseline and candidate both resolve to {', '.join(base.run_ids)}",
                           "pass two different models or eval runs")
    notes = [f"baseline: {n}" for n in base.notes] + [f"candidate: {n}" for n in cand.notes]
    directions = load_directions(store, base)
    directions.update(load_directions(store, cand))  # the candidate's runner is the newer one
    b_samples, c_samples = load_samples(store, base), load_samples(store, cand)
    base_rows, cand_rows = load_task_rows(store, base), load_task_rows(store, cand)
    drift = check_config_drift(base_rows, cand_rows, b_samples, c_samples, notes)
    if drift and not allow_config_drift:
        raise HarnessError(
            f"task config differs between baseline and candidate: {drift_message(drift)}",
            "re-evaluate both models with the current suite (harness eval --no-reuse), or pass "
            "--allow-config-drift to compare anyway (every output then says so)")
    all_tasks = sorted(set(b_samples["task"].unique()) | set(c_samples["task"].unique()))
    b_suite = b_samples.dropna(subset=["suite"]).drop_duplicates("task").set_index("task")["suite"]
    c_suite = c_samples.dropna(subset=["suite"]).drop_duplicates("task").set_index("task")["suite"]
    tasks = {t: task_info(t, [cand_rows.get(t), base_rows.get(t)],
                          str(c_suite[t]) if t in c_suite.index else str(b_suite[t]) if t in b_suite.index else None)
             for t in all_tasks}
    metrics = align_samples(b_samples, c_samples, directions, notes, tasks)
    if not metrics:
        raise HarnessError("neither side has per-item eval rows", "run `harness eval` on both models first")
    if all(m.n == 0 for m in metrics):
        raise HarnessError(
            f"baseline {base.describe()} and candidate {cand.describe()} share no scored items",
            "evaluate both models on the same suites (items are matched by document content hash)")
    if drift:
        notes.insert(0, f"CONFIG DRIFT ALLOWED: {drift_message(drift)}; differences in these tasks may come "
                        "from the evaluation change, not the model")
    return Alignment(base, cand, metrics, notes, tasks, drift)
