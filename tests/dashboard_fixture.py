"""A synthetic store for the dashboard tests: two releases of one domain (base → cpt → sft → dpo), train
curves (one of them overfits), evaluations with per-item rows, gates that pass and fail, a failed run.

Written through the Store API so it has exactly the shape the pipeline writes; used when the real
`pipeline_store` fixture is not available, and for cases the real pipeline cannot produce on demand
(overfitting, a failing gate, a failed run)."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from harness.store import Store

DOMAIN = "support_chat"
T0 = datetime(2025, 1, 6, 9, 0, 0)
INTENTS = ["refund", "cancel", "shipping", "password", "invoice"]
# (suite, task, metric, higher_is_better, n items)
TASKS = [
    ("support_chat", "support_chat_intent", "acc", True, 60),
    ("support_chat", "support_chat_reply", "rouge_l", True, 30),
    ("world", "world_qa", "acc", True, 200),  # items drawn independently per stage (high churn): the gate's
    # non-inferiority rules need this many to resolve their margins
    ("world", "world_wiki", "bits_per_byte", False, 20),
]
# per (stage label) the item-level skill: probability right (0/1 tasks) or mean value (continuous)
SKILL = {
    "base": {"support_chat_intent": 0.30, "support_chat_reply": 0.20, "world_qa": 0.62, "world_wiki": 1.40},
    "cpt": {"support_chat_intent": 0.40, "support_chat_reply": 0.24, "world_qa": 0.60, "world_wiki": 1.35},
    "sft": {"support_chat_intent": 0.85, "support_chat_reply": 0.41, "world_qa": 0.58, "world_wiki": 1.42},
    "dpo": {"support_chat_intent": 0.88, "support_chat_reply": 0.44, "world_qa": 0.57, "world_wiki": 1.43},
    "sft2": {"support_chat_intent": 0.80, "support_chat_reply": 0.40, "world_qa": 0.30, "world_wiki": 1.70},
    "dpo2": {"support_chat_intent": 0.82, "support_chat_reply": 0.42, "world_qa": 0.28, "world_wiki": 1.75},
}


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _set_times(store: Store, run_id: str, start: datetime, minutes: float) -> None:
    with store.transaction() as con:
        con.execute("UPDATE runs SET started_at = ?, finished_at = CASE WHEN finished_at IS NULL THEN NULL"
                    " ELSE ? END WHERE run_id = ?", [start, start + timedelta(minutes=minutes), run_id])


def _curve(run_id: str, steps: int, overfit: bool, seed: int) -> list[dict]:
    rng = random.Random(seed)
    scale = 1 + 0.1 * (seed % 3)
    rows = []
    for step in range(0, steps + 1, 2):
        if step:
            loss = scale * 3.0 * math.exp(-step / 25) + 0.6 + rng.uniform(-0.03, 0.03)
            rows.append({"run_id": run_id, "step": step, "epoch": step / steps, "split": "train", "loss": loss,
                         "learning_rate": 2e-4 * (1 - step / steps), "grad_norm": 1.0 + rng.random(),
                         "tokens_seen": step * 2048})
        if step % 10 == 0:
            val = scale * 3.1 * math.exp(-step / 25) + 0.75
            if overfit and step > 20:
                val = scale * 3.1 * math.exp(-20 / 25) + 0.75 + 0.04 * (step - 20) / 2
            rows.append({"run_id": run_id, "step": step, "epoch": step / steps, "split": "validation",
                         "loss": val, "tokens_seen": step * 2048, "metrics_json": {"runtime_ok": 1}})
    return rows


def _items(stage: str, suite: str, task: str, metric: str, n: int, run_id: str, model_id: str, seed: int):
    rng = random.Random(f"{seed}-{stage}-{task}")
    skill = SKILL[stage][task]
    samples = []
    for i in range(n):
        intent = INTENTS[i % len(INTENTS)]
        prompt = f"Customer message #{i}: I need help with my {intent}.\nIntent:"
        if metric == "acc":
            right = rng.random() < skill
            value = 1.0 if right else 0.0
            prediction = intent if right else INTENTS[(i + 1) % len(INTENTS)]
            target = intent
        elif metric == "bits_per_byte":
            value = max(0.1, rng.gauss(skill, 0.1))
            prediction, target = None, None
        else:
            value = min(1.0, max(0.0, rng.gauss(skill, 0.1)))
            prediction, target = f"Sure, I can help with your {intent} ({stage}).", f"Happy to help with {intent}."
        samples.append({"run_id": run_id, "model_id": model_id, "suite": suite, "task": task, "doc_id": i,
                        "doc_hash": _hash(task, i), "metric": metric, "value": value, "prediction": prediction,
                        "target": target, "prompt": prompt})
    return samples


def _eval(store: Store, stage: str, label: str, model_id: str, start: datetime, seed: int) -> str:
    run_id = store.start_run("eval", domain=DOMAIN, stage=stage, model_id=model_id, fingerprint=model_id,
                             config={"suites": [DOMAIN, "world"], "limit": None, "model": model_id})
    results, samples = [], []
    for suite, task, metric, hib, n in TASKS:
        items = _items(label, suite, task, metric, n, run_id, model_id, seed)
        values = [s["value"] for s in items]
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        results.append({"run_id": run_id, "model_id": model_id, "suite": suite, "task": task, "metric": metric,
                        "filter": "none", "value": mean, "stderr": sd / math.sqrt(n), "n": n,
                        "higher_is_better": hib})
        samples += items
    store.add_eval(run_id, results, samples, model_id=model_id)
    _set_times(store, run_id, start, 3)
    return run_id


def _train(store: Store, stage: str, parent: str, model_id: str, start: datetime, overfit: bool, seed: int) -> str:
    run_id = store.start_run("train", domain=DOMAIN, stage=stage, parent_model_id=parent, seed=seed,
                             config={"recipe": stage, "config": {"max_steps": 60, "learning_rate": 2e-4}},
                             fingerprint=_hash("fp", model_id), data_hash=_hash("data", stage),
                             output_path=f"/cache/stages/{model_id}")
    store.add_train_logs(_curve(run_id, 60, overfit, seed))
    store.add_model(model_id, f"/cache/stages/{model_id}/model", base_ref=parent, method="full", n_params=1_200_000,
                    trainable_params=1_200_000)
    store.finish_run(run_id, model_id=model_id)
    _set_times(store, run_id, start, 8)
    return run_id


POLICY = {
    "name": "support_chat_synthetic", "regression_suites": ["world"], "n_boot": 1000,
    "rules": [
        {"kind": "min_n", "name": "enough_items", "min_n": 20},
        {"kind": "floor", "task": "support_chat_intent", "metric": "acc", "threshold": 0.5},
        {"kind": "min_improvement", "task": "support_chat_intent", "metric": "acc", "significant": True},
        {"kind": "max_drop", "suite": "world", "max_drop": 0.2},
        {"kind": "max_forgetting", "suite": "world", "max_forgetting": 0.4},
    ],
}


def _gate(store: Store, candidate_run: str, baseline_run: str, when: datetime) -> str:
    """A real gate (harness.gate) judged on the synthetic evaluations, so rows have the shape gates write."""
    from harness.gate import GatePolicy, run_gate, store_gate

    policy = GatePolicy.model_validate(POLICY)
    _, outcome = run_gate(store, policy, baseline=baseline_run, candidate=candidate_run, n_perm=999)
    gate_id = store_gate(store, outcome, policy=policy, domain=DOMAIN)
    run_id = store.query("SELECT run_id FROM gates WHERE gate_id = ?", [gate_id])[0]["run_id"]
    _set_times(store, run_id, when, 1)
    with store.transaction() as con:
        con.execute("UPDATE gates SET created_at = ? WHERE gate_id = ?", [when, gate_id])
    return gate_id


def build_synthetic_store(path: Path) -> Path:
    """Fill a new store at `path` and return the path."""
    store = Store(path)
    store.add_model("base-model", "/cache/models/base", method="embedded", n_params=1_200_000)
    prep = store.start_run("prep", domain=DOMAIN, config={"domain": DOMAIN})
    store.add_data_report(dataset_hash=_hash("data", "sft"), domain=DOMAIN, dataset="sft", split="train",
                          n_rows_in=120, n_rows_out=110, report={"dropped": {"duplicate": 6, "too_long": 4}},
                          run_id=prep)
    store.finish_run(prep)
    _set_times(store, prep, T0, 1)

    t = T0 + timedelta(minutes=5)
    base_eval = _eval(store, "base", "base", "base-model", t, 1)
    parent = "base-model"
    evals = {}
    for k, stage in enumerate(["cpt", "sft", "dpo"]):
        model_id = f"{DOMAIN}-{stage}-r1"
        _train(store, stage, parent, model_id, t + timedelta(minutes=10 + 20 * k), overfit=stage == "sft", seed=k)
        evals[stage] = _eval(store, stage, stage, model_id, t + timedelta(minutes=20 + 20 * k), 1)
        parent = model_id
    _gate(store, evals["dpo"], base_eval, t + timedelta(minutes=90))

    t2 = T0 + timedelta(days=2)
    parent = f"{DOMAIN}-cpt-r1"
    for k, stage in enumerate(["sft", "dpo"]):
        model_id = f"{DOMAIN}-{stage}-r2"
        _train(store, stage, parent, model_id, t2 + timedelta(minutes=20 * k), overfit=stage == "dpo", seed=10 + k)
        evals[f"{stage}2"] = _eval(store, stage, f"{stage}2", model_id, t2 + timedelta(minutes=10 + 20 * k), 2)
        parent = model_id
    _gate(store, evals["dpo2"], base_eval, t2 + timedelta(minutes=60))

    failed = store.start_run("train", domain=DOMAIN, stage="dpo", parent_model_id=parent, config={"recipe": "dpo"})
    store.finish_run(failed, status="failed", error="RuntimeError: CUDA out of memory (synthetic)")
    _set_times(store, failed, t2 + timedelta(minutes=70), 2)
    return path


def build_empty_store(path: Path) -> Path:
    Store(path)
    return path


def resolve_dashboard_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real pipeline's store when conftest defines `pipeline_store` and slow tests are selected, else a
    fresh synthetic store (the fast tier, `pytest -m "not slow"`, trains nothing)."""
    if "not slow" not in (request.config.getoption("markexpr") or ""):
        try:
            return Path(request.getfixturevalue("pipeline_store"))
        except pytest.FixtureLookupError:
            pass
    return build_synthetic_store(tmp_path_factory.mktemp("dash") / "store.duckdb")
