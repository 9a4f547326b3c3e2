"""Odds-ratio preference optimization on {"prompt", "chosen", "rejected"} pairs: TRL's ORPOTrainer (in
`trl.experimental.orpo` since TRL 1.x), LoRA by default.

ORPO needs no reference model: its loss is the SFT loss on the chosen reply plus `beta` times a log-odds-ratio
term that pushes the chosen reply's odds above the rejected one's, so one stage does instruction tuning and
preference alignment at once. Pairs are rendered exactly as in the DPO recipe (harness/recipes/dpo.py).
Metrics (rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, log_odds_ratio, nll_loss) land in
train_logs.metrics_json and StageOutput.eval_first / eval_last.
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

STAGE = "orpo"


class ORPORecipeConfig(TrainSettings):
    """ORPO recipe config (YAML: harness/recipes/orpo.yaml or a domain's stage config)."""

    learning_rate: float = Field(1e-3, gt=0)
    max_length: int = Field(256, ge=8, description="prompt + completion tokens")
    beta: float = Field(0.1, gt=0, description="weight of the odds-ratio term against the SFT loss (lambda)")
    lora: LoraOnSettings = Field(default_factory=LoraOnSettings, description="on by default (differs from base)")


METHOD = Method(name="orpo", config=ORPORecipeConfig, reads=("preference",), produces="causal_lm",
                needs=("policy",), summary="odds-ratio preference optimization: SFT + preference, no reference")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> ORPORecipeConfig:
    return load_yaml_model(ORPORecipeConfig, Path(path), overrides)


def setup(cfg: ORPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """Model, data and a ready ORPOTrainer."""
    from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    chat = bool(tokenizer.chat_template)
    convert = pair_converter(chat)
    train = records_to_dataset(read_jsonl(train_path, what="ORPO train", limit=cfg.max_train_samples),
                               convert, str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="ORPO validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, convert, str(validation_path))
    if chat:  # one eos per reply (rendered_pairs_ending_at_eos)
        train = rendered_pairs_ending_at_eos(train, tokenizer)
        validation = None if validation is None else rendered_pairs_ending_at_eos(validation, tokenizer)

    args = ORPOConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        beta=cfg.beta,
    )
    trainer = ORPOTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                          processing_class=tokenizer, peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain"}


def run(cfg: ORPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """ORPO (LoRA by default); saves adapter + merged model under output_dir."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)
