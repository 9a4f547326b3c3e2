"""compare_runs on a real DuckDB store filled with synthetic per-item eval rows (two runs that overlap but
do not see identical items): resolution, alignment and drops, verdicts, flips, forgetting, renderers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.compare import compare_runs, print_comparison, resolve_runs, to_json, to_markdown
from harness.compare.align import align
from harness.errors import HarnessError
from harness.store import Store

N_BOOT = 1000


def _rows(task: str, suite: str, metric: str, values: np.ndarray, *, start: int = 0,
          predictions: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"suite": suite, "task": task, "doc_id": i, "doc_hash": f"{task}-{i + start:05d}", "metric": metric,
             "value": float(v), "prediction": None if predictions is None else predictions[i],
             "target": f"gold-{i + start}", "prompt": f"prompt {task} {i + start}"} for i, v in enumerate(values)]


def write_eval(store: Store, run_id: str, model_id: str, rows: list[dict[str, Any]],
               directions: dict[str, bool] | None = None) -> None:
    """An eval run the way the runner writes it: aggregates + per-item rows + the completed flip."""
    store.add_model(model_id, f"/models/{model_id}")
    store.start_run("eval", run_id=run_id, model_id=model_id)
    samples = [{"run_id": run_id, "model_id": model_id, **r} for r in rows]
    groups: dict[tuple[str, str, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["suite"], r["task"], r["metric"]), []).append(r["value"])
    results = [{"run_id": run_id, "model_id": model_id, "suite": s, "task": t, "metric": m,
                "value": float(np.mean(v)), "n": len(v),
                "higher_is_better": (directions or {}).get(m, "bits" not in m)}
               for (s, t, m), v in groups.items()]
    store.add_eval(run_id, results, samples, model_id=model_id)


def _preds(values: np.ndarray, tag: str) -> list[str]:
    return [f"{tag}-right" if v else f"{tag}-wrong" for v in values]


def synthetic_pair(rng: np.random.Generator, *, degrade_general: float = 0.0) -> tuple[list, list, dict]:
    """Baseline and candidate rows. The candidate fixes 60% of intent mistakes and a third of preference
    mistakes, lowers bits_per_byte, keeps general unchanged up to symmetric noise, unless degrade_general
    flips that share of all general items from right to wrong."""
    base: list[dict[str, Any]] = []
    cand: list[dict[str, Any]] = []
    truth: dict[str, Any] = {}

    ib = (rng.random(200) < 0.55).astype(float)
    ic = ib.copy()
    wrong, right = np.flatnonzero(ib == 0), np.flatnonzero(ib == 1)
    ic[wrong[: int(0.6 * len(wrong))]] = 1.0
    ic[right[-3:]] = 0.0  # a few right->wrong among the shared items
    # baseline saw items 0..199, candidate 10..209: 190 shared; candidate's items 190..199 are new ones
    cand_i = np.concatenate([ic[10:], (rng.random(10) < 0.5).astype(float)])
    base += _rows("support_chat_intent", "support_chat", "acc", ib, predictions=_preds(ib, "b"))
    cand += _rows("support_chat_intent", "support_chat", "acc", cand_i, start=10, predictions=_preds(cand_i, "c"))
    shared_b, shared_c = ib[10:], ic[10:]
    truth["intent_flips"] = (int(((shared_b == 1) & (shared_c == 0)).sum()),
                             int(((shared_b == 0) & (shared_c == 1)).sum()))
    truth["intent_delta"] = float(shared_c.mean() - shared_b.mean())

    pb = (rng.random(150) < 0.6).astype(float)
    pc = pb.copy()
    pw = np.flatnonzero(pb == 0)
    pc[pw[: len(pw) // 3]] = 1.0
    base += _rows("support_chat_preference", "support_chat", "acc", pb)
    cand += _rows("support_chat_preference", "support_chat", "acc", pc)

    bpb_b = rng.normal(1.5, 0.3, 80)
    bpb_c = bpb_b - 0.1 + rng.normal(0, 0.05, 80)
    base += _rows("support_chat_ppl", "support_chat", "bits_per_byte", bpb_b)
    cand += _rows("support_chat_ppl", "support_chat", "bits_per_byte", bpb_c)

    rb = rng.uniform(0.2, 0.6, 60)
    rc = np.clip(rb + 0.05 + rng.normal(0, 0.03, 60), 0, 1)
    base += _rows("support_chat_reply", "support_chat", "rouge_l", rb)
    cand += _rows("support_chat_reply", "support_chat", "rouge_l", rc)

    general_b, general_c = [], []
    for task, p in (("general_arithmetic", 0.7), ("general_facts", 0.65)):
        gb = (rng.random(160) < p).astype(float)
        gc = gb.copy()
        noise = rng.permutation(160)[:8]  # symmetric: 4 right->wrong where possible, 4 wrong->right
        gc[noise[:4]] = 1 - gc[noise[:4]]
        if degrade_general:
            right = np.flatnonzero(gc == 1)
            gc[rng.choice(right, size=int(round(degrade_general * 160)), replace=False)] = 0.0
        for metric in ("acc", "acc_norm"):
            base += _rows(task, "general", metric, gb)
            cand += _rows(task, "general", metric, gc)
        general_b.append(gb)
        general_c.append(gc)
    # forgetting is chance-corrected with the general tasks' declared chance (4 choices: 0.25)
    above = lambda x: (x.mean() - 0.25) / 0.75  # noqa: E731
    truth["general_ratio"] = float(np.mean([above(c) for c in general_c]) / np.mean([above(b) for b in general_b]))
    gpb = rng.normal(2.0, 0.3, 80)
    base += _rows("general_ppl", "general", "bits_per_byte", gpb)
    cand += _rows("general_ppl", "general", "bits_per_byte", gpb + rng.normal(0, 0.01, 80))
    return base, cand, truth


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "h.duckdb")


@pytest.fixture()
def good(store: Store) -> tuple[Store, dict]:
    base, cand, truth = synthetic_pair(np.random.default_rng(0))
    write_eval(store, "eval-base", "model-base", base)
    write_eval(store, "eval-cand", "model-cand", cand)
    return store, truth


def test_alignment_counts_and_drops(good: tuple[Store, dict]) -> None:
    store, _ = good
    al = align(store, "eval-base", "eval-cand")
    by = {(m.task, m.metric): m for m in al.metrics}
    intent = by[("support_chat_intent", "acc")]
    assert (intent.n, intent.n_baseline, intent.n_candidate) == (190, 200, 200)
    assert (intent.dropped_baseline, intent.dropped_candidate) == (10, 10)
    assert by[("general_facts", "acc_norm")].n == 160
    assert by[("support_chat_ppl", "bits_per_byte")].higher_is_better is False
    # items are paired by doc_hash, not position
    row = intent.items.iloc[0]
    assert row["doc_hash"] == "support_chat_intent-00010"


def test_verdicts_flips_and_forgetting(good: tuple[Store, dict]) -> None:
    store, truth = good
    comp = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    intent = comp.row("support_chat_intent")
    assert intent is not None and intent.metric == "acc" and intent.primary
    assert intent.n == 190 and intent.dropped_baseline == 10 and intent.dropped_candidate == 10
    assert intent.delta == pytest.approx(truth["intent_delta"])
    assert intent.ci_low < intent.delta < intent.ci_high
    assert intent.test == "mcnemar_exact" and intent.verdict == "improved"
    assert intent.p_adjusted >= intent.p_value

    ppl = comp.row("support_chat_ppl")
    assert ppl.metric == "bits_per_byte" and not ppl.higher_is_better
    assert ppl.delta < 0 and ppl.test == "paired_permutation" and ppl.verdict == "improved"
    assert comp.row("support_chat_reply").verdict == "improved"
    assert comp.row("general_facts").verdict == "no significant change"
    assert comp.row("general_facts", "acc_norm").primary is False

    flips = next(f for f in comp.flip_counts if f.task == "support_chat_intent")
    assert (flips.right_to_wrong, flips.wrong_to_right) == truth["intent_flips"]
    shown = [f for f in comp.flips if f.task == "support_chat_intent" and f.direction == "right_to_wrong"]
    assert 0 < len(shown) <= 10
    assert shown[0].baseline_prediction == "b-right" and shown[0].candidate_prediction == "c-wrong"
    assert shown[0].prompt.startswith("prompt support_chat_intent") and shown[0].target.startswith("gold-")

    general = comp.suite_row("general")
    assert general.tasks == ["general_arithmetic", "general_facts"]
    assert general.excluded_tasks == ["general_ppl"]  # lower-is-better: not averaged with accuracy
    assert general.n == 320 and general.verdict == "no significant change"
    forget = comp.forgetting_for("general")
    assert forget.ratio == pytest.approx(truth["general_ratio"])
    assert forget.ci_low < 1.0 < forget.ci_high


def test_degraded_candidate_regresses_and_forgets(store: Store) -> None:
    base, cand, truth = synthetic_pair(np.random.default_rng(1), degrade_general=0.15)
    write_eval(store, "eval-base", "model-base", base)
    write_eval(store, "eval-cand", "model-cand", cand)
    comp = compare_runs(store, "model-base", "model-cand", n_boot=N_BOOT)
    assert comp.row("general_arithmetic").verdict == "regressed"
    assert comp.suite_row("general").verdict == "regressed"
    forget = comp.forgetting_for("general")
    assert forget.ratio == pytest.approx(truth["general_ratio"])
    assert forget.ci_high < 1.0
    flips = next(f for f in comp.flip_counts if f.task == "general_facts")
    assert flips.right_to_wrong >= 24  # 15% of 160 items


def test_corrections_and_reproducibility(good: tuple[Store, dict]) -> None:
    store, _ = good
    holm = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT, correction="holm")
    bh = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT, correction="bh")
    again = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT, correction="holm")
    assert holm.to_dict() == again.to_dict()
    assert holm.family_size == sum(r.primary for r in holm.rows if r.n > 0)  # primary metrics only
    for h, b in zip(holm.rows, bh.rows, strict=True):
        assert h.p_value == b.p_value
        if not h.in_family:  # secondary metrics are exploratory: raw p only
            assert h.p_adjusted is None and h.verdict in ("exploratory", "no data")
            continue
        assert h.p_adjusted >= b.p_adjusted >= h.p_value


def test_resolve_by_model_merges_latest_run_per_task(store: Store) -> None:
    base, cand, _ = synthetic_pair(np.random.default_rng(2))
    write_eval(store, "eval-base", "model-base", base)
    support = [r for r in cand if r["suite"] == "support_chat"]
    general = [r for r in cand if r["suite"] == "general"]
    stale = [{**r, "value": 0.0} if r["metric"] == "acc" else r for r in general]
    write_eval(store, "eval-cand-general-old", "model-cand", stale)
    write_eval(store, "eval-cand-support", "model-cand", support)
    write_eval(store, "eval-cand-general", "model-cand", general)

    resolved = resolve_runs(store, "/models/model-cand")  # by ref
    assert resolved.model_id == "model-cand"
    assert resolved.task_runs["support_chat_intent"] == "eval-cand-support"
    assert resolved.task_runs["general_facts"] == "eval-cand-general"  # the newer general run wins
    comp = compare_runs(store, "model-base", "model-cand", n_boot=N_BOOT)
    assert comp.row("general_facts").verdict == "no significant change"
    assert comp.candidate.runs["general_facts"] == "eval-cand-general"
    assert resolve_runs(store, "eval-cand-support").task_runs.keys() == {
        "support_chat_intent", "support_chat_preference", "support_chat_ppl", "support_chat_reply"}


def test_missing_task_shows_as_no_data(store: Store) -> None:
    base, cand, _ = synthetic_pair(np.random.default_rng(3))
    write_eval(store, "eval-base", "model-base", base)
    write_eval(store, "eval-cand", "model-cand", [r for r in cand if r["task"] != "support_chat_reply"])
    comp = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    reply = comp.row("support_chat_reply")
    assert reply.n == 0 and reply.verdict == "no data" and reply.dropped_baseline == 60
    assert reply.p_adjusted is None


def test_direction_from_store_overrides_name(store: Store) -> None:
    rng = np.random.default_rng(4)
    b = rng.normal(5, 1, 50)
    rows_b = _rows("custom_task", "custom", "score", b)
    rows_c = _rows("custom_task", "custom", "score", b + 0.5)
    write_eval(store, "e1", "m1", rows_b, directions={"score": False})
    write_eval(store, "e2", "m2", rows_c, directions={"score": False})
    comp = compare_runs(store, "e1", "e2", n_boot=N_BOOT, regression_suites=())
    row = comp.row("custom_task")
    assert row.higher_is_better is False and row.verdict == "regressed"


def test_resolution_errors(store: Store) -> None:
    base, cand, _ = synthetic_pair(np.random.default_rng(5))
    write_eval(store, "eval-base", "model-base", base)
    with pytest.raises(HarnessError, match="matches no run"):
        resolve_runs(store, "nope")
    run_id = store.start_run("eval", model_id="model-x")
    with pytest.raises(HarnessError, match="is running"):
        resolve_runs(store, run_id)
    with pytest.raises(HarnessError, match="same|both resolve"):
        compare_runs(store, "eval-base", "model-base")
    other = [{**r, "doc_hash": "other-" + r["doc_hash"]} for r in cand]
    write_eval(store, "eval-other", "model-other", other)
    with pytest.raises(HarnessError, match="share no scored items"):
        compare_runs(store, "eval-base", "eval-other")


def test_renderers(good: tuple[Store, dict]) -> None:
    from rich.console import Console

    store, _ = good
    comp = compare_runs(store, "eval-base", "eval-cand", n_boot=N_BOOT)
    data = to_json(comp)
    text = json.dumps(data)  # valid JSON: no NaN
    assert "NaN" not in text and data["rows"][0]["n"] > 0
    md = to_markdown(comp)
    assert "| support_chat | support_chat_intent | acc | 190 | 10/10 |" in md
    assert "95% CI" in md and "forgetting" in md
    console = Console(record=True, width=200)
    print_comparison(comp, console)
    out = console.export_text()
    assert "support_chat_intent" in out and "190" in out and "improved" in out


def test_resolve_by_eval_model_argument(store: Store) -> None:
    """`harness eval --model default` stores the argument in the run config; it resolves without a build."""
    base, cand, _ = synthetic_pair(np.random.default_rng(6))
    write_eval(store, "eval-base", "embedded-default-abc123", base)
    with store.transaction() as con:
        con.execute("UPDATE runs SET config_json = ? WHERE run_id = 'eval-base'", ['{"model": "default"}'])
    resolved = resolve_runs(store, "default")
    assert resolved.model_id == "embedded-default-abc123" and resolved.run_ids == ["eval-base"]
    assert resolve_runs(store, "embedded-def").model_id == "embedded-default-abc123"  # unique prefix
