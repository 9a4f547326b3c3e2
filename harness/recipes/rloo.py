"""REINFORCE leave-one-out against the domain's reward model: TRL RLOOTrainer (RLHF, online).

Per prompt the policy samples `num_generations` replies; each reply's baseline is the mean reward of the other
replies to the same prompt (leave one out), a variance reduction without a value model. The reward model is the
stage's `models: {reward: ...}`; `beta` weighs the KL to the parent. Prompts, logging and the held-out paired
reward check are GRPO's (harness/feedback/online.py): TRL logs reward, reward_std, kl and completion lengths per
step into train_logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

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

STAGE = "rloo"


class RLOORecipeConfig(OnlineRLSettings):
    """RLOO recipe config (YAML: harness/recipes/rloo.yaml or a domain's stage config)."""

    normalize_advantages: bool = Field(False, description="scale advantages to unit std across the batch")


METHOD = Method(name="rloo", config=RLOORecipeConfig, reads=("prompt_only",), produces="causal_lm",
                needs=("policy", "reward"), after_train=record_after_train,
                summary="RLHF: RLOO (TRL) against a reward model; held-out reward checked paired after training")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> RLOORecipeConfig:
    return load_yaml_model(RLOORecipeConfig, Path(path), overrides)


def setup(cfg: RLOORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, reward_path: str, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """Policy, prompts, reward model and a ready RLOOTrainer."""
    from trl import RLOOConfig, RLOOTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    chat = bool(tokenizer.chat_template)
    train = prompt_dataset(train_path, what="RLOO prompts", chat=chat, limit=cfg.max_train_samples)
    reward_model, reward_tokenizer = load_reward_model(reward_path)
    args = RLOOConfig(
        **{**trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=False),
           **trl_arguments(cfg)},
        normalize_advantages=cfg.normalize_advantages,
    )
    trainer = RLOOTrainer(model=model, reward_funcs=reward_model, args=args, train_dataset=train,
                          processing_class=tokenizer, reward_processing_classes=reward_tokenizer,
                          peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain", "reward_model": reward_path,
                                      "n_prompts": len(train)}


def run(cfg: RLOORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, models: dict[str, str] | None = None, store: Store | None = None,
        run_id: str | None = None, device: DevicePlan | None = None, trust_remote_code: bool = False,
        progress: bool = True) -> StageOutput:
    """RLOO from the parent model against `models["reward"]`; saves the policy, then the held-out reward check."""
    return run_online(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                      validation_path=validation_path, output_dir=output_dir, models=models, store=store,
                      run_id=run_id, device=device, trust_remote_code=trust_remote_code, progress=progress)
