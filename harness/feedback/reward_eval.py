"""The RL held-out reward check as a stored evaluation that compare and gate pair item by item.

`feedback/online.held_out_check` scores the parent's and the policy's greedy replies to the stage's validation
prompts with the stage's reward model. Here each side becomes one eval run (`record_eval`, the path the
reward and classifier methods use), so `harness compare <parent> <policy>` and a gate rule such as

    - kind: min_improvement
      task: support_chat_held_out_reward
      metric: reward
      significant: true

treat it like any lm-eval task. What makes two runs of it comparable is stored as the task identity
(`eval_tasks`): the reward model's id, the hash of the prompt file, the number of prompts, the reply length and
greedy decoding. Per item: `doc_hash` = the prompt's key (its record `id` when it has one, else the prompt
itself), `value` = the reward of the reply, `prediction` = the reply. The task name is `<domain>_held_out_reward`
(one per domain, not per stage), so two policies trained against the same reward model on the same prompts pair
with each other as well as with their parent; a different reward model is a different identity and compare
refuses to pair it (config drift).

Scores are computed once, while training (the stage manifest keeps them), and recorded when the pipeline knows
the models' ids: `record_after_train` is the `after_train` hook of the `grpo` and `rloo` methods. A stage reused
from the cache records them again only in a store that lacks them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.fingerprint import fingerprint, hash_file

if TYPE_CHECKING:
    from harness.evaluation.runner import EvalSummary
    from harness.models.refs import ModelRef
    from harness.store import Store

METRIC = "reward"


def task_name(domain: str | None) -> str:
    return f"{domain or 'model'}_held_out_reward"


def prompt_key(row: dict[str, Any], prompt: Any) -> str:
    """The item's identity: the record's `id` when it has one, else the prompt as the model reads it."""
    rid = row.get("id")
    return fingerprint({"id": rid}) if isinstance(rid, str | int) and str(rid) else fingerprint({"prompt": prompt})


def prompt_text(prompt: Any) -> str:
    """The prompt as shown beside the item (the user turn of a chat prompt)."""
    if isinstance(prompt, list):
        return "\n".join(f"{m.get('role')}: {m.get('content')}" for m in prompt if isinstance(m, dict))
    return str(prompt)


def identity(result: dict[str, Any]) -> dict[str, Any]:
    """What the two sides must share to be paired (stored as the task's eval_tasks config)."""
    return {"evaluator": "feedback.held_out_reward", "reward_model_id": result["reward_model_id"],
            "prompts_hash": result["prompts_hash"], "n_prompts": result["n"], "decoding": "greedy",
            "max_new_tokens": result["max_new_tokens"], "metric": METRIC,
            "code_hash": hash_file(Path(__file__).with_name("online.py"))}


def _items(result: dict[str, Any], side: str) -> list[dict[str, Any]]:
    per = result["per_prompt"]
    replies = per.get(f"replies_{side}") or [None] * len(per[side])
    return [{"doc_id": i, "doc": text, "doc_hash": key, "value": value, "prediction": reply}
            for i, (key, text, value, reply) in enumerate(zip(per["keys"], per["prompts"], per[side], replies,
                                                              strict=True))]


def _already_stored(store: Store, model_id: str, task: str, config_hash: str) -> str | None:
    rows = store.query(
        "SELECT r.run_id FROM runs r JOIN eval_tasks t ON t.run_id = r.run_id WHERE r.kind = 'eval' AND "
        "r.status = 'completed' AND r.model_id = ? AND t.task = ? AND t.config_hash = ? "
        "ORDER BY r.started_at DESC LIMIT 1", [model_id, task, config_hash])
    return rows[0]["run_id"] if rows else None


def record_held_out_evals(store: Store, parent: ModelRef, policy: ModelRef, result: dict[str, Any], *,
                          domain: str | None, stage: str | None, parent_stage: str | None = None) -> dict[str, str]:
    """One eval run per side ({'parent': run_id, 'policy': run_id}); a side already stored with the same
    identity is reused (the parent of two RL stages is scored once)."""
    from harness.evaluation.custom import record_eval
    from harness.evaluation.tasks import config_hash

    task = task_name(domain)
    ident = identity(result)
    runs = {}
    for side, model, key in (("parent", parent, "before"), ("policy", policy, "after")):
        found = _already_stored(store, model.model_id, task, config_hash(ident))
        if found:
            runs[side] = found
            continue
        summary: EvalSummary = record_eval(
            store, model, suite=task, task=task, metric=METRIC, items=_items(result, key), higher_is_better=True,
            identity=ident, domain=domain, stage=stage if side == "policy" else parent_stage,
            config={"held_out_reward_of": stage, "side": side})
        runs[side] = summary.run_id
    return runs


def record_after_train(store: Store, stage_model: ModelRef, parent: ModelRef, *, domain: str, stage: str,
                       parent_stage: str | None = None) -> dict[str, str] | None:
    """The methods' `after_train` hook: the stage manifest's held-out check as two stored evals (or None when the
    stage ran no check)."""
    from harness.recipes.common import MANIFEST_NAME

    manifest = _stage_manifest(Path(stage_model.path), MANIFEST_NAME)
    result = ((manifest or {}).get("resolved") or {}).get("held_out_reward")
    if not result or "keys" not in (result.get("per_prompt") or {}):
        return None
    return record_held_out_evals(store, parent, stage_model, result, domain=domain, stage=stage,
                                 parent_stage=parent_stage)


def _stage_manifest(model_path: Path, name: str) -> dict[str, Any] | None:
    for folder in (model_path, *model_path.parents[:2]):
        if (folder / name).exists():
            return json.loads((folder / name).read_text(encoding="utf-8"))
    return None
