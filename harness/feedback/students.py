"""Students for distillation: a narrower copy of an embedded model's architecture, pretrained the same way.

The embedded builder trains its tokenizer on the same generated corpus with the same seed and vocabulary size, so
a narrower preset (hidden and MLP widths scaled, optionally fewer layers) shares the teacher's tokenizer exactly:
a token-level distillation needs the two vocabularies to be the same. `student_tokenizer_matches` checks it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError


class StudentSettings(BaseModel):
    """Which model the distillation stage trains. Default: the parent stage's model."""

    model_config = ConfigDict(extra="forbid")
    narrow_from: str | None = Field(
        None, description="an embedded preset (default, micro) whose config, narrowed, is the student; built and "
        "pretrained on the same corpus (same tokenizer). None: the student is the parent stage's model")
    width: float = Field(0.5, gt=0, le=1, description="hidden and MLP width as a fraction of the preset's")
    num_layers: int | None = Field(None, ge=1, description="default: the preset's")
    pretrain_steps: int | None = Field(None, ge=1, description="general pretraining steps of the narrow student "
                                       "(default: the preset's; the tokenizer does not depend on it)")


def narrow_config(preset: str, width: float, num_layers: int | None = None, pretrain_steps: int | None = None):
    """The preset's config with widths scaled (kept divisible by the attention heads)."""
    from harness.models.embedded import PRESETS

    if preset not in PRESETS:
        raise HarnessError(f"unknown embedded preset '{preset}' for the student",
                           f"use one of: {', '.join(PRESETS)}")
    base = PRESETS[preset]
    step = base.num_heads * 8
    hidden = max(step, int(round(base.hidden_size * width / step)) * step)
    intermediate = max(16, int(round(base.intermediate_size * width / 16)) * 16)
    steps = pretrain_steps or base.train_steps
    return base.model_copy(update={"hidden_size": hidden, "intermediate_size": intermediate,
                                   "num_layers": num_layers or base.num_layers, "train_steps": steps,
                                   "warmup": min(base.warmup, steps // 5)})


def build_student(settings: StudentSettings, parent_path: str, *, progress: bool = False) -> str:
    """The student's model folder: the parent, or a narrowed embedded preset (built once, cached)."""
    if settings.narrow_from is None:
        return parent_path
    from harness.models.embedded import build_embedded_model

    config = narrow_config(settings.narrow_from, settings.width, settings.num_layers, settings.pretrain_steps)
    return str(build_embedded_model(config, progress=progress))


def student_tokenizer_matches(student: str | Path, teacher: str | Path) -> None:
    """Token-level distillation compares distributions over one vocabulary: refuse two different ones."""
    from transformers import AutoTokenizer

    a, b = AutoTokenizer.from_pretrained(str(student)), AutoTokenizer.from_pretrained(str(teacher))
    if a.get_vocab() != b.get_vocab():
        raise HarnessError(f"student {student} and teacher {teacher} use different tokenizers",
                           "distil into a model with the teacher's tokenizer (e.g. student.narrow_from: the "
                           "teacher's embedded preset)")
