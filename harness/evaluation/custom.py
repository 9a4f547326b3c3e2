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
                config: dict[str, Any] | None = None) -> EvalSummary:
    """One completed eval run: the per-item `value`s of `items` (each with a stable `doc` or `doc_id`) and their
    mean with its standard error and n."""
    values = [float(i["value"]) for i in items if i.get("value") is not None and math.isfinite(float(i["value"]))]
    if not values:
        raise ValueError(f"evaluation of {task} produced no finite values")
    cfg = {"suites": [suite], "limit": None, "model": model.ref, "model_path": model.path, "evaluator": "custom",
           **(config or {})}
    with store.tracked_run("eval", domain=domain, stage=stage, config=cfg, model_id=model.model_id,
                           fingerprint=model.model_id) as run_id:
        return _write(store, model, run_id, suite, task, metric, items, values, higher_is_better)


def _write(store: Store, model: ModelRef, run_id: str, suite: str, task: str, metric: str,
           items: list[dict[str, Any]], values: list[float], higher_is_better: bool) -> EvalSummary:
    aggregate = {"run_id": run_id, "model_id": model.model_id, "suite": suite, "task": task, "metric": metric,
                 "filter": "none", "value": statistics.fmean(values),
                 "stderr": statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None,
                 "n": len(values), "higher_is_better": higher_is_better}
    samples = [{"run_id": run_id, "model_id": model.model_id, "suite": suite, "task": task,
                "doc_id": item.get("doc_id", i), "doc_hash": fingerprint(item.get("doc", item.get("doc_id", i))),
                "metric": metric, "value": item.get("value"), "prediction": item.get("prediction"),
                "target": item.get("target"), "prompt": item.get("doc")} for i, item in enumerate(items)]
    store.add_eval(run_id, [aggregate], samples, model_id=model.model_id)
    return EvalSummary(run_id, model.model_id, [aggregate], n_samples=len(samples))
