"""Writers for the feedback-loop tables (schema v3/v5): sweep trials, releases, human labels, judge runs.

Each write is one transaction through `Store.transaction()` (the store's file lock, the normal writer path);
readers (compare, gate, dashboard pages other than labelling) never call these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.store.db import Store, new_id, now

SWEEP_TRIAL_COLS = ("sweep", "trial", "domain", "stage", "state", "params_json", "objective", "objective_name",
                    "direction", "n", "stderr", "train_run_id", "eval_run_id", "detail_json", "created_at")
RELEASE_COLS = ("release_id", "domain", "version", "released", "parent_release", "model_id", "model_ref",
                "base_model_id", "train_run_id", "eval_run_id", "gate_vs_last", "gate_vs_base", "outcome",
                "data_path", "data_hash", "replay", "created_at")
JUDGE_RUN_COLS = ("run_id", "judge_model_id", "judge_ref", "data_path", "data_hash", "out_path", "n_pairs",
                  "n_written", "n_ties", "n_labelled", "position_bias", "mean_confidence", "min_confidence",
                  "truncated", "kappa", "kappa_ci_low", "kappa_ci_high", "kappa_n", "agreement", "created_at")
JUDGE_LABEL_COLS = ("run_id", "pair_index", "source_record", "prompt", "reply_x", "reply_y", "p_order_1", "p_order_2",
                    "p_x", "confidence", "winner", "existing_label", "label_agrees")
HUMAN_LABEL_COLS = ("label_id", "task", "doc_hash", "prompt", "model_a", "model_b", "reply_a", "reply_b",
                    "left_model", "choice", "labeller", "created_at")


def add_sweep_trial(store: Store, row: Mapping[str, Any]) -> None:
    """One finished trial; a trial re-reported (resumed sweep) replaces its earlier row."""
    with store.transaction() as con:
        con.execute("DELETE FROM sweep_trials WHERE sweep = ? AND trial = ?", [row["sweep"], row["trial"]])
        Store._insert(con, "sweep_trials", SWEEP_TRIAL_COLS, [{"created_at": now(), **row}])


def add_release(store: Store, row: Mapping[str, Any]) -> str:
    """A release attempt (released or rejected); returns its id."""
    release_id = row.get("release_id") or new_id("release")
    with store.transaction() as con:
        Store._insert(con, "releases", RELEASE_COLS, [{"created_at": now(), **row, "release_id": release_id}])
    return release_id


def add_human_label(store: Store, row: Mapping[str, Any]) -> str:
    """One pairwise judgement from the labelling page; returns its id."""
    if row["choice"] not in ("a", "b", "tie"):
        raise ValueError(f"choice must be a, b or tie, not {row['choice']!r}")
    label_id = new_id("label")
    with store.transaction() as con:
        Store._insert(con, "human_labels", HUMAN_LABEL_COLS, [{"created_at": now(), **row, "label_id": label_id}])
    return label_id


def add_judge_run(store: Store, run_id: str, summary: Mapping[str, Any], pairs: list[Mapping[str, Any]]) -> None:
    """A labelling run's summary and every pair it judged, and the run's flip to `completed`, in one
    transaction: a judge run in the store always has all its pairs."""
    with store.transaction() as con:
        Store._insert(con, "judge_runs", JUDGE_RUN_COLS, [{"created_at": now(), **summary, "run_id": run_id}])
        Store._insert(con, "judge_labels", JUDGE_LABEL_COLS, [{**p, "run_id": run_id} for p in pairs])
        store.finish_run(run_id, model_id=summary["judge_model_id"], output_path=summary.get("out_path"), con=con)
