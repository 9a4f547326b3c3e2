"""Distillation from a teacher's token distributions: TRL's GKDTrainer (generalized knowledge distillation).

The student (the parent stage's model, or a narrower embedded model built from a preset's config: `student:`)
learns to match the teacher's next-token distribution on the stage's chats (the domain's SFT data), with a
generalized Jensen-Shannon divergence (`beta` interpolates between forward KL, 0, and reverse KL, 1). With
`lmbda` > 0 a share of the batches are the student's own sampled replies, scored by the teacher (on-policy
distillation); `lmbda: 0` is plain supervised KD on the dataset's replies (no generation, the cheap setting).
The teacher is the stage's `models: {teacher: <stage or model ref>}`; student and teacher must share a tokenizer.
GKD's loss on the validation chats is the divergence to the teacher, so `eval_loss_first` / `eval_loss_last` say
how much closer to the teacher the student got.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.errors import HarnessError
from harness.feedback.students import StudentSettings, build_student, student_tokenizer_matches
from harness.methods import Method
from harness.recipes.common import (
    LoraSettings,
    StageOutput,
    TrainSettings,
    load_model_and_tokenizer,
    quiet,
    read_jsonl,
    records_to_dataset,
    train_and_save,
    trainer_arguments,
)
from harness.recipes.sft import _messages

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from harness.store import Store

STAGE = "gkd"


class GKDRecipeConfig(TrainSettings):
    """GKD recipe config (YAML: harness/recipes/gkd.yaml or a domain's stage config)."""

    learning_rate: float = Field(2e-3, gt=0)
    max_length: int = Field(256, ge=8, description="tokens per chat")
    temperature: float = Field(1.0, gt=0, description="softens both distributions before comparing them")
    beta: float = Field(0.5, ge=0, le=1, description="JSD interpolation: 0 = forward KL, 1 = reverse KL")
    lmbda: float = Field(0.0, ge=0, le=1, description="share of batches on the student's own samples (on-policy); "
                         "0: supervised KD on the dataset's replies (TRL's default is 0.5)")
    max_new_tokens: int = Field(32, ge=1, description="reply length when sampling on-policy (lmbda > 0)")
    seq_kd: bool = Field(False, description="sequence-level KD: train on the teacher's sampled replies")
    student: StudentSettings = Field(default_factory=StudentSettings, description="the model being distilled into")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="off by default: a small student")


METHOD = Method(name="gkd", config=GKDRecipeConfig, reads=("chat", "prompt_completion"), produces="causal_lm",
                needs=("policy", "teacher"),
                summary="distillation (TRL GKD): a student matches a teacher's token distributions on chats")


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> GKDRecipeConfig:
    return load_yaml_model(GKDRecipeConfig, Path(path), overrides)


def _chat(row: dict[str, Any], where: str) -> dict[str, Any]:
    return {"messages": _messages(row, where)}


def setup(cfg: GKDRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, teacher_path: str, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """Student, teacher, chats and a ready GKDTrainer."""
    from trl.experimental.gkd import GKDConfig, GKDTrainer

    student, tokenizer = load_model_and_tokenizer(model_path, plan=plan, lora=cfg.lora.enabled,
                                                  quantize=cfg.lora.quantize, trust_remote_code=trust_remote_code)
    # the teacher only runs forward passes: load it in the device dtype (what `lora=True` selects), not fp32
    teacher, _ = load_model_and_tokenizer(teacher_path, plan=plan, lora=True, trust_remote_code=trust_remote_code)
    if not tokenizer.chat_template:
        raise HarnessError(f"student {model_path} has no chat template", "GKD trains on chats: use a chat model")
    train = records_to_dataset(read_jsonl(train_path, what="GKD train", limit=cfg.max_train_samples), _chat,
                               str(train_path))
    validation = None
    if validation_path is not None:
        rows = read_jsonl(validation_path, what="GKD validation", limit=cfg.max_eval_samples)
        validation = records_to_dataset(rows, _chat, str(validation_path))
    args = GKDConfig(
        **trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress, has_eval=validation is not None),
        max_length=cfg.max_length,
        temperature=cfg.temperature,
        beta=cfg.beta,
        lmbda=cfg.lmbda,
        max_new_tokens=cfg.max_new_tokens,
        seq_kd=cfg.seq_kd,
    )
    trainer = GKDTrainer(model=student, teacher_model=teacher, args=args, train_dataset=train,
                         eval_dataset=validation, processing_class=tokenizer, peft_config=cfg.lora.peft_config(),
                         callbacks=callbacks)
    n_student = sum(p.numel() for p in student.parameters())
    n_teacher = sum(p.numel() for p in teacher.parameters())
    return quiet(trainer, progress), {"student": model_path, "teacher": teacher_path,
                                      "student_params": n_student, "teacher_params": n_teacher}


def run(cfg: GKDRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, models: dict[str, str] | None = None, store: Store | None = None,
        run_id: str | None = None, device: DevicePlan | None = None, trust_remote_code: bool = False,
        progress: bool = True) -> StageOutput:
    """Distil `models["teacher"]` into the student (the parent, or `student.narrow_from`); saves the student."""
    teacher = (models or {}).get("teacher")
    if not teacher:
        raise HarnessError("method gkd needs a teacher model",
                           "add `models: {teacher: <stage or model ref>}` to the stage")
    student = build_student(cfg.student, model_path, progress=progress)
    student_tokenizer_matches(student, teacher)
    return train_and_save(STAGE, functools.partial(setup, teacher_path=teacher), cfg, model_path=student,
                          train_path=train_path, validation_path=validation_path, output_dir=output_dir, store=store,
                          run_id=run_id, device=device, trust_remote_code=trust_remote_code, progress=progress)
