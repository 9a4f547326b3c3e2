"""Group relative policy optimization against the domain's reward model: TRL GRPOTrainer (RLHF, online).

Per prompt the policy samples `num_generations` replies; the reward model (the stage's `models: {reward: ...}`, a
stage of the `reward` method or any one-score sequence classifier) scores each, and a reply's advantage is its
reward relative to its group's. A KL penalty (`beta`) to the parent keeps the policy near it. Prompts come from
any dataset whose records carry a `prompt` (prompt_only; preference pairs are converted to it by prep).
TRL's per-step figures (reward, reward_std, kl, completions/mean_length, clip ratios) land in train_logs; after
training, the held-out check (harness/feedback/online.py) scores the parent's and the policy's greedy replies on
the validation prompts with the same reward model and tests the paired difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.feedback.online import (
    OnlineRLSettings,
    load_reward_model,
    prompt_dataset,
    run_online,
    trl_arguments,
)
from harness.feedback.reward_eval import record_after_train
from harness.methods import Method
from harness.recipes.common import StageOutput, load_model_and_tokenizer, quiet, trainer_arguments

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from harness.store import Store

STAGE = "grpo"


class GRPORecipeConfig(OnlineRLSettings):
    """GRPO recipe config (YAML: harness/recipes/grpo.yaml or a domain's stage config)."""

    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = Field(
        "grpo", description="TRL's GRPO loss normalisation (per sequence, per token, constant, per batch)")
    scale_rewards: bool = Field(True, description="divide advantages by the group's reward std")


METHOD = Method(name="grpo", config=GRPORecipeConfig, reads=("prompt_only",), produces="causal_lm",
                needs=("policy", "reward"), after_train=record_after_train,
                summary="RLHF: GRPO (TRL) against a reward model; held-out reward checked paired after training")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> GRPORecipeConfig:
    return load_yaml_model(GRPORecipeConfig, Path(path), overrides)


def setup(cfg: GRPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, reward_path: str, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """Policy, prompts, reward model and a ready GRPOTrainer."""
    from trl import GRPOConfig, GRPOTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    chat = bool(tokenizer.chat_template)
    train = prompt_dataset(train_path, what="GRPO prompts", chat=chat, limit=cfg.max_train_samples)
    reward_model, reward_tokenizer = load_reward_model(reward_path)
    args = GRPOConfig(
        **{**trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=False),
           **trl_arguments(cfg)},
        loss_type=cfg.loss_type,
        scale_rewards=cfg.scale_rewards,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=reward_model, args=args, train_dataset=train,
                          processing_class=tokenizer, reward_processing_classes=reward_tokenizer,
                          peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain", "reward_model": reward_path,
                                      "n_prompts": len(train)}


def run(cfg: GRPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, models: dict[str, str] | None = None, store: Store | None = None,
        run_id: str | None = None, device: DevicePlan | None = None, trust_remote_code: bool = False,
        progress: bool = True) -> StageOutput:
    """GRPO from the parent model against `models["reward"]`; saves the policy, then the held-out reward check."""
    return run_online(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                      validation_path=validation_path, output_dir=output_dir, models=models, store=store,
                      run_id=run_id, device=device, trust_remote_code=trust_remote_code, progress=progress)
