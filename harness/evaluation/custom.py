"""Evaluations that are not lm-eval: for stage outputs lm-eval cannot score (reward models, classifiers), a method's
`evaluate` hook computes per-item values and hands them here. They land in the same tables as lm-eval results
(`eval_results` with n and stderr, `eval_samples` per item, one `eval` run), so compare, gate and the dashboard
work on them unchanged.

    def evaluate(store, model, *, domain, stage, paths, limit, device) -> EvalSummary:
        items = [{"doc_id": i, "doc": text, "value": score(text), "prediction": ..., "target": ...} for ...]
        return record_eval(store, model, suite=f"{domain.name}_{stage}", task=..., metric=..., items=items,
                           higher_is_better=True, domain=domain.name, stage=stage)
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any

from harness.evaluation.runner import EvalSummary
from harness.fingerprint import fingerprint

if TYPE_CHECKING:
    from harness.models.refs import ModelRef
    from harness.store import Store


def record_eval(store: Store, model: ModelRef, *, suite: str, task: str, metric: str, items: list[dict[str, Any]],
                higher_is_better: bool, domain: str | None = None, stage: str | None = None,
                config: dict[str, Any] | None = None, extra_metrics: dict[str, bool] | None = None,
                chance: float | None = None, identity: dict[str, Any] | None = None,
                corpus_metrics: dict[str, tuple[float, bool]] | None = None) -> EvalSummary:
    """One completed eval run: the per-item `value`s of `items` (each with a stable `doc` or `doc_id`) and their
    mean with its standard error and n.

    extra_metrics: more per-item metrics, {name: higher_is_better}, read from each item's `name` key (a reward
    model's margin beside its pairwise accuracy). corpus_metrics: {name: (value, higher_is_better)} for metrics
    that exist only over the whole set (macro-F1); stored with n and no stderr, no per-item rows. An item's
    `doc_hash`, when given, pairs it with lm-eval's rows of the same document (lm-eval's own hash). identity: the
    task's eval_tasks row (what it is, so compare/gate pair only like with like); `metric` is its primary metric,
    `chance` its chance level."""
    values = [float(i["value"]) for i in items if i.get("value") is not None and math.isfinite(float(i["value"]))]
    if not values:
        raise ValueError(f"evaluation of {task} produced no finite values")
    cfg = {"suites": [suite], "limit": None, "model": model.ref, "model_path": model.path, "evaluator": "custom",
           **(config or {})}
    metrics = {metric: higher_is_better, **(extra_metrics or {})}
    task_row = None
    if identity is not None:
        from harness import __version__
        from harness.evaluation.tasks import config_hash

        task_row = {"task": task, "suite": suite, "config_hash": config_hash(identity),
                    "code_hash": identity.get("code_hash"), "config_json": identity, "primary_metric": metric,
                    "primary_filter": "none", "higher_is_better": higher_is_better, "chance": chance,
                    "n_docs": len(items), "lm_eval_version": None, "harness_version": __version__}
    with store.tracked_run("eval", domain=domain, stage=stage, config=cfg, model_id=model.model_id,
                           fingerprint=model.model_id) as run_id:
        return _write(store, model, run_id, suite, task, metrics, items, task_row, corpus_metrics or {})


def _aggregate(run_id: str, model: ModelRef, suite: str, task: str, metric: str, values: list[float],
               higher_is_better: bool) -> dict[str, Any]:
    return {"run_id": run_id, "model_id": model.model_id, "suite": suite, "task": task, "metric": metric,
            "filter": "none", "value": statistics.fmean(values),
            "stderr": statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None,
            "n": len(values), "higher_is_better": higher_is_better}


def _write(store: Store, model: ModelRef, run_id: str, suite: str, task: str, metrics: dict[str, bool],
           items: list[dict[str, Any]], task_row: dict[str, Any] | None,
           corpus: dict[str, tuple[float, bool]]) -> EvalSummary:
    aggregates, samples = [], []
    for n, (metric, higher) in enumerate(metrics.items()):
        key = "value" if n == 0 else metric
        values = [float(i[key]) for i in items if i.get(key) is not None and math.isfinite(float(i[key]))]
        if not values:
            continue
        aggregates.append(_aggregate(run_id, model, suite, task, metric, values, higher))
        samples += [{"run_id": run_id, "model_id": model.model_id, "suite": suite, "task": task,
                     "doc_id": item.get("doc_id", i),
                     "doc_hash": item.get("doc_hash") or fingerprint(item.get("doc", item.get("doc_id", i))),
                     "metric": metric, "value": item.get(key), "prediction": item.get("prediction"),
                     "target": item.get("target"), "prompt": item.get("doc")} for i, item in enumerate(items)]
    for metric, (value, higher) in corpus.items():
        aggregates.append({**_aggregate(run_id, model, suite, task, metric, [value], higher), "n": len(items)})
    store.add_eval(run_id, aggregates, samples, model_id=model.model_id, tasks=[task_row] if task_row else ())
    return EvalSummary(run_id, model.model_id, aggregates, n_samples=len(samples))
