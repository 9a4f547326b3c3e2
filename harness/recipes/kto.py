"""Kahneman-Tversky optimization on unpaired feedback: TRL KTOTrainer, LoRA by default.

KTO needs only a thumbs-up or thumbs-down per reply ({"prompt", "completion", "label": "true"/"false"}), so it
trains on feedback that never came in pairs. Preference pairs are read too: each pair becomes one desirable
(chosen) and one undesirable (rejected) record, which is how prep converts `preference` → `unpaired_preference`.
As in DPO, a LoRA stage takes its reference log-probs from the parent model with the adapters disabled; a full
fine-tune (`lora.enabled: false`) gets a frozen copy from TRL. KTO's metrics (rewards/chosen, rewards/rejected,
rewards/margins, logps/..., kl) land in train_logs.metrics_json and StageOutput.eval_first / eval_last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.errors import HarnessError
from harness.methods import Method
from harness.recipes.common import (
    LoraOnSettings,
    StageOutput,
    TrainSettings,
    load_model_and_tokenizer,
    quiet,
    read_jsonl,
    require_str,
    train_and_save,
    trainer_arguments,
)

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import KTOTrainer

    from harness.store import Store

STAGE = "kto"
TRUE_LABELS = {"true", "1", "yes", "desirable", "good"}
FALSE_LABELS = {"false", "0", "no", "undesirable", "bad"}


class KTORecipeConfig(TrainSettings):
    """KTO recipe config (YAML: harness/recipes/kto.yaml or a domain's stage config)."""

    learning_rate: float = Field(1e-3, gt=0)
    max_length: int = Field(256, ge=8, description="prompt + completion tokens")
    per_device_batch_size: int = Field(8, ge=2, description="KTO's KL estimate pairs items within a batch")
    beta: float = Field(0.1, gt=0, description="strength of the pull towards the reference model")
    loss_type: Literal["kto", "apo_zero_unpaired"] = "kto"
    desirable_weight: float = Field(1.0, gt=0, description="weight of thumbs-up losses (balance unequal counts)")
    undesirable_weight: float = Field(1.0, gt=0, description="weight of thumbs-down losses")
    lora: LoraOnSettings = Field(default_factory=LoraOnSettings, description="on by default (differs from base)")


METHOD = Method(name="kto", config=KTORecipeConfig, reads=("unpaired_preference", "preference"),
                produces="causal_lm", needs=("policy", "reference"),
                summary="Kahneman-Tversky optimization on thumbs-up/down replies (pairs split in two); LoRA")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> KTORecipeConfig:
    return load_yaml_model(KTORecipeConfig, Path(path), overrides)


def _label(value: Any, where: str) -> bool:
    text = str(value).strip().lower()
    if isinstance(value, bool) or text in TRUE_LABELS | FALSE_LABELS:
        return value if isinstance(value, bool) else text in TRUE_LABELS
    raise HarnessError(f"{where} has label {value!r}, not true/false", "label unpaired replies 'true' or 'false'")


def unpaired_records(rows: list[dict[str, Any]], source: str, chat: bool) -> Dataset:
    """TRL's unpaired preference format (conversational when `chat`), one record per reply."""
    from datasets import Dataset

    out = []
    for i, row in enumerate(rows):
        where = f"{source} record {i + 1}"
        prompt = require_str(row, "prompt", where, "unpaired_preference")
        if "chosen" in row:  # a preference pair: one desirable and one undesirable reply
            replies = [(require_str(row, "chosen", where, "preference"), True),
                       (require_str(row, "rejected", where, "preference"), False)]
        else:
            replies = [(require_str(row, "completion", where, "unpaired_preference"), _label(row.get("label"), where))]
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        system = row.get("system") or meta.get("system")
        turns = [{"role": "system", "content": system}] if isinstance(system, str) and system.strip() else []
        for text, label in replies:
            if chat:
                out.append({"prompt": [*turns, {"role": "user", "content": prompt}],
                            "completion": [{"role": "assistant", "content": text}], "label": label})
            else:
                out.append({"prompt": prompt, "completion": text, "label": label})
    return Dataset.from_list(out)


def setup(cfg: KTORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[KTOTrainer, dict[str, Any]]:
    """Model, data and a ready KTOTrainer."""
    from trl import KTOConfig, KTOTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    chat = bool(tokenizer.chat_template)
    train = unpaired_records(read_jsonl(train_path, what="KTO train", limit=cfg.max_train_samples),
                             str(train_path), chat)
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="KTO validation", limit=cfg.max_eval_samples)
        validation = unpaired_records(rows, str(validation_path), chat)

    args = KTOConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        beta=cfg.beta,
        loss_type=cfg.loss_type,
        desirable_weight=cfg.desirable_weight,
        undesirable_weight=cfg.undesirable_weight,
    )
    trainer = KTOTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                         processing_class=tokenizer, peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain", "n_train_replies": len(train)}


def run(cfg: KTORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """KTO against the parent model; saves adapter + merged model under output_dir."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)
