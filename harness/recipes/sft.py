"""Supervised fine-tuning on chat records with LoRA: TRL SFTTrainer, loss on assistant tokens only.

Loss masking (`loss_mask`):
- "assistant": TRL's assistant_only_loss. Needs a chat template with `{% generation %}` markers (the embedded
  model has them) or one TRL knows how to patch (Qwen, Llama 3, Phi-3, Gemma, ...).
- "last_turn": each conversation becomes a conversational prompt/completion pair (everything before the last
  assistant message / that message) and TRL's completion_only_loss masks the prompt. Works with any chat
  template, but trains on the final assistant turn only.
- "auto" (default): "assistant" when the template supports it, else "last_turn" (logged).
- "all": loss on every token (plain language modeling of the rendered chat).

Packing is off by default: TRL packs SFT data with best-fit-decreasing + padding-free batches, which keeps the
assistant masks right (labels are packed with the tokens) and keeps documents apart through position_ids; but
without FlashAttention varlen kernels (CPU, or GPUs without flash-attn) the attention runs over the whole
flattened batch, so it is slower there than padded batches of short chats. Turn it on for long chats on a GPU.
"""

from __future__ import annotations

import logging
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
    records_to_dataset,
    require_str,
    train_and_save,
    trainer_arguments,
)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase, TrainerCallback
    from trl import SFTTrainer

    from harness.store import Store

STAGE = "sft"
ROLES = {"system", "user", "assistant"}
log = logging.getLogger(__name__)


class SFTRecipeConfig(TrainSettings):
    """SFT recipe config (YAML: domains/<name>/recipes/sft.yaml)."""

    learning_rate: float = Field(2e-3, gt=0, description="LoRA on a small model needs a high LR")
    max_length: int = Field(256, ge=8, description="tokens per chat (longer ones are truncated)")
    packing: bool = Field(False, description="best-fit packing; fast only with FlashAttention (module docstring)")
    loss_mask: Literal["auto", "assistant", "last_turn", "all"] = Field(
        "auto", description="which tokens carry loss; auto: assistant turns when the template marks them")
    lora: LoraOnSettings = Field(default_factory=LoraOnSettings, description="on by default (differs from base)")


METHOD = Method(name="sft", config=SFTRecipeConfig, reads=("chat", "prompt_completion"), produces="causal_lm",
                needs=("policy",), summary="supervised fine-tuning on chats, loss on assistant turns (LoRA)")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> SFTRecipeConfig:
    return load_yaml_model(SFTRecipeConfig, Path(path), overrides)


def template_supports_assistant_mask(tokenizer: PreTrainedTokenizerBase) -> bool:
    """True when TRL can build assistant masks: `{% generation %}` markers, or a template TRL patches."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    template = tokenizer.chat_template
    if not template:
        return False
    if has_generation_markers(template):
        return True
    try:
        get_training_chat_template(tokenizer)
    except ValueError:
        return False
    return True


def resolve_loss_mask(cfg: SFTRecipeConfig, tokenizer: PreTrainedTokenizerBase, model_path: str) -> str:
    if not tokenizer.chat_template:
        raise HarnessError(f"tokenizer of '{model_path}' has no chat template, so chat records cannot be rendered",
                           "use a chat/instruct model or add a chat_template to its tokenizer_config.json")
    supported = template_supports_assistant_mask(tokenizer)
    if cfg.loss_mask == "assistant" and not supported:
        raise HarnessError(f"the chat template of '{model_path}' has no {{% generation %}} markers, so "
                           "assistant-only loss cannot be masked",
                           "set loss_mask: last_turn (or auto) in the SFT recipe, or add the markers to the template")
    if cfg.loss_mask == "auto":
        if not supported:
            log.warning("chat template of %s lacks {%% generation %%} markers: SFT loss on the last assistant "
                        "turn only (loss_mask=last_turn)", model_path)
        return "assistant" if supported else "last_turn"
    return cfg.loss_mask


def _messages(row: dict[str, Any], where: str) -> list[dict[str, str]]:
    """Canonical chat messages; a prompt/completion record becomes a user/assistant pair."""
    if "messages" not in row and "prompt" in row and "completion" in row:
        return [{"role": "user", "content": require_str(row, "prompt", where, "prompt_completion")},
                {"role": "assistant", "content": require_str(row, "completion", where, "prompt_completion")}]
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise HarnessError(f"{where} has no 'messages' list (an SFT record is a chat)",
                           "give each record messages: [{role, content}, ...] or run `harness prep`")
    out = []
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise HarnessError(f"{where} has a message that is not {{role: system|user|assistant, content: str}}",
                               "fix the record's messages")
        out.append({"role": m["role"], "content": m["content"]})
    if not any(m["role"] == "assistant" for m in out):
        raise HarnessError(f"{where} has no assistant message, so there is nothing to learn",
                           "drop such records during prep or add the assistant reply")
    return out


def _converter(loss_mask: str):
    def chat(row: dict[str, Any], where: str) -> dict[str, Any]:
        return {"messages": _messages(row, where)}

    def last_turn(row: dict[str, Any], where: str) -> dict[str, Any]:
        messages = _messages(row, where)
        last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
        return {"prompt": messages[:last], "completion": [messages[last]]}

    return last_turn if loss_mask == "last_turn" else chat


def setup(cfg: SFTRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[SFTTrainer, dict[str, Any]]:
    """Model, data and a ready SFTTrainer (tokenized, labels masked), plus the choices made on the way."""
    from trl import SFTConfig, SFTTrainer

    # the loss mask depends on the model's chat template, so the model comes first, then the data
    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    loss_mask = resolve_loss_mask(cfg, tokenizer, model_path)
    convert = _converter(loss_mask)
    train = records_to_dataset(read_jsonl(train_path, what="SFT train", limit=cfg.max_train_samples),
                               convert, str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="SFT validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, convert, str(validation_path))

    args = SFTConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        packing=cfg.packing,
        assistant_only_loss=loss_mask == "assistant",
        completion_only_loss=loss_mask == "last_turn",
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                         processing_class=tokenizer, peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"loss_mask": loss_mask}


def run(cfg: SFTRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """LoRA (default) or full SFT on chat JSONL; saves adapter + merged model under output_dir."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)
