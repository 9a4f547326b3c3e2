"""Simple preference optimization (SimPO) on {"prompt", "chosen", "rejected"} pairs, through TRL's CPOTrainer
(`trl.experimental.cpo`, loss_type="simpo"), LoRA by default.

SimPO is reference-free: the implicit reward is the length-normalised log-probability of a reply times `beta`,
and the loss asks the chosen reply to beat the rejected one by a margin `gamma`. `cpo_alpha` adds CPO's SFT term on
the chosen reply (0 = pure SimPO, TRL's "alphapo" shorthand). Pairs are rendered as in the DPO recipe. Metrics
(rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, nll_loss) land in train_logs.metrics_json
and StageOutput.eval_first / eval_last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.methods import Method
from harness.recipes.common import (
    LoraOnSettings,
    StageOutput,
    TrainSettings,
    load_model_and_tokenizer,
    quiet,
    read_jsonl,
    records_to_dataset,
    train_and_save,
    trainer_arguments,
)
from harness.recipes.dpo import pair_converter, rendered_pairs_ending_at_eos

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from harness.store import Store

STAGE = "simpo"


class SimPORecipeConfig(TrainSettings):
    """SimPO recipe config (YAML: harness/recipes/simpo.yaml or a domain's stage config)."""

    learning_rate: float = Field(1e-3, gt=0)
    max_length: int = Field(256, ge=8, description="prompt + completion tokens")
    beta: float = Field(2.0, gt=0, description="scale of the length-normalised reward (SimPO paper: 2-10)")
    gamma: float = Field(0.5, ge=0, description="target reward margin between chosen and rejected")
    cpo_alpha: float = Field(0.0, ge=0, description="weight of an SFT term on the chosen reply (0: pure SimPO)")
    lora: LoraOnSettings = Field(default_factory=LoraOnSettings, description="on by default (differs from base)")


METHOD = Method(name="simpo", config=SimPORecipeConfig, reads=("preference",), produces="causal_lm",
                needs=("policy",), summary="SimPO (TRL CPOTrainer): length-normalised margin loss, no reference")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> SimPORecipeConfig:
    return load_yaml_model(SimPORecipeConfig, Path(path), overrides)


def setup(cfg: SimPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """Model, data and a ready CPOTrainer with the SimPO loss."""
    from trl.experimental.cpo import CPOConfig, CPOTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    chat = bool(tokenizer.chat_template)
    convert = pair_converter(chat)
    train = records_to_dataset(read_jsonl(train_path, what="SimPO train", limit=cfg.max_train_samples),
                               convert, str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="SimPO validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, convert, str(validation_path))
    if chat:  # one eos per reply (rendered_pairs_ending_at_eos)
        train = rendered_pairs_ending_at_eos(train, tokenizer)
        validation = None if validation is None else rendered_pairs_ending_at_eos(validation, tokenizer)

    args = CPOConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        loss_type="simpo",
        beta=cfg.beta,
        simpo_gamma=cfg.gamma,
        cpo_alpha=cfg.cpo_alpha,
    )
    trainer = CPOTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                         processing_class=tokenizer, peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain"}


def run(cfg: SimPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """SimPO (LoRA by default); saves adapter + merged model under output_dir."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)
