"""`harness gate --plan`: per rule, the n it will see and whether that n can resolve its margin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.gate.plan import plan_policy, task_stats_from_store
from harness.gate.policy import GatePolicy
from harness.paths import PROJECT_ROOT
from harness.store import Store

SHIPPED_POLICY = PROJECT_ROOT / "domains" / "support_chat" / "gates.yaml"


def _write(store: Store, run_id: str, n: int) -> None:
    values = (np.arange(n) % 10 < 6).astype(float)
    store.add_model("mb", "/models/mb")
    store.start_run("eval", run_id=run_id, model_id="mb", config={"limit": None})
    samples = [{"run_id": run_id, "model_id": "mb", "suite": "custom", "task": "custom_task", "doc_id": i,
                "doc_hash": f"h{i}", "metric": "acc", "value": float(v)} for i, v in enumerate(values)]
    store.add_eval(run_id, [{"run_id": run_id, "task": "custom_task", "metric": "acc", "value": float(values.mean()),
                             "n": n}], samples, model_id="mb")


def test_plan_flags_a_margin_its_n_cannot_resolve(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.duckdb")
    _write(store, "b", 100)
    policy = GatePolicy.model_validate({"planning": {"discordance": 0.2}, "rules": [
        {"kind": "max_drop", "task": "custom_task", "max_drop": 0.02, "name": "tight"},
        {"kind": "max_drop", "task": "custom_task", "max_drop": 0.2, "name": "wide"},
        {"kind": "max_drop", "task": "custom_task", "max_drop": 0.02, "lenient": True, "name": "lenient"},
        {"kind": "min_improvement", "task": "custom_task", "significant": True, "name": "sig"},
    ]})
    rows = {r.rule: r for r in plan_policy(policy, task_stats_from_store(store, "b"))}
    half = 1.96 * (0.2 / 100) ** 0.5  # normal approximation of the paired 0/1 difference's CI half-width
    assert rows["tight"].n == 100 and rows["tight"].half_width == pytest.approx(half, rel=1e-3)
    assert rows["tight"].resolvable is False and rows["tight"].pass_if_unchanged < 0.5
    assert rows["wide"].resolvable is True and rows["wide"].pass_if_unchanged > 0.99
    assert "LENIENT" in rows["lenient"].note
    assert rows["sig"].mde == pytest.approx((1.96 + 0.8416) * (0.2 / 100) ** 0.5, rel=1e-3)


@pytest.mark.slow
def test_plan_cli_on_the_shipped_policy_exits_0() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "gate", "--plan", "--policy", str(SHIPPED_POLICY),
                           "--json"], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    rows = {r["rule"]: r for r in data["rules"]}
    intent = rows["max_drop:support_chat_intent/acc"]
    assert intent["n"] >= 380 and intent["resolvable"] is True  # the intent suite was sized for its margin
    assert all(r["resolvable"] is not False for r in data["rules"])


def test_plan_of_a_metric_defined_on_some_items_uses_those_items(tmp_path: Path) -> None:
    """A floor on a metric scored on answerable items only (legal_extract's f1_has_answer): the plan's n is the
    items with a value (rows absent or NULL elsewhere), and its CI half-width is that mean's, from their spread."""
    store = Store(tmp_path / "p.duckdb")
    store.add_model("mb", "/models/mb")
    store.start_run("eval", run_id="b", model_id="mb", config={"limit": None})
    rng = np.random.default_rng(0)
    f1 = rng.random(90)
    samples = [{"run_id": "b", "model_id": "mb", "suite": "s", "task": "t", "doc_id": i, "doc_hash": f"h{i}",
                "metric": "f1", "value": float(v)} for i, v in enumerate(f1)]
    has = [i for i in range(90) if i % 3]  # 60 answerable; of the other 30, 15 have no row and 15 a NULL value
    samples += [{"run_id": "b", "model_id": "mb", "suite": "s", "task": "t", "doc_id": i, "doc_hash": f"h{i}",
                 "metric": "f1_has_answer", "value": float(f1[i]) if i in has else None}
                for i in range(90) if i in has or i % 2]
    store.add_eval("b", [], samples, model_id="mb", tasks=[{"task": "t", "suite": "s", "primary_metric": "f1"}])
    policy = GatePolicy.model_validate({"rules": [
        {"kind": "floor", "task": "t", "metric": "f1_has_answer", "threshold": 0.5, "on": "ci", "name": "floor"},
        {"kind": "floor", "task": "t", "threshold": 0.5, "name": "primary"}]})
    rows = {r.rule: r for r in plan_policy(policy, task_stats_from_store(store, "b"))}
    assert rows["floor"].n == 60 and rows["primary"].n == 90
    assert rows["floor"].half_width == pytest.approx(1.96 * np.std(f1[has], ddof=1) / 60 ** 0.5, rel=1e-3)
