"""Reward model on {"prompt", "chosen", "rejected"} pairs: a sequence-classification head (one score) on the parent
model, trained with TRL's RewardTrainer (Bradley-Terry loss: -log sigmoid(r_chosen - r_rejected)).

Full fine-tuning by default (a small model; `lora.enabled: true` trains an adapter plus the new head, saved
merged). The stage folder's `model/` loads with AutoModelForSequenceClassification, so lm-eval cannot score it:
the method's own evaluation scores the held-out pairs (the stage dataset's validation split) and stores, per pair,
whether the chosen reply outscored the rejected one (`pairwise_accuracy`, the primary metric, chance 0.5) and the
reward margin (`margin`), through harness.evaluation.custom.record_eval.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from pydantic import Field, model_validator

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.errors import HarnessError
from harness.methods import Method
from harness.recipes.common import (
    LoraSettings,
    StageOutput,
    TrainSettings,
    quiet,
    read_jsonl,
    records_to_dataset,
    train_and_save,
    trainer_arguments,
)
from harness.recipes.dpo import pair_converter

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

    from harness.evaluation.runner import EvalSummary
    from harness.models.refs import ModelRef
    from harness.store import Store

STAGE = "reward"
TASK_SUFFIX = "reward_pairs"


class RewardRecipeConfig(TrainSettings):
    """Reward-model recipe config (YAML: harness/recipes/reward.yaml or a domain's stage config)."""

    learning_rate: float = Field(5e-4, gt=0)
    max_length: int = Field(256, ge=8, description="prompt + reply tokens")
    center_rewards_coefficient: float | None = Field(
        None, ge=0, description="pull mean rewards towards 0 (TRL; 0.01 in the literature)")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="off by default: the head is new")

    @model_validator(mode="after")
    def _no_quantized_head(self) -> Self:
        if self.lora.quantize != "none":
            raise ValueError("lora.quantize is for causal-LM recipes; a new head trains in full precision here")
        return self


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> RewardRecipeConfig:
    return load_yaml_model(RewardRecipeConfig, Path(path), overrides)


def load_scorer(model_path: str, *, dtype: Any = None, num_labels: int = 1, trust_remote_code: bool = False,
                **kwargs: Any) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A sequence-classification model (a new head on a causal LM, or a trained one) and its tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=trust_remote_code)
        model = AutoModelForSequenceClassification.from_pretrained(
            model_path, num_labels=num_labels, dtype=dtype or torch.float32, trust_remote_code=trust_remote_code,
            **kwargs)
    except (OSError, ValueError) as exc:
        raise HarnessError(f"cannot load '{model_path}' with a sequence-classification head: "
                           f"{str(exc).splitlines()[0]}", "use a model whose architecture has a "
                           "ForSequenceClassification class (Llama, Qwen, Mistral, ...)") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id  # the head reads the last non-pad token
    return model, tokenizer


def setup(cfg: RewardRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """A one-score head on the parent model, the pairs, and a ready RewardTrainer."""
    from transformers import set_seed
    from trl import RewardConfig, RewardTrainer

    set_seed(cfg.seed)  # the new head is initialised while loading, before the Trainer seeds anything
    model, tokenizer = load_scorer(model_path, dtype=plan.torch_dtype if cfg.lora.enabled else None,
                                   trust_remote_code=trust_remote_code)
    chat = bool(tokenizer.chat_template)
    convert = pair_converter(chat)
    train = records_to_dataset(read_jsonl(train_path, what="reward train", limit=cfg.max_train_samples),
                               convert, str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="reward validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, convert, str(validation_path))

    args = RewardConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        center_rewards_coefficient=cfg.center_rewards_coefficient,
    )
    peft = cfg.lora.peft_config("SEQ_CLS")
    if peft is not None:
        peft.modules_to_save = [*(peft.modules_to_save or []), "score"]  # the new head trains in full
    trainer = RewardTrainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                            processing_class=tokenizer, peft_config=peft, callbacks=callbacks)
    return quiet(trainer, progress), {"chat_format": "chat" if chat else "plain"}


def run(cfg: RewardRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """Train the reward head (+ body) on pairs; saves a sequence-classification model folder."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)


# -- its own evaluation -------------------------------------------------------------------------------------------
def score_pairs(model_path: str, rows: list[dict[str, Any]], *, trust_remote_code: bool = False,
                max_length: int = 512) -> list[dict[str, Any]]:
    """Per pair: rewards of chosen and rejected, whether chosen won (`value`) and the `margin`."""
    import torch

    model, tokenizer = load_scorer(model_path, trust_remote_code=trust_remote_code)
    model.eval()
    chat = bool(tokenizer.chat_template)
    convert = pair_converter(chat)

    def render(prompt: Any, reply: Any) -> str:
        if chat:
            return tokenizer.apply_chat_template([*prompt, *reply], tokenize=False)
        return prompt + reply + (tokenizer.eos_token or "")

    items = []
    for i, row in enumerate(rows):
        pair = convert(row, f"held-out pair {i + 1}")
        texts = [render(pair["prompt"], pair["chosen"]), render(pair["prompt"], pair["rejected"])]
        batch = tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=max_length,
                          add_special_tokens=False)
        with torch.no_grad():
            chosen, rejected = model(**batch).logits[:, 0].tolist()
        items.append({"doc_id": i, "doc": {"prompt": row["prompt"], "chosen": row["chosen"],
                                           "rejected": row["rejected"]},
                      "value": float(chosen > rejected), "margin": chosen - rejected,
                      "prediction": f"{chosen:.4f} vs {rejected:.4f}", "target": "chosen > rejected"})
    return items


def evaluate(store: Store, model: ModelRef, *, domain: Any, stage: str, paths: tuple[Path, Path | None],
             limit: int | None, device: Any = None) -> EvalSummary:
    """Pairwise accuracy (chance 0.5) and reward margin on the held-out pairs, one stored row per pair."""
    from harness.evaluation.custom import record_eval
    from harness.fingerprint import hash_file

    held_out = paths[1] or paths[0]
    rows = read_jsonl(held_out, what="reward evaluation", limit=limit)
    items = score_pairs(model.path, rows, trust_remote_code=getattr(model, "trust_remote_code", False))
    name = getattr(domain, "name", domain)
    identity = {"method": STAGE, "evaluator": "reward.evaluate", "data_hash": hash_file(held_out), "limit": limit,
                "code_hash": hash_file(Path(__file__))}
    return record_eval(store, model, suite=f"{name}_{stage}", task=f"{name}_{TASK_SUFFIX}",
                       metric="pairwise_accuracy", items=items, higher_is_better=True,
                       extra_metrics={"margin": True}, chance=0.5, identity=identity, domain=name, stage=stage)


METHOD = Method(name="reward", config=RewardRecipeConfig, reads=("preference",), produces="reward_model",
                needs=("policy",), evaluate=evaluate,
                summary="reward model (TRL RewardTrainer, one-score head); scored by pairwise accuracy + margin")
