"""Run lm-eval suites on a model and store aggregates and per-item rows in one transaction."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from harness.console import console
from harness.errors import HarnessError
from harness.evaluation.backends import EvalBackend
from harness.evaluation.prompt_format import batches, chat_template_of, merge_results
from harness.evaluation.tasks import suite_members, task_identities

if TYPE_CHECKING:  # torch (harness.device) is imported only when an evaluation runs: reuse needs none of it
    from harness.device import DevicePlan
    from harness.models.refs import ModelRef
    from harness.store import Store

PROMPT_CHARS = 4000
FEWSHOT_SEED = 1234
# Per-item value for loglikelihood_rolling metrics, whose samples hold (loglikelihood, weight) pairs.
ROLLING_ITEM_VALUE = {
    "word_perplexity": lambda ll, w: math.exp(-ll / w) if w else float("nan"),
    "byte_perplexity": lambda ll, w: math.exp(-ll / w) if w else float("nan"),
    "bits_per_byte": lambda ll, w: -ll / (w * math.log(2)) if w else float("nan"),
}


@dataclass
class EvalSummary:
    run_id: str
    model_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    n_samples: int = 0  # per-item rows lm-eval produced in this run (copied rows of reused tasks not counted)
    reused: bool = False  # the whole run is an earlier one
    reused_tasks: dict[str, str] = field(default_factory=dict)  # task -> run that evaluated it (task-level reuse)


@lru_cache(maxsize=8)
def _task_manager(include_paths: tuple[str, ...], include_defaults: bool):
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=list(include_paths), include_defaults=include_defaults)


def task_manager(names: Iterable[str] | None = None):
    """lm-eval tasks of the general suites and of every domain's suite folder (harness.domains).

    lm-eval's own ~15k task YAMLs are indexed only when `names` asks for something the harness's suites lack (or
    is not given): that index costs 10-70 s per process on 2 cores, and the tasks' identities are the same from
    either manager (tests/test_eval_reuse.py)."""
    from harness.domains import suite_include_paths

    paths = tuple(str(p) for p in suite_include_paths())
    if names is not None:
        own = _task_manager(paths, False)
        if set(names) <= set(own.all_tasks):
            return own
    return _task_manager(paths, True)


def available_suites() -> list[str]:
    """Suites: folders under suites/ and each domain's suite groups (`_<group>.yaml`)."""
    from harness.domains import suite_include_paths

    names: set[str] = set()
    for root in suite_include_paths():
        names |= {p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml"))}
        names |= {p.stem[1:] for p in root.glob("_*.yaml")}
    return sorted(names)


def _check_suites(names: list[str]) -> None:
    known = set(task_manager(names).all_tasks)
    missing = [n for n in names if n not in known]
    if missing:
        raise HarnessError(f"unknown suite or task {', '.join(missing)} (suites: {', '.join(available_suites())})",
                           "pass --suite with one of the listed suites or an lm-eval task name")


def _task_to_suite(results: dict[str, Any], identities: dict[str, dict[str, Any]]) -> dict[str, str]:
    """A task's suite is what the suite definitions say, not how the eval was launched (a task evaluated on
    its own still belongs to its suite); lm-eval's groups only fill in for tasks defined elsewhere."""
    mapping: dict[str, str] = {task: ident["suite"] for task, ident in identities.items() if ident.get("suite")}
    for group, subtasks in (results.get("group_subtasks") or {}).items():
        for task in subtasks:
            mapping.setdefault(task, group)
    return mapping


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _aggregate_rows(results: dict[str, Any], run_id: str, model_id: str, suite_of: dict[str, str]) -> list[dict]:
    rows = []
    groups = set((results.get("group_subtasks") or {}).keys())
    for task, metrics in results["results"].items():
        if task in groups:
            continue
        n = (results.get("n-samples") or {}).get(task, {}).get("effective")
        hib = (results.get("higher_is_better") or {}).get(task, {})
        for key, value in metrics.items():
            if "," not in key or "_stderr," in key or key == "alias":
                continue
            metric, filt = key.split(",", 1)
            if _number(value) is None:
                continue
            rows.append({
                "run_id": run_id, "model_id": model_id, "suite": suite_of.get(task, task), "task": task,
                "metric": metric, "filter": filt, "value": float(value),
                "stderr": _number(metrics.get(f"{metric}_stderr,{filt}")), "n": n,
                "higher_is_better": hib.get(metric),
            })
    return rows


def _prediction_and_target(sample: dict[str, Any]) -> tuple[str | None, str | None]:
    """Readable prediction/target: chosen continuation for multiple choice, text for generation."""
    args = sample.get("arguments") or []
    resps = sample.get("filtered_resps") or []
    target = sample.get("target")
    if args and resps and all(isinstance(r, list | tuple) and len(r) == 2 for r in resps) and len(args[0]) >= 2:
        best = max(range(len(resps)), key=lambda i: resps[i][0])
        prediction = str(args[best][1]).strip()
        if isinstance(target, int) and 0 <= target < len(args):
            target = args[target][1]
        return prediction, None if target is None else str(target).strip()
    if resps and isinstance(resps[0], str):
        return resps[0], None if target is None else str(target)
    return None, None if target is None else str(target)[:PROMPT_CHARS]


def _sample_rows(results: dict[str, Any], run_id: str, model_id: str, suite_of: dict[str, str]) -> list[dict]:
    rows = []
    for task, samples in (results.get("samples") or {}).items():
        for sample in samples:
            prediction, target = _prediction_and_target(sample)
            args = sample.get("arguments") or [[""]]
            prompt = str(args[0][0])[-PROMPT_CHARS:] if args and args[0] else None
            for metric in sample.get("metrics", []):
                raw = sample.get(metric)
                weight = None
                if isinstance(raw, list | tuple) and len(raw) == 2 and metric in ROLLING_ITEM_VALUE:
                    value = ROLLING_ITEM_VALUE[metric](float(raw[0]), float(raw[1]))
                    weight = float(raw[1])  # words or bytes: the aggregate is a ratio over these
                else:
                    value = _number(raw)
                rows.append({
                    "run_id": run_id, "model_id": model_id, "suite": suite_of.get(task, task), "task": task,
                    "doc_id": sample.get("doc_id"), "doc_hash": sample["doc_hash"], "metric": metric,
                    "value": value, "prediction": prediction, "target": target, "prompt": prompt,
                    "filter": sample.get("filter"), "prompt_hash": sample.get("prompt_hash"), "weight": weight,
                })
    return rows


def _n_docs(results: dict[str, Any], task: str, ident: dict[str, Any]) -> int | None:
    n = (results.get("n-samples") or {}).get(task, {}).get("effective")
    return n if isinstance(n, int) else ident.get("n_docs")


def _fill_missing_stderr(aggregates: list[dict], samples: list[dict]) -> None:
    """lm-eval gives no stderr for corpus-level metrics (perplexities, bits_per_byte): use the standard error
    of the same estimator compare uses (harness/evaluation/aggregation.py), so no figure lacks one."""
    import numpy as np

    from harness.evaluation.aggregation import aggregation_for, linearized_stderr

    for row in aggregates:
        if row["stderr"] is not None:
            continue
        items = [s for s in samples if s["task"] == row["task"] and s["metric"] == row["metric"]
                 and s.get("filter", row["filter"]) == row["filter"]
                 and s["value"] is not None and math.isfinite(s["value"])]
        if len(items) < 2:
            continue
        weights = [s.get("weight") for s in items]
        has_w = all(w is not None and w > 0 for w in weights)
        se = linearized_stderr(np.array([s["value"] for s in items]), np.array(weights, dtype=float) if has_w
                               else None, aggregation_for(row["metric"], has_w))
        if math.isfinite(se):
            row["stderr"] = se


def _count_items(aggregates: list[dict], samples: list[dict]) -> None:
    """n of each aggregate = its per-item rows with a value, not the task's document count.

    A metric can be undefined on some items: a task's process_results may leave its key out for them (lm-eval
    then averages it over the items that produced it) or give None / NaN (stored as NULL). lm-eval reports one
    sample count per task, so `n` would claim every document for a metric scored on some; compare and the gate
    pair only items with a value, and this makes `harness eval`'s tables and the dashboard say the same n.
    A task (and filter) without per-item rows keeps lm-eval's count."""
    counts: dict[tuple[str, str, str | None], int] = {}
    logged: set[tuple[str, str | None]] = set()
    for s in samples:
        logged.add((s["task"], s.get("filter")))
        if s["value"] is not None and math.isfinite(s["value"]):
            key = (s["task"], s["metric"], s.get("filter"))
            counts[key] = counts.get(key, 0) + 1
    for row in aggregates:
        if (row["task"], row["filter"]) in logged:
            row["n"] = counts.get((row["task"], row["metric"], row["filter"]), 0)


def find_reusable_eval(store: Store, model_id: str, identities: dict[str, dict[str, Any]],
                       limit: int | float | None, dtype: str, backend: dict[str, Any] | None = None) -> str | None:
    """Latest completed eval of the same model, limit, dtype and backend whose tasks are exactly these, each
    with the same config and suite-code hash: evaluation is deterministic, so it is reused. A changed prompt,
    few-shot count, generation setting, filter or metric changes the hash and forces a fresh run."""
    want = {t: (i["config_hash"], i["code_hash"]) for t, i in identities.items()}
    return find_reusable_run(store, model_id, want, limit, dtype, backend, data_hashes(identities))


def data_hashes(identities: dict[str, dict[str, Any]]) -> dict[str, str]:
    """{task: hash of its suite folder's data} (tasks without a folder have none)."""
    return {t: i["data_hash"] for t, i in sorted(identities.items()) if i.get("data_hash")}


def _same_setting_runs(store: Store, model_id: str, limit: int | float | None, dtype: str,
                       backend: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """(run id, config) of the completed evals of `model_id` with this limit, dtype and backend, newest first:
    the part of the reuse key that is the run's, not its tasks'."""
    import json

    rows = store.query(
        "SELECT run_id, config_json FROM runs WHERE kind = 'eval' AND status = 'completed' AND model_id = ?"
        " ORDER BY started_at DESC", [model_id])
    out = []
    for row in rows:
        cfg = json.loads(row["config_json"] or "{}")
        if cfg.get("limit") != limit or cfg.get("dtype") != dtype:
            continue
        if (cfg.get("backend") or {"name": "hf"}) != (backend or {"name": "hf"}):  # runs before backends were hf
            continue
        out.append((row["run_id"], cfg))
    return out


def find_reusable_run(store: Store, model_id: str, want: dict[str, tuple[str, str | None]],
                      limit: int | float | None, dtype: str, backend: dict[str, Any] | None,
                      data: dict[str, str]) -> str | None:
    """find_reusable_eval on {task: (config_hash, code_hash)} and {task: data_hash} (harness/evaluation/reuse.py
    computes these without lm-eval). Runs stored before data hashes were recorded are not reused."""
    for run_id, cfg in _same_setting_runs(store, model_id, limit, dtype, backend):
        if (cfg.get("data_hashes") or {}) != data:
            continue
        stored = store.query("SELECT task, config_hash, code_hash FROM eval_tasks WHERE run_id = ?", [run_id])
        if {r["task"]: (r["config_hash"], r["code_hash"]) for r in stored} == want:
            return run_id
    return None


@dataclass(frozen=True)
class TaskSource:
    """Where a reused task's stored rows come from: `run_id` holds them (the newest such run), `origin` is the run
    whose lm-eval call evaluated the task (the same run unless that one had reused it too)."""

    run_id: str
    origin: str


def find_task_sources(store: Store, model_id: str, identities: dict[str, dict[str, Any]],
                      limit: int | float | None, dtype: str, backend: dict[str, Any] | None = None
                      ) -> dict[str, TaskSource]:
    """Per requested task, the newest completed eval of the same model, limit, dtype and backend that holds that
    task with the same config hash, suite-code hash and suite-data hash: the whole-run key of find_reusable_eval,
    applied task by task, so adding a task to a suite (or the general suite met again with other tasks) costs
    only what changed. Tasks without such a run are absent."""
    want = {t: (i["config_hash"], i["code_hash"]) for t, i in identities.items()}
    data = data_hashes(identities)
    runs = _same_setting_runs(store, model_id, limit, dtype, backend)
    if not runs:
        return {}
    stored: dict[str, dict[str, tuple[str, str | None]]] = {}
    for r in store.query("SELECT run_id, task, config_hash, code_hash FROM eval_tasks"
                         " WHERE list_contains(?, run_id) AND list_contains(?, task)",
                         [[run_id for run_id, _ in runs], sorted(want)]):
        stored.setdefault(r["run_id"], {})[r["task"]] = (r["config_hash"], r["code_hash"])
    found: dict[str, TaskSource] = {}
    for run_id, cfg in runs:  # newest first
        held, run_data = stored.get(run_id, {}), cfg.get("data_hashes") or {}
        for task, key in want.items():
            if task not in found and held.get(task) == key and run_data.get(task) == data.get(task):
                found[task] = TaskSource(run_id, (cfg.get("reused_tasks") or {}).get(task, run_id))
    return found


def split_requests(requested: list[str], tasks: Iterable[str], reused: Iterable[str],
                   members: dict[str, list[str]]) -> list[str] | None:
    """The names to hand lm-eval when the `reused` tasks are not evaluated: a requested suite none of whose tasks
    is reused stays whole (lm-eval still reports its group), one partly reused becomes its remaining tasks, one
    wholly reused is dropped. None when the suite definitions do not list every task the request resolved to
    (a group defined by lm-eval itself): then nothing is reused task by task, since it could not be left out."""
    tasks, reused = set(tasks), set(reused)
    listed = {name: [t for t in members.get(name, [name]) if t in tasks] for name in requested}
    if not all(listed.values()) or set().union(*listed.values()) != tasks:
        return None
    out: list[str] = []
    for name in requested:
        left = [t for t in listed[name] if t not in reused]
        if left == listed[name]:
            out.append(name)
        else:
            out.extend(t for t in left if t not in out)
    return out


def run_eval(store: Store, model: ModelRef, suites: list[str], *, limit: int | float | None = None,
             batch_size: int | str | None = None, device: DevicePlan | None = None, domain: str | None = None,
             stage: str | None = None, reuse: bool = True, bootstrap_iters: int = 1000,
             backend: EvalBackend | None = None) -> EvalSummary:
    """Evaluate `model` on lm-eval suites/tasks and store everything under one eval run. `backend`: the engine
    lm-eval scores with (harness/evaluation/backends.py; default hf in this process).

    With `reuse` (the default) nothing is evaluated twice: a stored run holding exactly these tasks is returned
    as is; otherwise each task a stored run holds under the same key (find_task_sources) is copied into the new
    run and lm-eval evaluates only the others, so a suite met again beside other suites (the base model's
    general suite in every domain of `demo --all`) or a request adding one task costs only what is new."""
    from harness.device import plan_device
    from harness.evaluation import reuse as quick_reuse  # not `reuse`: that name is the parameter

    _check_suites(suites)
    device = device or plan_device()
    backend = backend or EvalBackend()
    template = chat_template_of(model.path, model.trust_remote_code)
    identities = task_identities(suites, task_manager(suites), fewshot_seed=FEWSHOT_SEED, chat_template=template)
    # what lm-eval and transformers said, for `harness eval`'s quick reuse check next time (reuse.py)
    quick_reuse.remember_configs(quick_reuse.suites_key(suites, FEWSHOT_SEED), identities)
    quick_reuse.remember_template(model.path, model.trust_remote_code, template)
    if reuse and (existing := find_reusable_eval(store, model.model_id, identities, limit, device.dtype_name,
                                                 backend.identity())):
        console.print(f"eval reuse: all {len(identities)} tasks from run {existing}", highlight=False)
        return EvalSummary(existing, model.model_id, store.query(
            "SELECT * FROM eval_results WHERE run_id = ? ORDER BY task, metric", [existing]), reused=True)
    sources = find_task_sources(store, model.model_id, identities, limit, device.dtype_name,
                                backend.identity()) if reuse else {}
    members = suite_members()
    names = split_requests(suites, identities, sources, members) if sources else suites
    if names is None:  # a group the suite definitions do not list: evaluated whole, nothing reused
        sources, names = {}, suites
    if sources:
        console.print(f"eval reuse: {len(sources)} of {len(identities)} tasks from earlier runs of this model "
                      f"({', '.join(sorted(sources))}; from {', '.join(sorted({s.origin for s in sources.values()}))})"
                      f"; lm-eval runs the other {len(identities) - len(sources)}", highlight=False)
    batch_size = batch_size or ("auto" if device.device == "cuda" else 16)
    config = {"suites": suites, "limit": limit, "model": model.ref, "model_path": model.path,
              "adapter": model.adapter_path, "dtype": device.dtype_name, "batch_size": batch_size,
              "backend": backend.identity(), "trust_remote_code": model.trust_remote_code,
              "data_hashes": data_hashes(identities),
              **({"reused_tasks": {t: s.origin for t, s in sorted(sources.items())}} if sources else {})}
    with store.tracked_run("eval", domain=domain, stage=stage, config=config, model_id=model.model_id,
                           fingerprint=model.model_id) as run_id:
        formats = {task: ident["config_json"]["prompt_format"] for task, ident in identities.items()}
        parts = [backend.evaluate(
            model, device, tasks=batch, log_samples=True, limit=limit, batch_size=batch_size,
            bootstrap_iters=bootstrap_iters, random_seed=0, numpy_random_seed=1234, torch_random_seed=1234,
            fewshot_random_seed=FEWSHOT_SEED, apply_chat_template=chat,
        ) for chat, batch in batches(names, formats, members)]  # one lm-eval call per prompt format
        results = merge_results(parts) if parts else {"results": {}}
        suite_of = _task_to_suite(results, identities)
        aggregates = _aggregate_rows(results, run_id, model.model_id, suite_of)
        samples = _sample_rows(results, run_id, model.model_id, suite_of)
        _fill_missing_stderr(aggregates, samples)
        _count_items(aggregates, samples)
        evaluated = ({s["task"] for s in samples} | {a["task"] for a in aggregates}) - set(sources)
        tasks = [{**ident, "n_docs": _n_docs(results, task, ident)} for task, ident in identities.items()
                 if task in evaluated]
        store.add_eval(run_id, [a for a in aggregates if a["task"] in evaluated],
                       [s for s in samples if s["task"] in evaluated], model_id=model.model_id, tasks=tasks,
                       copy_tasks={t: s.run_id for t, s in sources.items()})
    if sources:  # the stored run holds the copied tasks too
        aggregates = store.query("SELECT * FROM eval_results WHERE run_id = ? ORDER BY task, metric", [run_id])
    return EvalSummary(run_id, model.model_id, aggregates, n_samples=len(samples),
                       reused_tasks={t: s.origin for t, s in sources.items()})
