"""Direct preference optimization on {"prompt", "chosen", "rejected"} pairs: TRL DPOTrainer with LoRA.

With a peft_config and no ref_model, TRL computes the reference log-probs with the adapters disabled, i.e. on the
parent model itself, so no second copy of the model is held. Records are turned into TRL's conversational
format (prompt as a user turn, chosen/rejected as assistant turns) so the chat template renders them exactly as
at inference; a system prompt in `system` or `meta.system` becomes a system turn. A tokenizer without a chat
template gets the plain-text format instead (TRL appends eos).
DPO's own metrics (rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/...) land in
train_logs.metrics_json through the store callback, and in StageOutput.eval_first / eval_last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

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
    from transformers import TrainerCallback
    from trl import DPOTrainer

    from harness.store import Store

STAGE = "dpo"
DPOLoss = Literal["sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot",
                  "aot_unpaired", "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm"]


class DPORecipeConfig(TrainSettings):
    """DPO recipe config (YAML: domains/<name>/recipes/dpo.yaml)."""

    learning_rate: float = Field(1e-3, gt=0)
    max_length: int = Field(256, ge=8, description="prompt + completion tokens")
    beta: float = Field(0.1, gt=0, description="strength of the pull towards the reference model")
    loss_type: list[DPOLoss] = Field(default_factory=lambda: ["sigmoid"], description="TRL loss(es); one or a list")
    loss_weights: list[float] | None = Field(None, description="one weight per loss_type entry")
    label_smoothing: float = Field(0.0, ge=0, lt=0.5, description="conservative DPO: assumed label noise")
    precompute_ref_log_probs: bool = Field(
        False, description="one reference pass over the data up front instead of per step")
    chat_format: Literal["auto", "chat", "plain"] = Field(
        "auto", description="auto: chat when the tokenizer has a template")
    lora: LoraOnSettings = Field(default_factory=LoraOnSettings, description="on by default (differs from base)")

    @field_validator("loss_type", mode="before")
    @classmethod
    def _one_loss_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _weights_match(self) -> DPORecipeConfig:
        if self.loss_weights is not None and len(self.loss_weights) != len(self.loss_type):
            raise ValueError("loss_weights needs one weight per loss_type entry")
        return self


METHOD = Method(name="dpo", config=DPORecipeConfig, reads=("preference",), produces="causal_lm",
                needs=("policy", "reference"),
                summary="direct preference optimization; reference = the parent model (adapters disabled)")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> DPORecipeConfig:
    return load_yaml_model(DPORecipeConfig, Path(path), overrides)


def pair_converter(chat: bool):
    """Preference records → TRL conversational (or plain) pairs; ORPO and SimPO render pairs the same way."""
    def convert(row: dict[str, Any], where: str) -> dict[str, Any]:
        chosen = require_str(row, "chosen", where, "preference")
        rejected = require_str(row, "rejected", where, "preference")
        prompt = row.get("prompt")
        if isinstance(prompt, list) and chat:  # already a list of messages
            messages = [{"role": m["role"], "content": m["content"]} for m in prompt]
        else:
            messages = [{"role": "user", "content": require_str(row, "prompt", where, "preference")}]
            meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
            system = row.get("system") or meta.get("system")
            if isinstance(system, str) and system.strip():  # the system prompt the replies were written for
                messages.insert(0, {"role": "system", "content": system})
        if chosen == rejected:
            raise HarnessError(f"{where} has identical chosen and rejected replies",
                               "drop such pairs during prep; they carry no preference")
        if not chat:
            return {"prompt": messages[-1]["content"], "chosen": chosen, "rejected": rejected}
        return {"prompt": messages, "chosen": [{"role": "assistant", "content": chosen}],
                "rejected": [{"role": "assistant", "content": rejected}]}

    return convert


def rendered_pairs_ending_at_eos(dataset: Any, tokenizer: Any) -> Any:
    """Conversational pairs rendered with the chat template, each reply cut right after its end-of-turn eos.

    For ORPO and SimPO (TRL's experimental ORPO/CPO trainers): they append eos to a reply unless its last token
    already is eos, and templates that put text after the end-of-turn token (ChatML's `<|im_end|>\n`, the
    embedded model's `<|end|>\n`) would otherwise train every reply to end in a second eos."""
    from trl.data_utils import maybe_apply_chat_template

    eos = tokenizer.eos_token

    def render(example: dict[str, Any]) -> dict[str, Any]:
        out = maybe_apply_chat_template(example, tokenizer)
        for key in ("chosen", "rejected"):
            end = out[key].rfind(eos)
            if end >= 0:
                out[key] = out[key][: end + len(eos)]
        return {"prompt": out["prompt"], "chosen": out["chosen"], "rejected": out["rejected"]}

    return dataset.map(render, remove_columns=dataset.column_names)


def setup(cfg: DPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[DPOTrainer, dict[str, Any]]:
    """Model, data and a ready DPOTrainer, plus the choices made on the way."""
    from trl import DPOConfig, DPOTrainer

    model, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    if cfg.chat_format == "chat" and not tokenizer.chat_template:
        raise HarnessError(f"chat_format is 'chat' but the tokenizer of '{model_path}' has no chat template",
                           "set chat_format: plain (or auto) in the DPO recipe")
    chat = cfg.chat_format == "chat" or (cfg.chat_format == "auto" and bool(tokenizer.chat_template))
    convert = pair_converter(chat)
    train = records_to_dataset(read_jsonl(train_path, what="DPO train", limit=cfg.max_train_samples),
                               convert, str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="DPO validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, convert, str(validation_path))

    args = DPOConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        beta=cfg.beta,
        loss_type=list(cfg.loss_type),
        loss_weights=cfg.loss_weights,
        label_smoothing=cfg.label_smoothing,
        precompute_ref_log_probs=cfg.precompute_ref_log_probs,
    )
    trainer = DPOTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                         processing_class=tokenizer, peft_config=cfg.lora.peft_config(), callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain"}


def run(cfg: DPORecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """LoRA (default) DPO against the parent model; saves adapter + merged model under output_dir."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)
