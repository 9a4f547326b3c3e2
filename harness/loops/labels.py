"""Human preference labels: pairs of model replies to label, and the labels as a preference dataset.

The dashboard's labelling page (dashboards/views/labelling.py) shows a prompt and two replies of two
evaluated models on the same item (from `eval_samples`, so nothing is generated while a person waits), in a
random order with the models hidden; each judgement is one `human_labels` row (harness.store.feedback).
`harness labels export` turns the labels into `{prompt, chosen, rejected}` records (ties left out) that a
preference stage reads like any other dataset (`--source pairs=FILE`). The prompts are eval items, so the
domain's decontamination drops them from training unless it is switched off for that run
(`--set cleaning.decontam.enabled=false`): training on labelled eval items is a choice to make knowingly."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.store import Store


def generation_runs(store: Store) -> list[dict[str, Any]]:
    """Completed eval runs with generated replies (non-empty predictions of a generation task)."""
    return store.query(
        "SELECT r.run_id, r.model_id, r.domain, r.stage, r.finished_at, count(DISTINCT s.doc_hash) AS n_items"
        " FROM runs r JOIN eval_samples s ON s.run_id = r.run_id"
        " JOIN eval_tasks t ON t.run_id = r.run_id AND t.task = s.task AND t.primary_metric = s.metric"
        " WHERE r.kind = 'eval' AND r.status = 'completed' AND s.prediction IS NOT NULL AND s.prediction <> ''"
        " AND json_extract_string(t.config_json, '$.output_type') = 'generate_until'"
        " GROUP BY ALL ORDER BY r.finished_at DESC")


def candidate_pairs(store: Store, run_a: str, run_b: str) -> list[dict[str, Any]]:
    """Items both runs answered with different replies, oldest first by task and doc."""
    rows = store.query(
        "SELECT a.task, a.doc_hash, a.doc_id, a.prompt, a.model_id AS model_a, b.model_id AS model_b,"
        " a.prediction AS reply_a, b.prediction AS reply_b"
        " FROM eval_samples a JOIN eval_samples b ON a.task = b.task AND a.doc_hash = b.doc_hash"
        "  AND a.metric = b.metric"
        " JOIN eval_tasks t ON t.run_id = a.run_id AND t.task = a.task AND t.primary_metric = a.metric"
        " WHERE a.run_id = ? AND b.run_id = ? AND a.prediction IS NOT NULL AND b.prediction IS NOT NULL"
        " AND json_extract_string(t.config_json, '$.output_type') = 'generate_until'"
        " AND trim(a.prediction) <> trim(b.prediction) ORDER BY a.task, a.doc_id", [run_a, run_b])
    return rows


def unlabelled(store: Store, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    done = {(r["doc_hash"], frozenset((r["model_a"], r["model_b"]))) for r in store.query(
        "SELECT doc_hash, model_a, model_b FROM human_labels")}
    return [p for p in pairs if (p["doc_hash"], frozenset((p["model_a"], p["model_b"]))) not in done]


def left_is_a(pair: dict[str, Any], salt: str) -> bool:
    """The randomised side of model A for this pair (stable for one page session, hidden from the person)."""
    return random.Random(f"{salt}:{pair['doc_hash']}").random() < 0.5


def split_chat_prompt(prompt: str) -> tuple[str, str | None]:
    """(user text, system text) of a prompt rendered in the embedded chat format; (prompt, None) otherwise, so
    the preference stage renders it with the chat template exactly once."""
    users = re.findall(r"<\|user\|>\n(.*?)<\|end\|>", prompt, re.S)
    if not users:
        return prompt, None
    system = re.search(r"<\|system\|>\n(.*?)<\|end\|>", prompt, re.S)
    return users[-1], system.group(1) if system else None


def preference_records(store: Store, task: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """(records, n_ties): one {prompt, chosen, rejected} per non-tie label, prompt as the model saw it."""
    rows = store.query("SELECT * FROM human_labels" + (" WHERE task = ?" if task else "") + " ORDER BY created_at",
                       [task] if task else [])
    records, ties = [], 0
    for r in rows:
        if r["choice"] == "tie":
            ties += 1
            continue
        chosen, rejected = (r["reply_a"], r["reply_b"]) if r["choice"] == "a" else (r["reply_b"], r["reply_a"])
        user, system = split_chat_prompt(r["prompt"])
        meta = {"label_id": r["label_id"], "task": r["task"], "doc_hash": r["doc_hash"], "source": "human"}
        if system:
            meta["system"] = system
        records.append({"prompt": user, "chosen": chosen.strip(), "rejected": rejected.strip(), "meta": meta})
    return records, ties


def export_labels(store: Store, out: Path, task: str | None = None) -> tuple[int, int]:
    records, ties = preference_records(store, task)
    if not records:
        raise HarnessError("the store has no human preference label (other than ties)",
                           "label pairs on the dashboard's Labelling page first (`harness dashboard`)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
    tmp.rename(out)
    return len(records), ties
