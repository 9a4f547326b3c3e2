"""Release gate on a real DuckDB store with synthetic per-item rows: a good candidate passes, a degraded
one fails, missing data fails, bad policies are user errors, JUnit/Markdown/store outputs are right."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.compare import compare_runs
from harness.errors import HarnessError
from harness.gate import (
    GatePolicy,
    evaluate_gate,
    load_policy,
    run_gate,
    store_gate,
    to_junit_xml,
    to_markdown_summary,
    write_junit,
    write_summary,
)
from harness.paths import PROJECT_ROOT
from harness.store import Store

SHIPPED_POLICY = PROJECT_ROOT / "domains" / "support_chat" / "gates.yaml"
N_BOOT = 1000


def _rows(task: str, suite: str, metric: str, values: np.ndarray) -> list[dict[str, Any]]:
    return [{"suite": suite, "task": task, "doc_id": i, "doc_hash": f"{task}-{i:05d}", "metric": metric,
             "value": float(v), "prediction": "right" if v else "wrong", "target": "gold", "prompt": f"q{i}"}
            for i, v in enumerate(values)]


def _write_eval(store: Store, run_id: str, model_id: str, rows: list[dict[str, Any]]) -> None:
    store.add_model(model_id, f"/models/{model_id}")
    store.start_run("eval", run_id=run_id, model_id=model_id)
    samples = [{"run_id": run_id, "model_id": model_id, **r} for r in rows]
    keys = sorted({(r["suite"], r["task"], r["metric"]) for r in rows})
    results = [{"run_id": run_id, "model_id": model_id, "suite": s, "task": t, "metric": m,
                "value": float(np.mean([r["value"] for r in rows if r["task"] == t and r["metric"] == m])),
                "higher_is_better": "bits" not in m} for s, t, m in keys]
    store.add_eval(run_id, results, samples, model_id=model_id)


def _flip(values: np.ndarray, rng: np.random.Generator, to: float, k: int) -> np.ndarray:
    out = values.copy()
    idx = np.flatnonzero(out != to)
    out[rng.choice(idx, size=min(k, len(idx)), replace=False)] = to
    return out


def populate(store: Store, *, seed: int, degrade: float = 0.0, general_noise: int = 6,
             drop_tasks: tuple[str, ...] = ()) -> None:
    """support_chat suite (as in domains/support_chat: 240 intent, 240 preference, 80 ppl, 60 reply items)
    plus a general suite. The candidate clearly improves the domain; `degrade` flips that share of every
    general task's items from right to wrong."""
    rng = np.random.default_rng(seed)
    base: list[dict[str, Any]] = []
    cand: list[dict[str, Any]] = []
    ib = (rng.random(240) < 0.45).astype(float)
    base += _rows("support_chat_intent", "support_chat", "acc", ib)
    cand += _rows("support_chat_intent", "support_chat", "acc", _flip(ib, rng, 1.0, 80))
    pb = (rng.random(240) < 0.55).astype(float)
    base += _rows("support_chat_preference", "support_chat", "acc", pb)
    cand += _rows("support_chat_preference", "support_chat", "acc", _flip(pb, rng, 1.0, 80))
    bb = rng.normal(1.6, 0.3, 80)
    base += _rows("support_chat_ppl", "support_chat", "bits_per_byte", bb)
    cand += _rows("support_chat_ppl", "support_chat", "bits_per_byte", bb - 0.2 + rng.normal(0, 0.05, 80))
    rb = rng.uniform(0.2, 0.5, 60)
    base += _rows("support_chat_reply", "support_chat", "rouge_l", rb)
    cand += _rows("support_chat_reply", "support_chat", "rouge_l", rb + 0.04 + rng.normal(0, 0.02, 60))
    for task in ("general_arithmetic", "general_dates", "general_facts", "general_units"):  # every suite member
        gb = (rng.random(160) < 0.7).astype(float)
        gc = gb.copy()
        noisy = rng.permutation(160)[:general_noise]
        gc[noisy] = 1 - gc[noisy]  # symmetric noise: no real change
        if degrade:
            gc = _flip(gc, rng, 0.0, int(round(degrade * 160)))
        base += _rows(task, "general", "acc", gb)
        cand += _rows(task, "general", "acc", gc)
    gp = rng.normal(2.0, 0.3, 80)
    base += _rows("general_ppl", "general", "bits_per_byte", gp)
    cand += _rows("general_ppl", "general", "bits_per_byte", gp + rng.normal(0, 0.02, 80))
    _write_eval(store, "eval-base", "model-base", base)
    _write_eval(store, "eval-cand", "model-cand", [r for r in cand if r["task"] not in drop_tasks])


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "gate.duckdb")


def _policy(rules: list[dict[str, Any]], **extra: Any) -> GatePolicy:
    return GatePolicy.model_validate({"name": "test", "n_boot": N_BOOT, "rules": rules, **extra})


def test_shipped_policy_passes_good_candidate(store: Store) -> None:
    populate(store, seed=0)
    policy = load_policy(SHIPPED_POLICY)
    assert {r.kind for r in policy.rules} == {"min_n", "floor", "min_improvement", "max_drop", "max_forgetting",
                                              "max_perplexity_increase"}
    policy.n_boot = N_BOOT
    comparison, outcome = run_gate(store, policy, baseline="model-base", candidate="model-cand")
    assert outcome.passed, [r.detail for r in outcome.failures]
    assert outcome.exit_code == 0 and outcome.status == "PASS"
    assert len(outcome.results) == len(policy.rules)
    floor = next(r for r in outcome.results if r.kind == "floor")  # `on: ci`: judged on the lower bound
    assert floor.observed == pytest.approx(comparison.row("support_chat_preference").candidate_ci_low)
    assert "n=240" in floor.detail and "95% CI" in floor.detail
    assert outcome.family_size == 3  # the policy's three significance rules, not every evaluated task


def test_shipped_policy_fails_degraded_candidate(store: Store) -> None:
    populate(store, seed=1, degrade=0.2)  # 20% of general items go from right to wrong
    policy = load_policy(SHIPPED_POLICY)
    policy.n_boot = N_BOOT
    _, outcome = run_gate(store, policy, baseline="eval-base", candidate="eval-cand")
    assert not outcome.passed and outcome.exit_code == 1 and outcome.status == "FAIL"
    failed = {r.name: r for r in outcome.failures}
    assert set(failed) == {"max_drop:suite:general", "max_forgetting:suite:general"}
    assert {r.outcome for r in failed.values()} == {"fail"}  # confidently beyond the margin, not just unsure
    drop = failed["max_drop:suite:general"]
    assert drop.observed < drop.threshold == pytest.approx(-0.05)
    forget = failed["max_forgetting:suite:general"]
    assert forget.observed < forget.threshold == pytest.approx(0.9)


def test_missing_task_fails_its_rules(store: Store) -> None:
    populate(store, seed=2, drop_tasks=("support_chat_preference",))
    policy = _policy([
        {"kind": "min_improvement", "task": "support_chat_preference", "significant": True},
        {"kind": "floor", "task": "support_chat_typo", "threshold": 0.1},
        {"kind": "floor", "task": "support_chat_intent", "metric": "f1", "threshold": 0.1},
        {"kind": "max_drop", "suite": "not_a_suite", "max_drop": 0.5},
        {"kind": "max_forgetting", "suite": "absent", "max_forgetting": 0.5},
        {"kind": "min_n", "min_n": 10, "tasks": ["support_chat_intent", "support_chat_missing"]},
        {"kind": "floor", "task": "support_chat_intent", "threshold": 0.0},
    ])
    comparison = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    outcome = evaluate_gate(policy, comparison)
    by = {r.name: r for r in outcome.results}
    assert not outcome.passed
    assert [r.passed for r in outcome.results] == [False] * 6 + [True]
    assert "no items scored by both" in by["min_improvement:support_chat_preference"].detail
    assert "missing from the results" in by["floor:support_chat_typo"].detail
    assert "has no metric 'f1'" in by["floor:support_chat_intent/f1"].detail
    assert "missing" in by["max_drop:suite:not_a_suite"].detail
    assert "not scored as a regression suite" in by["max_forgetting:suite:absent"].detail
    assert "support_chat_missing" in by["min_n:support_chat_intent,support_chat_missing"].detail


def test_small_uncertain_dip_is_inconclusive_unless_lenient(store: Store) -> None:
    """A small, uncertain dip on few items: non-inferiority (default) cannot show the loss is within the
    margin -> INCONCLUSIVE, flagged as below resolution; the lenient reading passes and says it is lenient."""
    rng = np.random.default_rng(3)
    gb = (rng.random(60) < 0.7).astype(float)
    gc = _flip(gb, rng, 0.0, 3)
    _write_eval(store, "b", "mb", _rows("custom_facts", "custom", "acc", gb))
    _write_eval(store, "c", "mc", _rows("custom_facts", "custom", "acc", gc))
    policy = _policy([
        {"kind": "max_drop", "task": "custom_facts", "max_drop": 0.02, "name": "ni"},
        {"kind": "max_drop", "task": "custom_facts", "max_drop": 0.02, "lenient": True, "name": "lenient"},
        {"kind": "max_forgetting", "suite": "custom", "max_forgetting": 0.02, "name": "forget"},
        {"kind": "max_forgetting", "suite": "custom", "max_forgetting": 0.02, "lenient": True, "name": "forget_l"},
    ])
    _, outcome = run_gate(store, policy, baseline="b", candidate="c")
    by = {r.name: r for r in outcome.results}
    assert {n: r.outcome for n, r in by.items()} == {"ni": "inconclusive", "lenient": "pass",
                                                      "forget": "inconclusive", "forget_l": "pass"}
    assert outcome.status == "INCONCLUSIVE" and outcome.exit_code == 1
    assert by["ni"].unresolvable and "MARGIN BELOW RESOLUTION" in by["ni"].detail
    assert "LENIENT" in by["lenient"].detail and by["lenient"].reading == "lenient"
    assert "too few items to tell" in outcome.headline()


def test_lower_is_better_floor_is_a_ceiling(store: Store) -> None:
    populate(store, seed=4)
    comparison = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    bpb = comparison.row("support_chat_ppl").candidate
    ok = _policy([{"kind": "floor", "task": "support_chat_ppl", "threshold": bpb + 0.5},
                  {"kind": "floor", "task": "support_chat_ppl", "threshold": bpb + 0.5, "on": "ci"},
                  {"kind": "min_improvement", "task": "support_chat_ppl", "delta": 0.1, "significant": True}])
    assert evaluate_gate(ok, comparison).passed
    bad = _policy([{"kind": "floor", "task": "support_chat_ppl", "threshold": bpb - 0.05}])
    assert not evaluate_gate(bad, comparison).passed


def test_min_improvement_requires_significance(store: Store) -> None:
    populate(store, seed=5)
    comparison = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    general = comparison.row("general_facts")
    assert general.verdict == "no significant change"
    policy = _policy([
        {"kind": "min_improvement", "task": "general_facts", "delta": -1.0, "significant": True, "name": "sig"},
        {"kind": "min_improvement", "task": "general_facts", "delta": -1.0, "name": "plain"},
        {"kind": "min_improvement", "task": "support_chat_intent", "delta": 0.9, "name": "too_big"},
    ])
    passed = {r.name: r.passed for r in evaluate_gate(policy, comparison).results}
    assert passed == {"sig": False, "plain": True, "too_big": False}


def test_min_n_fails_on_small_evaluations(store: Store) -> None:
    populate(store, seed=6)
    comparison = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    outcome = evaluate_gate(_policy([{"kind": "min_n", "min_n": 100}]), comparison)
    (result,) = outcome.results
    assert not result.passed and result.observed == 60  # support_chat_reply has 60 items
    assert "support_chat_reply (n=60)" in result.detail
    assert evaluate_gate(_policy([{"kind": "min_n", "min_n": 80, "suite": "general"}]), comparison).passed  # ppl: 80


@pytest.mark.parametrize(("body", "match"), [
    ("rules:\n  - kind: ceiling\n    task: a\n", "rules.0"),
    ("rules:\n  - kind: floor\n    task: a\n    threshold: 0.5\n    treshold: 0.6\n", "treshold"),
    ("rules:\n  - kind: max_drop\n    task: a\n    suite: b\n    max_drop: 0.1\n", "exactly one"),
    ("rules:\n  - kind: max_drop\n    suite: b\n    max_drop: -0.1\n", "max_drop"),
    ("rules:\n  - kind: max_forgetting\n    max_forgetting: 1.5\n", "max_forgetting"),
    ("rules:\n  - {kind: min_n, min_n: 5, name: x}\n  - {kind: min_n, min_n: 6, name: x}\n", "more than once"),
    ("rules: []\n", "rules"),
    ("rules:\n  - {kind: max_drop, task: a, max_drop: 0.1, strict: true}\n", "lenient: true"),
    ("alpha: 2\nrules:\n  - {kind: min_n, min_n: 5}\n", "alpha"),
    ("rules:\n  - kind: floor\n   task: [\n", "not valid YAML"),
])
def test_bad_policy_is_a_user_error(tmp_path: Path, body: str, match: str) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(body)
    with pytest.raises(HarnessError, match=match):
        load_policy(path)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="not found"):
        load_policy(tmp_path / "nope.yaml")


def test_rule_names_are_generated_and_unique() -> None:
    policy = _policy([{"kind": "floor", "task": "t", "threshold": 0.1},
                      {"kind": "floor", "task": "t", "threshold": 0.2},
                      {"kind": "max_forgetting", "suite": "s", "max_forgetting": 0.1}])
    assert [r.name for r in policy.rules] == ["floor:t", "floor:t#2", "max_forgetting:suite:s"]
    assert policy.all_regression_suites() == ["general", "s"]


def test_junit_markdown_and_store(store: Store, tmp_path: Path) -> None:
    populate(store, seed=7, degrade=0.2)
    policy = load_policy(SHIPPED_POLICY)
    policy.n_boot = N_BOOT
    comparison, outcome = run_gate(store, policy, baseline="model-base", candidate="model-cand")
    n_fail = len(outcome.failures)
    assert n_fail >= 1

    root = ET.fromstring(to_junit_xml(outcome).split("?>", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    assert root.get("tests") == str(len(policy.rules)) and root.get("failures") == str(n_fail)
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.name for r in policy.rules]
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == n_fail
    assert failures[0].find("failure").get("message").startswith("FAIL")
    path = write_junit(outcome, tmp_path / "out" / "gate.xml")
    assert ET.parse(path).getroot().tag == "testsuites"

    md = to_markdown_summary(outcome)
    n_fail_outcome = sum(r.outcome == "fail" for r in outcome.results)
    assert f"{n_fail_outcome} fail" in md and "FAIL" in md.splitlines()[0]
    assert md.count("❌") == n_fail_outcome + 1  # headline + one per failed rule
    summary = tmp_path / "summary.md"
    write_summary(md, summary)
    write_summary("more\n", summary)
    assert summary.read_text().endswith("more\n") and "Gate" in summary.read_text()

    gate_id = store_gate(store, outcome, policy=policy, policy_path=SHIPPED_POLICY, domain="support_chat")
    gate = store.query("SELECT * FROM gates WHERE gate_id = ?", [gate_id])[0]
    assert gate["passed"] is False and gate["candidate_run"] == "eval-cand" and gate["domain"] == "support_chat"
    assert store.run(gate["run_id"])["status"] == "completed"
    rows = store.query("SELECT * FROM gate_results WHERE gate_id = ? ORDER BY rule", [gate_id])
    assert len(rows) == len(policy.rules)
    assert sum(not r["passed"] for r in rows) == n_fail
    detail = json.loads(rows[0]["detail_json"])
    assert "detail" in detail
