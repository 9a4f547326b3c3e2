"""Training recipes, one readable file per method (setup -> train -> save), on TRL/PEFT/transformers trainers.

    from harness.methods import get_method, load_method_config
    method = get_method("sft")
    cfg = load_method_config(method, domain.stage_config_path("sft"), overrides)
    out = method.run(cfg, model_path=..., train_path=..., validation_path=..., output_dir=..., store=...)

Every recipe module declares `METHOD = harness.methods.Method(...)` (its config class, the dataset kinds it reads,
what it produces) and exposes `load_config(path, overrides)`, `setup(...) -> (trainer, resolved choices)` and
`run(...) -> StageOutput`; see harness/recipes/common.py for the stage folder layout. The registry of methods is
harness/methods.py: no list here to keep in step.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from harness.recipes.common import MANIFEST_NAME, LoraSettings, StageOutput, TrainSettings, read_manifest

__all__ = ["MANIFEST_NAME", "LoraSettings", "StageOutput", "TrainSettings", "config_class",
           "load_recipe_config", "read_manifest", "recipe"]


def recipe(method: str) -> ModuleType:
    """The recipe module of a method (see harness.methods for the registry)."""
    from harness.methods import get_method

    module = get_method(method).module
    assert module is not None
    return module


def config_class(method: str) -> type[TrainSettings]:
    from harness.methods import get_method

    return get_method(method).config  # type: ignore[return-value]


def load_recipe_config(method: str, path: Path | None = None, overrides: dict[str, Any] | None = None) -> TrainSettings:
    """Recipe config from YAML (+ CLI overrides); the method's default YAML / defaults when no path is given."""
    from harness.methods import get_method, load_method_config

    return load_method_config(get_method(method), path, overrides)  # type: ignore[return-value]
