"""Continual pretraining: causal-LM loss on raw domain text, packed into fixed-length blocks.

Uses TRL's SFTTrainer on a language-modeling dataset ({"text"}) rather than Trainer + a hand-written
group_texts map: SFTTrainer tokenizes, appends eos per document and packs, with the same collator and metrics
(token accuracy, tokens seen) as the SFT stage. The default "wrapped" packing is classic CPT packing
(documents concatenated and cut into max_length blocks, attention across document boundaries, no padding);
"bfd"/"bfd_split" keep documents apart through position_ids instead, which is exact on any attention kernel
but, without FlashAttention varlen kernels, attends over the whole flattened batch (slower on CPU).
Full fine-tuning by default; `lora.enabled: true` trains an adapter and saves it merged.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.methods import Method
from harness.recipes.common import (
    LoraSettings,
    StageOutput,
    TrainSettings,
    load_model_and_tokenizer,
    quiet,
    read_jsonl,
    records_to_dataset,
    require_str,
    train_and_save,
    trainer_arguments,
)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase, TrainerCallback
    from trl import SFTTrainer

    from harness.store import Store

STAGE = "cpt"


class CPTConfig(TrainSettings):
    """Continual-pretraining recipe config (YAML: domains/<name>/recipes/cpt.yaml)."""

    learning_rate: float = Field(5e-4, gt=0)
    max_length: int = Field(256, ge=8, description="block size of packed sequences")
    packing: bool = Field(True, description="concatenate documents into max_length blocks (differs from base)")
    packing_strategy: Literal["wrapped", "bfd", "bfd_split"] = Field(
        "wrapped", description="wrapped: classic CPT blocks; bfd/bfd_split: documents kept apart by position_ids")
    add_bos: bool = Field(True, description="start each document with bos, as in pretraining (TRL appends eos)")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="off by default: CPT updates all weights")


METHOD = Method(name="cpt", config=CPTConfig, reads=("text",), produces="causal_lm", needs=("policy",),
                summary="continual pretraining: causal-LM loss on raw domain text, packed")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> CPTConfig:
    return load_yaml_model(CPTConfig, Path(path), overrides)


def document_prefix(tokenizer: PreTrainedTokenizerBase) -> str:
    """The bos token as text when the tokenizer has one but does not add it itself (the embedded model was
    pretrained on `<|bos|> doc <|end|>`; Llama-style tokenizers add bos on their own)."""
    if not tokenizer.bos_token:
        return ""
    ids = tokenizer("x")["input_ids"]
    return "" if ids and ids[0] == tokenizer.bos_token_id else tokenizer.bos_token


def setup(cfg: CPTConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[SFTTrainer, dict[str, Any]]:
    """Model, data and a ready SFTTrainer (tokenized and packed); nothing is resolved at run time."""
    from trl import SFTConfig, SFTTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    prefix = document_prefix(tokenizer) if cfg.add_bos else ""

    def text_record(row: dict[str, Any], where: str) -> dict[str, Any]:
        return {"text": prefix + require_str(row, "text", where, "text")}

    train = records_to_dataset(read_jsonl(train_path, what="CPT train", limit=cfg.max_train_samples),
                               text_record, str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="CPT validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, text_record, str(validation_path))

    args = SFTConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        dataset_text_field="text",
        max_length=cfg.max_length,
        packing=cfg.packing,
        packing_strategy=cfg.packing_strategy,
        completion_only_loss=False,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                         processing_class=tokenizer, peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {}


def run(cfg: CPTConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """Train on `train_path` text, evaluate on `validation_path`, save a full model folder under output_dir."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)
