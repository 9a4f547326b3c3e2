"""The seven ways `compare` and `gate` could be made to say the wrong thing (issue "Verdicts a release
manager can bet on"), each as a regression test on a real store. Every test here failed on commit 23ff58c
and passes now; the data are constructed (not random) so each outcome is certain, not likely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.compare import compare_runs
from harness.errors import HarnessError
from harness.gate import GatePolicy, evaluate_gate, load_policy, run_gate
from harness.paths import PROJECT_ROOT
from harness.store import Store

SHIPPED_POLICY = PROJECT_ROOT / "domains" / "support_chat" / "gates.yaml"
N_BOOT = 1000


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "scenarios.duckdb")


def rows(task: str, suite: str, metric: str, values: np.ndarray | list[float], *, filt: str | None = None,
         prefix: str = "", weights: np.ndarray | None = None) -> list[dict[str, Any]]:
    out = []
    for i, v in enumerate(values):
        row = {"suite": suite, "task": task, "doc_id": i, "doc_hash": f"{prefix}{task}-{i:05d}", "metric": metric,
               "value": float(v), "prediction": None, "target": "gold", "prompt": f"q{i}"}
        if filt is not None:
            row["filter"] = filt
        if weights is not None:
            row["weight"] = float(weights[i])
        out.append(row)
    return out


def write_eval(store: Store, run_id: str, model_id: str, samples: list[dict[str, Any]], *,
               config: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """An eval run the way the runner writes it (kwargs go to add_eval, e.g. tasks=[...])."""
    store.add_model(model_id, f"/models/{model_id}")
    store.start_run("eval", run_id=run_id, model_id=model_id, config=config or {"limit": None})
    keys = sorted({(r["suite"], r["task"], r["metric"]) for r in samples})
    results = [{"run_id": run_id, "model_id": model_id, "suite": s, "task": t, "metric": m,
                "value": float(np.mean([r["value"] for r in samples if r["task"] == t and r["metric"] == m])),
                "higher_is_better": "bits" not in m} for s, t, m in keys]
    store.add_eval(run_id, results, [{"run_id": run_id, "model_id": model_id, **r} for r in samples],
                   model_id=model_id, **kwargs)


def paired(n: int, acc: float, right_to_wrong: int, wrong_to_right: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline with round(acc*n) right answers; the candidate loses `right_to_wrong` and gains
    `wrong_to_right` of them (exact counts, so the test's outcome does not depend on a random draw)."""
    base = np.zeros(n)
    base[: round(acc * n)] = 1
    cand = base.copy()
    right, wrong = np.flatnonzero(base == 1), np.flatnonzero(base == 0)
    cand[right[:right_to_wrong]] = 0
    cand[wrong[:wrong_to_right]] = 1
    return base, cand


def policy(rules: list[dict[str, Any]], **extra: Any) -> GatePolicy:
    return GatePolicy.model_validate({"name": "scenario", "n_boot": N_BOOT, "rules": rules, **extra})


# 1 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [40, 180, 1000])
def test_low_power_no_longer_passes_a_real_regression(store: Store, n: int) -> None:
    """Intent accuracy truly 10 points lower (20% of items right->wrong, 10% wrong->right): the shipped
    policy's max_drop 0.05 must not pass; under the old lenient reading it passed."""
    b, c = paired(n, 0.6, right_to_wrong=n // 5, wrong_to_right=n // 10)
    write_eval(store, "b", "mb", rows("support_chat_intent", "support_chat", "acc", b))
    write_eval(store, "c", "mc", rows("support_chat_intent", "support_chat", "acc", c))
    shipped = load_policy(SHIPPED_POLICY)
    rule = next(r for r in shipped.rules if r.kind == "max_drop" and r.task == "support_chat_intent")
    outcome = evaluate_gate(policy([rule.model_dump(exclude={"name"})]),
                            compare_runs(store, "b", "c", n_boot=N_BOOT, regression_suites=()))
    (result,) = outcome.results
    assert not result.passed and outcome.exit_code == 1
    # thin data cannot show the loss is within 5 points (INCONCLUSIVE); enough data shows it is not (FAIL)
    assert result.outcome == ("fail" if n == 1000 else "inconclusive")
    lenient = evaluate_gate(policy([{**rule.model_dump(exclude={"name"}), "lenient": True}]),
                            compare_runs(store, "b", "c", n_boot=N_BOOT, regression_suites=()))
    assert "LENIENT" in lenient.results[0].detail  # the old reading is still available, and says what it is


# 2 ------------------------------------------------------------------------------------------------------
GENERAL = ("general_arithmetic", "general_dates", "general_units", "general_facts")


def test_a_task_evaluated_alone_stays_in_its_suite(store: Store) -> None:
    """The candidate's arithmetic (collapsed by 0.69) was evaluated on its own and labelled as its own suite
    by the old runner; the other general tasks were never evaluated for it. Suite rules must see every member."""
    base, cand = [], []
    for task in GENERAL:
        b = np.zeros(160)
        b[:150] = 1
        base += rows(task, "general", "acc", b)
    b_ppl = np.full(80, 0.4)
    base += rows("general_ppl", "general", "bits_per_byte", b_ppl)
    arith = np.zeros(160)
    arith[:40] = 1  # 0.94 -> 0.25
    cand += rows("general_arithmetic", "general_arithmetic", "acc", arith)
    write_eval(store, "b", "mb", base)
    write_eval(store, "c", "mc", cand)
    strict = policy([{"kind": "max_drop", "suite": "general", "max_drop": 0.01},
                     {"kind": "max_forgetting", "suite": "general", "max_forgetting": 0.01}])
    comp, outcome = run_gate(store, strict, baseline="b", candidate="c")
    assert comp.row("general_arithmetic").suite == "general"
    assert not any(r.passed for r in outcome.results)
    for r in outcome.results:
        assert "general_dates" in r.detail and "member" in r.detail
    assert comp.suite_row("general").missing_tasks == ["general_dates", "general_units", "general_facts",
                                                       "general_ppl"]


def test_runner_labels_a_lone_task_with_its_defined_suite() -> None:
    from harness.evaluation.runner import _task_to_suite
    from harness.evaluation.tasks import suite_of

    assert suite_of("general_arithmetic") == "general"
    identities = {"general_arithmetic": {"suite": "general"}}
    assert _task_to_suite({"group_subtasks": {}}, identities) == {"general_arithmetic": "general"}


# 3 ------------------------------------------------------------------------------------------------------
def _task_row(task: str, suite: str, config_hash: str, config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"task": task, "suite": suite, "config_hash": config_hash, "code_hash": "code",
            "config_json": config, "primary_metric": "acc", "primary_filter": "none", "higher_is_better": True,
            "chance": 0.5, **extra}


def test_prompt_drift_is_refused_not_credited_to_the_model(store: Store) -> None:
    """Baseline evaluated with the old prompt, candidate with a new one: the paired items look like a gain;
    compare and gate refuse, naming the task and the fields, unless drift is explicitly allowed."""
    b, c = paired(180, 0.5, right_to_wrong=0, wrong_to_right=60)
    old = {"task": "support_chat_preference", "doc_to_text": "Q: {{q}}", "num_fewshot": 0}
    new = {**old, "doc_to_text": "You are helpful. Q: {{q}}", "num_fewshot": 3}
    write_eval(store, "b", "mb", rows("support_chat_preference", "support_chat", "acc", b),
               tasks=[_task_row("support_chat_preference", "support_chat", "h-old", old)])
    write_eval(store, "c", "mc", rows("support_chat_preference", "support_chat", "acc", c),
               tasks=[_task_row("support_chat_preference", "support_chat", "h-new", new)])
    with pytest.raises(HarnessError, match=r"support_chat_preference \(doc_to_text, num_fewshot\)"):
        compare_runs(store, "b", "c", n_boot=N_BOOT)
    gate_policy = policy([{"kind": "min_improvement", "task": "support_chat_preference", "significant": True}])
    with pytest.raises(HarnessError, match="allow-config-drift"):
        run_gate(store, gate_policy, baseline="b", candidate="c")
    comp, outcome = run_gate(store, gate_policy, baseline="b", candidate="c", allow_config_drift=True)
    assert comp.config_drift and "CONFIG DRIFT ALLOWED" in comp.notes[0]
    assert "CONFIG DRIFT ALLOWED" in outcome.headline()
    from harness.compare import to_markdown

    assert "CONFIG DRIFT ALLOWED" in to_markdown(comp)


def test_prompt_hash_drift_is_caught_without_stored_configs(store: Store) -> None:
    b, c = paired(60, 0.5, 0, 20)
    rb = rows("custom_task", "custom", "acc", b)
    rc = rows("custom_task", "custom", "acc", c)
    for r in rb:
        r["prompt_hash"] = "p-" + r["doc_hash"]
    for r in rc:
        r["prompt_hash"] = "q-" + r["doc_hash"]
    write_eval(store, "b", "mb", rb)
    write_eval(store, "c", "mc", rc)
    with pytest.raises(HarnessError, match=r"custom_task \(prompt of 60/60 paired documents\)"):
        compare_runs(store, "b", "c", n_boot=N_BOOT, regression_suites=())


def test_model_refs_pair_the_evals_made_with_the_same_task_config(store: Store) -> None:
    """The baseline's newest eval used an outdated config; the one matching the candidate's is used."""
    b, c = paired(100, 0.5, 5, 5)
    cfg = {"task": "custom_task", "doc_to_text": "v2"}
    write_eval(store, "b-v2", "mb", rows("custom_task", "custom", "acc", b),
               tasks=[_task_row("custom_task", "custom", "h2", cfg)])
    write_eval(store, "b-v1", "mb", rows("custom_task", "custom", "acc", b),
               tasks=[_task_row("custom_task", "custom", "h1", {**cfg, "doc_to_text": "v1"})])
    write_eval(store, "c-v2", "mc", rows("custom_task", "custom", "acc", c),
               tasks=[_task_row("custom_task", "custom", "h2", cfg)])
    comp = compare_runs(store, "mb", "mc", n_boot=N_BOOT, regression_suites=())
    assert comp.baseline.runs == {"custom_task": "b-v2"}
    assert any("not the newer b-v1" in n for n in comp.baseline.notes)


def test_eval_identity_changes_with_the_prompt_and_reuse_follows_it(tmp_path: Path) -> None:
    """The identity the runner stores (and reuses by) comes from lm-eval's resolved config, including the
    source of prompt functions: editing the prompt, few-shot count or generation settings changes it."""
    from lm_eval.tasks import TaskManager

    from harness.evaluation.tasks import task_identities

    suite = tmp_path / "tiny"
    (suite / "data").mkdir(parents=True)
    (suite / "data" / "test.jsonl").write_text('{"q": "1+1", "choices": ["2", "3"], "label": 0}\n')
    (suite / "utils.py").write_text(
        "import datasets\nfrom pathlib import Path\n\n\ndef load(**_):\n"
        "    return datasets.DatasetDict({'test': datasets.load_dataset('json', data_files=str(Path(__file__)"
        ".parent / 'data' / 'test.jsonl'), split='train')})\n\n\ndef prompt(doc):\n    return 'Q: ' + doc['q']\n")
    yaml_text = ("task: tiny_task\ncustom_dataset: !function utils.load\ntest_split: test\n"
                 "output_type: multiple_choice\ndoc_to_text: !function utils.prompt\ndoc_to_choice: choices\n"
                 "doc_to_target: label\nmetric_list:\n  - metric: acc\nmetadata:\n  version: 1.0\n")
    (suite / "tiny.yaml").write_text(yaml_text)

    def identity() -> dict[str, Any]:
        return task_identities(["tiny_task"], TaskManager(include_path=str(suite), include_defaults=False))[
            "tiny_task"]

    first = identity()
    assert identity()["config_hash"] == first["config_hash"]  # stable across loads (no addresses, no paths)
    (suite / "utils.py").write_text((suite / "utils.py").read_text().replace("'Q: '", "'Question: '"))
    second = identity()
    assert second["config_hash"] != first["config_hash"]  # the prompt function's source is in the config
    (suite / "tiny.yaml").write_text(yaml_text + "num_fewshot: 1\n")
    third = identity()
    assert third["config_hash"] != second["config_hash"]
    from harness.evaluation.tasks import config_diff

    assert "num_fewshot" in config_diff(second["config_json"], third["config_json"])


def test_reuse_requires_matching_task_identity(store: Store) -> None:
    from harness.evaluation.runner import find_reusable_eval

    cfg = {"task": "custom_task"}
    write_eval(store, "e1", "m", rows("custom_task", "custom", "acc", [1, 0, 1]),
               config={"limit": None, "dtype": "float32"}, tasks=[_task_row("custom_task", "custom", "h1", cfg)])
    same = {"custom_task": {"config_hash": "h1", "code_hash": "code"}}
    assert find_reusable_eval(store, "m", same, None, "float32") == "e1"
    assert find_reusable_eval(store, "m", {"custom_task": {"config_hash": "h2", "code_hash": "code"}},
                              None, "float32") is None  # prompt/config changed
    assert find_reusable_eval(store, "m", same, None, "bfloat16") is None  # other dtype
    assert find_reusable_eval(store, "m", same, 40, "float32") is None  # other limit


# 4 ------------------------------------------------------------------------------------------------------
def test_a_later_smoke_eval_never_replaces_a_full_one(store: Store) -> None:
    b, c = paired(200, 0.6, 2, 30)
    write_eval(store, "b-full", "mb", rows("custom_task", "custom", "acc", b))
    write_eval(store, "c-full", "mc", rows("custom_task", "custom", "acc", c))
    write_eval(store, "c-smoke", "mc", rows("custom_task", "custom", "acc", c[:40]), config={"limit": 40})
    comp = compare_runs(store, "mb", "mc", n_boot=N_BOOT, regression_suites=())
    assert comp.candidate.runs == {"custom_task": "c-full"} and comp.row("custom_task").n == 200
    # named explicitly, a limited run is used, labelled, and the gate refuses it without --allow-limit
    from harness.gate.cli import run_gate_command

    policy_path = store.path.parent / "p.yaml"
    policy_path.write_text("rules:\n  - {kind: min_n, min_n: 10}\n")
    with pytest.raises(HarnessError, match="allow-limit"):
        run_gate_command(policy=policy_path, candidate="c-smoke", baseline="b-full", eval_missing=False,
                         suites=None, junit=None, summary=None, device="cpu", db=store.path)
    code = run_gate_command(policy=policy_path, candidate="c-smoke", baseline="b-full", eval_missing=False,
                            suites=None, junit=None, summary=None, device="cpu", db=store.path, allow_limit=True)
    assert code == 0
    gate = store.query("SELECT config_json FROM runs WHERE kind = 'gate'")[0]
    assert '"limited":true' in gate["config_json"].replace(" ", "")


def test_only_smoke_evals_are_refused_for_a_model_ref(store: Store) -> None:
    write_eval(store, "b", "mb", rows("custom_task", "custom", "acc", [1, 0] * 30))
    write_eval(store, "c-smoke", "mc", rows("custom_task", "custom", "acc", [1, 1] * 20), config={"limit": 40})
    with pytest.raises(HarnessError, match="only limited"):
        compare_runs(store, "mb", "mc", n_boot=N_BOOT, regression_suites=())


# 5 ------------------------------------------------------------------------------------------------------
def test_filters_are_paired_per_filter(store: Store) -> None:
    """Two identical models on a two-filter task; the runs list the filters in different orders."""
    strict = np.zeros(120)
    strict[:30] = 1
    flexible = np.zeros(120)
    flexible[:90] = 1
    base = rows("custom_gen", "custom", "exact_match", strict, filt="strict-match") + rows(
        "custom_gen", "custom", "exact_match", flexible, filt="flexible-extract")
    cand = rows("custom_gen", "custom", "exact_match", flexible, filt="flexible-extract") + rows(
        "custom_gen", "custom", "exact_match", strict, filt="strict-match")
    write_eval(store, "b", "mb", base)
    write_eval(store, "c", "mc", cand)
    comp = compare_runs(store, "b", "c", n_boot=N_BOOT, regression_suites=())
    assert {(r.filter, r.n, r.delta, r.verdict in ("no significant change", "exploratory")) for r in comp.rows} == {
        ("strict-match", 120, 0.0, True), ("flexible-extract", 120, 0.0, True)}


def test_repeated_documents_pair_by_occurrence(store: Store) -> None:
    base = rows("custom_task", "custom", "acc", [1, 0, 1, 0])
    cand = rows("custom_task", "custom", "acc", [1, 0, 1, 0])
    for r in base + cand:
        r["doc_hash"] = "same"  # four identical documents
    write_eval(store, "b", "mb", base)
    write_eval(store, "c", "mc", cand)
    comp = compare_runs(store, "b", "c", n_boot=N_BOOT, regression_suites=())
    assert comp.row("custom_task").n == 4 and comp.row("custom_task").delta == 0.0
    assert any("repeats" in n and "occurrence" in n for n in comp.notes)


# 6 ------------------------------------------------------------------------------------------------------
def test_unrelated_tasks_do_not_move_a_gate_rule(store: Store, tmp_path: Path) -> None:
    """The gate's correction family is its own significance rules: eight unrelated, unchanged tasks added
    to both evaluations leave the rule's corrected p-value and outcome unchanged."""
    b, c = paired(120, 0.5, 4, 18)
    core_b = rows("support_chat_preference", "support_chat", "acc", b)
    core_c = rows("support_chat_preference", "support_chat", "acc", c)
    extra_b, extra_c = [], []
    for k in range(8):
        x, y = paired(100, 0.5, 3, 3)
        extra_b += rows(f"other_{k}", "other", "acc", x)
        extra_c += rows(f"other_{k}", "other", "acc", y)
    gate_policy = policy([{"kind": "min_improvement", "task": "support_chat_preference", "significant": True,
                           "name": "pref"},
                          {"kind": "min_n", "min_n": 10, "tasks": ["support_chat_preference"]}],
                         regression_suites=[])
    write_eval(store, "b1", "mb1", core_b)
    write_eval(store, "c1", "mc1", core_c)
    write_eval(store, "b2", "mb2", core_b + extra_b)
    write_eval(store, "c2", "mc2", core_c + extra_c)
    _, alone = run_gate(store, gate_policy, baseline="b1", candidate="c1")
    _, crowded = run_gate(store, gate_policy, baseline="b2", candidate="c2")
    p_alone, p_crowded = alone.results[0].data["p_adjusted"], crowded.results[0].data["p_adjusted"]
    assert p_alone == p_crowded < 0.05
    assert alone.results[0].passed and crowded.results[0].passed and crowded.family_size == 1


# 7 ------------------------------------------------------------------------------------------------------
def test_falling_to_chance_is_forgetting_everything(store: Store) -> None:
    """A 4-choice task at 0.35 falling to chance (0.25) kept 0.71 of its raw score; chance-corrected it kept
    nothing, so "keep >= 70%" fails."""
    b, c = paired(400, 0.35, right_to_wrong=40, wrong_to_right=0)  # 0.35 -> 0.25
    cfg = {"task": "gk_facts"}
    write_eval(store, "b", "mb", rows("gk_facts", "gk", "acc", b),
               tasks=[_task_row("gk_facts", "gk", "h", cfg, chance=0.25)])
    write_eval(store, "c", "mc", rows("gk_facts", "gk", "acc", c),
               tasks=[_task_row("gk_facts", "gk", "h", cfg, chance=0.25)])
    comp, outcome = run_gate(store, policy([{"kind": "max_forgetting", "suite": "gk", "max_forgetting": 0.3}],
                                           regression_suites=["gk"]), baseline="b", candidate="c")
    forgetting = comp.forgetting_for("gk")
    assert forgetting.ratio == pytest.approx(0.0, abs=1e-9)
    assert outcome.results[0].outcome == "fail"


def test_perplexity_forgetting_is_gated_and_matches_lm_eval_aggregate(store: Store) -> None:
    """General-text bits per byte up 30% fails max_perplexity_increase; compare and gate show lm-eval's
    byte-weighted aggregate (Σ bits / Σ bytes), not an unweighted mean of per-document values."""
    rng = np.random.default_rng(0)
    weights = rng.integers(50, 2000, 80).astype(float)
    bpb_b = rng.uniform(0.3, 0.5, 80) + (weights > 1000) * 0.2  # long documents are harder
    bpb_c = bpb_b * 1.3
    write_eval(store, "b", "mb", rows("gk_ppl", "gk", "bits_per_byte", bpb_b, weights=weights))
    write_eval(store, "c", "mc", rows("gk_ppl", "gk", "bits_per_byte", bpb_c, weights=weights))
    comp, outcome = run_gate(store, policy([{"kind": "max_perplexity_increase", "suite": "gk",
                                             "max_increase": 0.1}], regression_suites=["gk"]),
                             baseline="b", candidate="c")
    lm_eval_aggregate = float(np.sum(bpb_b * weights) / np.sum(weights))
    assert comp.row("gk_ppl").baseline == pytest.approx(lm_eval_aggregate)
    assert comp.row("gk_ppl").baseline != pytest.approx(float(bpb_b.mean()), rel=1e-3)
    f = comp.forgetting_for("gk")
    assert f.ppl_baseline == pytest.approx(lm_eval_aggregate) and f.ppl_ratio == pytest.approx(1.3)
    assert outcome.results[0].outcome == "fail" and f"{lm_eval_aggregate:.3f}" in outcome.results[0].detail
