"""The whole path on the micro model, for real: prep → CPT → SFT → DPO → lm-eval → store → compare → gate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import MICRO_EVAL_LIMIT, MICRO_OVERRIDES, MICRO_POLICY

from harness.compare.report import compare_runs
from harness.domains import load_domain
from harness.errors import HarnessError
from harness.store import Store

pytestmark = pytest.mark.slow


def _cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=600, stdin=subprocess.DEVNULL)


def test_every_run_completed(pipeline_run):
    db, result, _ = pipeline_run
    store = Store(db, read_only=True)
    rows = store.query("SELECT kind, stage, status FROM runs")
    assert all(r["status"] == "completed" for r in rows), rows
    assert sorted(r["stage"] for r in rows if r["kind"] == "train") == ["cpt", "dpo", "intent_head", "sft"]
    # the head: one eval on its held-out split, one on support_chat_intent's own items
    assert sorted(r["stage"] for r in rows if r["kind"] == "eval") == [
        "base", "cpt", "dpo", "intent_head", "intent_head", "sft"]
    assert [r for r in rows if r["kind"] == "prep"]
    reports = store.query("SELECT dataset, n_rows_in, n_rows_out, report_json FROM data_reports")
    assert {r["dataset"] for r in reports} == {"transcripts", "chats", "pairs", "intents"}
    assert all(r["n_rows_out"] > 0 for r in reports)


def test_losses_went_down(pipeline_run):
    db, result, _ = pipeline_run
    store = Store(db, read_only=True)
    for stage, run_id in result.train_runs.items():
        # DPO's held-out loss on 16 pairs after a dozen micro steps is noise-dominated; its train loss
        # must fall like every stage's, validation is asserted where the micro run has the signal.
        for split in ("train",) if stage == "dpo" else ("train", "validation"):
            losses = [r["loss"] for r in store.query(
                "SELECT loss FROM train_logs WHERE run_id = ? AND split = ? AND loss IS NOT NULL ORDER BY step",
                [run_id, split])]
            assert len(losses) >= 2, (stage, split, losses)
            assert losses[-1] < losses[0], (stage, split, losses)


def test_eval_rows_are_complete_and_aligned(pipeline_run):
    db, result, _ = pipeline_run
    store = Store(db, read_only=True)
    hashes = {}
    for name, run_id in result.eval_runs.items():
        if name in result.own_evals:
            continue
        aggregates = store.query("SELECT task, metric, value, stderr, n FROM eval_results WHERE run_id = ?", [run_id])
        tasks = {r["task"] for r in aggregates}
        assert {"support_chat_intent", "support_chat_preference", "support_chat_ppl", "support_chat_reply",
                "general_arithmetic", "general_ppl"} <= tasks
        for row in aggregates:
            assert row["n"] == MICRO_EVAL_LIMIT and row["stderr"] is not None, row
            n_items = store.query("SELECT count(*) AS n FROM eval_samples WHERE run_id = ? AND task = ? AND metric = ?",
                                  [run_id, row["task"], row["metric"]])[0]["n"]
            assert n_items == row["n"], row
        hashes[name] = {r["doc_hash"] for r in store.query(
            "SELECT DISTINCT doc_hash FROM eval_samples WHERE run_id = ?", [run_id])}
    assert len({frozenset(h) for h in hashes.values()}) == 1  # every model saw the same items


def test_training_changes_scores_and_beats_base(pipeline_run):
    db, result, _ = pipeline_run
    store = Store(db, read_only=True)
    for before, after in [("base", "cpt"), ("cpt", "sft"), ("sft", "dpo")]:
        changed = store.query(
            "SELECT count(*) AS n FROM eval_samples a JOIN eval_samples b USING (task, metric, doc_hash)"
            " WHERE a.run_id = ? AND b.run_id = ? AND abs(a.value - b.value) > 1e-9",
            [result.eval_runs[before], result.eval_runs[after]])[0]["n"]
        assert changed > 0, f"{after} scored every item exactly like {before}"
    comp = result.comparison  # dpo vs base, paired and Holm-corrected
    assert comp.row("support_chat_ppl", "bits_per_byte").verdict == "improved"
    assert comp.row("support_chat_preference", "acc").delta > 0
    sft_vs_cpt = compare_runs(store, result.eval_runs["cpt"], result.eval_runs["sft"])
    assert sft_vs_cpt.row("support_chat_preference").delta > 0  # SFT teaches which replies are good


def test_classification_head_scores_the_generative_task_items_and_pairs_with_them(pipeline_run):
    """The head is scored on support_chat_intent's own documents, choosing among each item's 8 options, and pairs
    item by item (lm-eval's doc hashes) with the SFT model's rows. (Whether a head beats chance is
    test_recipes' classifier test: a 40-step head on the micro model's last-token features stays near chance on
    23 intents: 0.02-0.07 held-out accuracy measured for 80-200 steps at lr 3e-3 to 1e-2.)"""
    from lm_eval.utils import handle_non_serializable, hash_string

    from harness.summary import same_item_runs

    db, result, _ = pipeline_run
    store = Store(db, read_only=True)
    runs = same_item_runs(store, result.models["intent_head"].model_id)
    assert set(runs) == {"support_chat_intent"}
    head_run = runs["support_chat_intent"]
    task = store.query("SELECT chance, primary_metric, json_extract_string(config_json, '$.items_of') AS items_of "
                       "FROM eval_tasks WHERE run_id = ?", [head_run])[0]
    assert task == {"chance": 0.125, "primary_metric": "acc", "items_of": "support_chat_intent"}
    docs_path = Path(load_domain("support_chat").suite_root) / "data" / "intent.jsonl"
    docs = [json.loads(line) for line in docs_path.read_text().splitlines()]
    choices = {hash_string(json.dumps(d, indent=2, default=handle_non_serializable, ensure_ascii=False)): d["choices"]
               for d in docs}
    rows = store.query("SELECT doc_hash, prediction, target, value FROM eval_samples WHERE run_id = ? AND "
                       "metric = 'acc'", [head_run])
    assert len(rows) == MICRO_EVAL_LIMIT
    for r in rows:  # lm-eval's document, one of its own options, scored 1 exactly when it is the gold one
        assert r["prediction"] in choices[r["doc_hash"]] and r["target"] in choices[r["doc_hash"]], r
        assert r["value"] == float(r["prediction"] == r["target"])
    comp = compare_runs(store, result.eval_runs["sft"], head_run, regression_suites=(), allow_config_drift=True)
    row = comp.row("support_chat_intent", "acc")
    assert row.n == MICRO_EVAL_LIMIT and row.test == "mcnemar_exact" and row.ci_low <= row.delta <= row.ci_high
    with pytest.raises(HarnessError, match="task config differs"):  # without the flag: refused (other scorer)
        compare_runs(store, result.eval_runs["sft"], head_run, regression_suites=())


def test_gate_passes_tuned_and_fails_base(pipeline_run):
    db, _, gates = pipeline_run
    assert gates == {"tuned_vs_base": 0, "base_vs_tuned": 1}
    stored = Store(db, read_only=True).query("SELECT passed FROM gates ORDER BY created_at")
    assert [g["passed"] for g in stored] == [True, False]


def test_gate_cli_exit_code_junit_and_summary(pipeline_run, tmp_path):
    shared, result, _ = pipeline_run
    db = tmp_path / "own.duckdb"  # gates write rows: use a copy, so no other test sees them (order-free)
    shutil.copy(shared, db)
    junit, summary = tmp_path / "gate.xml", tmp_path / "summary.md"
    proc = _cli(["gate", "--policy", str(MICRO_POLICY), "--candidate", result.eval_runs["base"],
                 "--baseline", result.eval_runs["dpo"], "--junit", str(junit), "--summary", str(summary),
                 "--db", str(db), "--allow-limit"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    suite = ET.parse(junit).getroot()
    cases = suite.iter("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert failures and "support_chat_ppl" in ET.tostring(suite, encoding="unicode")
    assert "FAIL" in summary.read_text().upper()
    ok = _cli(["gate", "--policy", str(MICRO_POLICY), "--candidate", result.eval_runs["dpo"],
               "--baseline", result.eval_runs["base"], "--db", str(db), "--allow-limit"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "LIMITED" in ok.stdout  # a smoke gate says what it is
    refused = _cli(["gate", "--policy", str(MICRO_POLICY), "--candidate", result.eval_runs["dpo"],
                    "--baseline", result.eval_runs["base"], "--db", str(db)])
    assert refused.returncode == 2 and "allow-limit" in refused.stderr


def test_compare_cli_json_and_flips(pipeline_run):
    db, result, _ = pipeline_run
    proc = _cli(["compare", result.eval_runs["base"], result.eval_runs["dpo"], "--json", "--db", str(db)])
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rows = {(r["task"], r["metric"]): r for r in data["rows"]}
    for key in [("support_chat_reply", "rouge_l"), ("support_chat_ppl", "bits_per_byte")]:
        row = rows[key]
        assert row["n"] == MICRO_EVAL_LIMIT and row["ci_low"] <= row["delta"] <= row["ci_high"], row
    assert data["forgetting"] and data["forgetting"][0]["suite"] == "general"
    table = _cli(["compare", result.eval_runs["base"], result.eval_runs["dpo"], "--show-flips", "3", "--db", str(db)])
    assert table.returncode == 0 and "forgetting" in table.stdout.lower()


def test_rerun_reuses_every_stage(pipeline_run, tmp_path):
    """Unchanged inputs → same fingerprints → cached stage outputs; a new store still gets the curves."""
    from harness.pipeline import PipelineOptions, run_pipeline

    _, first, _ = pipeline_run
    db = tmp_path / "again.duckdb"
    again = run_pipeline(PipelineOptions(domain="support_chat", base_model="default:micro",
                                         overrides=MICRO_OVERRIDES, evaluate=False, progress=False), db)
    assert {s: m.model_id for s, m in again.models.items()} == {s: m.model_id for s, m in first.models.items()}
    store = Store(db, read_only=True)
    runs = store.query("SELECT run_id, config_json FROM runs WHERE kind = 'train'")
    assert len(runs) == len(first.train_runs) == 4 and all(json.loads(r["config_json"])["reused"] for r in runs)
    assert store.query("SELECT count(*) AS n FROM train_logs")[0]["n"] > 0
