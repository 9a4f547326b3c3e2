"""What the online RL recipes (GRPO, RLOO) share: their config fields, the prompts, the reward model they are scored
by, and the held-out check that the policy earns more reward than its parent.

The trainers and their loops are TRL's: a reward model folder written by the `reward` method (or any
AutoModelForSequenceClassification with one score) is handed to TRL as a reward function, and TRL scores each
sampled reply with it. TRL logs per optimizer step the mean reward and its spread, the KL to the reference model
(when `beta` > 0), the clip ratios and the generated lengths (`completions/mean_length`, ...); the store callback
keeps all of them in `train_logs.metrics_json`.

The held-out check (`held_out_check`) does not trust the training curve: it replies greedily to the stage's
validation prompts with the parent and with the trained policy, scores both replies with the same reward model,
and tests the per-prompt difference (paired t-test and Wilcoxon signed-rank, scipy). The result is the
manifest's `resolved.held_out_reward` and a `train_logs` row with split `held_out_reward`;
harness/feedback/reward_eval.py turns the per-prompt values into one stored evaluation per side (task
`<domain>_held_out_reward`), which compare and gate pair item by item.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from harness.errors import HarnessError
from harness.recipes.common import LoraSettings, TrainSettings, read_jsonl, require_str

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from harness.store import Store

HELD_OUT_SPLIT = "held_out_reward"


class OnlineRLSettings(TrainSettings):
    """Fields GRPO and RLOO share (TRL's GRPOConfig / RLOOConfig names them the same)."""

    learning_rate: float = Field(1e-4, gt=0)
    per_device_batch_size: int = Field(
        8, ge=2, description="completions per step (prompts per step x num_generations); a multiple of num_generations")
    num_generations: int = Field(4, ge=2, description="replies sampled per prompt; rewards are compared within a group")
    max_prompt_length: int = Field(192, ge=8, description="prompt tokens kept (left-truncated)")
    max_completion_length: int = Field(32, ge=1, description="tokens generated per reply")
    temperature: float = Field(1.0, gt=0, description="sampling temperature while training")
    beta: float = Field(0.04, ge=0, description="KL penalty to the reference (the parent); > 0 also logs the KL "
                        "(TRL's GRPO default is 0)")
    held_out_prompts: int = Field(
        64, ge=0, description="validation prompts the parent and the trained policy answer greedily for the paired "
        "reward test (0 = skip)")
    held_out_max_new_tokens: int | None = Field(None, ge=1, description="default: max_completion_length")
    logging_steps: int = Field(1, ge=1, description="RL curves are short: log every step (differs from base)")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="off by default: full fine-tuning")


def require_reward_model(models: dict[str, str] | None, method: str) -> str:
    """The `reward` model path a stage passes under `models:`."""
    path = (models or {}).get("reward")
    if not path:
        raise HarnessError(f"method {method} needs a reward model", "add `models: {reward: <stage or model ref>}` to "
                           "the stage (a stage running the `reward` method, or a folder of a sequence-classification "
                           "model)")
    if not (Path(path) / "config.json").exists():
        raise HarnessError(f"reward model {path} has no config.json", "point `models.reward` at a model folder")
    return path


def prompt_messages(row: dict[str, Any], where: str, chat: bool) -> Any:
    """A prompt as TRL's conversational prompt (system turn from the record's `system` / meta.system) or text."""
    prompt = require_str(row, "prompt", where, "prompt_only")
    if not chat:
        return prompt
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    system = row.get("system") or meta.get("system")
    turns = [{"role": "system", "content": system}] if isinstance(system, str) and system.strip() else []
    return [*turns, {"role": "user", "content": prompt}]


def prompt_dataset(path: Path, *, what: str, chat: bool, limit: int | None) -> Dataset:
    """TRL's prompt-only format from the stage's records (any kind with a `prompt`: prompt_only, preference)."""
    from datasets import Dataset

    rows = read_jsonl(path, what=what, limit=limit)
    return Dataset.from_list([{"prompt": prompt_messages(r, f"{path} record {i + 1}", chat)}
                              for i, r in enumerate(rows)])


def load_reward_model(path: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The reward model in eval mode, as TRL's reward function (with its own tokenizer)."""
    from harness.recipes.reward import load_scorer

    model, tokenizer = load_scorer(path)
    return model.eval(), tokenizer


def trl_arguments(cfg: OnlineRLSettings) -> dict[str, Any]:
    """The config fields both TRL online trainers name the same way."""
    if cfg.per_device_batch_size * cfg.gradient_accumulation % cfg.num_generations:
        raise HarnessError(f"per_device_batch_size x gradient_accumulation ({cfg.per_device_batch_size} x "
                           f"{cfg.gradient_accumulation}) is not a multiple of num_generations ({cfg.num_generations})",
                           "make the completions per step a multiple of num_generations (e.g. 8 and 4)")
    return {"num_generations": cfg.num_generations, "max_completion_length": cfg.max_completion_length,
            "temperature": cfg.temperature, "beta": cfg.beta,
            "include_num_input_tokens_seen": "no"}  # the trainers feed token ids, not `input_ids`: nothing to count


# -- the held-out check -------------------------------------------------------------------------------------------
def greedy_replies(model_path: str, prompts: list[Any], *, max_new_tokens: int, batch_size: int = 16) -> list[str]:
    """Greedy replies (deterministic, so parent and policy are compared on the same footing)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()
    out: list[str] = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start:start + batch_size]
        texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) if isinstance(p, list)
                 else p for p in chunk]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                       pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        new = generated[:, batch["input_ids"].shape[1]:]
        out += [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]
    return out


def reward_scores(reward_path: str, prompts: list[Any], replies: list[str], batch_size: int = 16) -> list[float]:
    """The reward model's score of each (prompt, reply), rendered as TRL renders it while training."""
    import torch

    model, tokenizer = load_reward_model(reward_path)
    scores: list[float] = []
    for start in range(0, len(prompts), batch_size):
        texts = []
        for prompt, reply in zip(prompts[start:start + batch_size], replies[start:start + batch_size], strict=True):
            if isinstance(prompt, list):
                texts.append(tokenizer.apply_chat_template([*prompt, {"role": "assistant", "content": reply}],
                                                           tokenize=False))
            else:
                texts.append(prompt + reply)
        batch = tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=512,
                          add_special_tokens=False)
        with torch.no_grad():
            scores += model(**batch).logits[:, 0].tolist()
    return scores


def paired_test(before: list[float], after: list[float]) -> dict[str, Any]:
    """Mean per-item difference with its 95% CI, paired t-test and Wilcoxon signed-rank p-values (two-sided)."""
    import numpy as np
    from scipy import stats

    a, b = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    diff = b - a
    n = len(diff)
    sd = float(diff.std(ddof=1)) if n > 1 else math.nan
    se = sd / math.sqrt(n) if n > 1 else math.nan
    half = float(stats.t.ppf(0.975, n - 1) * se) if n > 1 else math.nan
    nonzero = diff[diff != 0]
    wilcoxon_p = float(stats.wilcoxon(nonzero).pvalue) if len(nonzero) >= 2 else 1.0
    t_p = float(stats.ttest_rel(b, a).pvalue) if n > 1 and sd > 0 else 1.0
    return {"n": n, "before": float(a.mean()), "after": float(b.mean()), "delta": float(diff.mean()),
            "delta_se": se, "ci95": [float(diff.mean()) - half, float(diff.mean()) + half],
            "p_ttest": t_p, "p_wilcoxon": wilcoxon_p, "improved": int((diff > 0).sum()), "worse": int((diff < 0).sum())}


def held_out_check(parent_path: str, policy_path: str, reward_path: str, prompts: list[Any], *,
                   max_new_tokens: int, keys: list[str] | None = None) -> dict[str, Any]:
    """Reward of the parent's and the policy's greedy replies on the same prompts, and the paired test. Per prompt
    (`per_prompt`): its key, its text, both rewards and both replies (feedback/reward_eval stores them as evals)."""
    from harness.feedback.reward_eval import prompt_key, prompt_text

    parent_replies = greedy_replies(parent_path, prompts, max_new_tokens=max_new_tokens)
    before = reward_scores(reward_path, prompts, parent_replies)
    replies = greedy_replies(policy_path, prompts, max_new_tokens=max_new_tokens)
    after = reward_scores(reward_path, prompts, replies)
    per_prompt = {"keys": keys or [prompt_key({}, p) for p in prompts], "prompts": [prompt_text(p) for p in prompts],
                  "before": before, "after": after, "replies_before": parent_replies, "replies_after": replies}
    return {**paired_test(before, after), "max_new_tokens": max_new_tokens, "per_prompt": per_prompt,
            "example_reply": replies[0] if replies else None}


def record_held_out(store: Store | None, run_id: str | None, step: int, result: dict[str, Any]) -> None:
    """The check as a `train_logs` row (split `held_out_reward`; per-prompt values stay in the manifest)."""
    if store is None or run_id is None:
        return
    metrics = {k: v for k, v in result.items() if k != "per_prompt"}
    store.add_train_logs([{"run_id": run_id, "step": step, "epoch": None, "split": HELD_OUT_SPLIT,
                           "loss": None, "learning_rate": None, "grad_norm": None, "tokens_seen": None,
                           "metrics_json": metrics}])


def run_online(stage: str, setup: Any, cfg: OnlineRLSettings, *, model_path: str, train_path: Path,
               validation_path: Path | None, output_dir: Path, models: dict[str, str] | None, store: Store | None,
               run_id: str | None, device: Any, trust_remote_code: bool, progress: bool) -> Any:
    """Train with TRL's online trainer (the recipe's `setup`), save the stage, then run the held-out check on the
    validation prompts and add it to the stage manifest and the store."""
    import functools
    import json

    from harness.recipes.common import MANIFEST_NAME, train_and_save

    reward_path = require_reward_model(models, stage)
    output = train_and_save(stage, functools.partial(setup, reward_path=reward_path), cfg, model_path=model_path,
                            train_path=train_path, validation_path=None, output_dir=output_dir, store=store,
                            run_id=run_id, device=device, trust_remote_code=trust_remote_code, progress=progress)
    if cfg.held_out_prompts and validation_path is not None:
        rows = read_jsonl(validation_path, what=f"{stage} held-out prompts", limit=cfg.held_out_prompts)
        from transformers import AutoTokenizer

        chat = bool(AutoTokenizer.from_pretrained(model_path).chat_template)
        from harness.feedback.reward_eval import prompt_key
        from harness.fingerprint import hash_file
        from harness.models.refs import resolve_model

        prompts = [prompt_messages(r, f"{validation_path} record {i + 1}", chat) for i, r in enumerate(rows)]
        result = held_out_check(model_path, str(output.model_path), reward_path, prompts,
                                max_new_tokens=cfg.held_out_max_new_tokens or cfg.max_completion_length,
                                keys=[prompt_key(r, p) for r, p in zip(rows, prompts, strict=True)])
        result["reward_model_id"] = resolve_model(reward_path, progress=False).model_id
        result["prompts_hash"] = hash_file(Path(validation_path))
        record_held_out(store, run_id, output.global_steps, result)
        manifest_file = output_dir / MANIFEST_NAME
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        manifest["resolved"] = {**(manifest.get("resolved") or {}), "held_out_reward": result}
        tmp = manifest_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        tmp.replace(manifest_file)
        output.eval_first = {"held_out_reward": result["before"]}
        output.eval_last = {"held_out_reward": result["after"]}
    return output
