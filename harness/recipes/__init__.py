"""Training recipes, one readable file per stage (setup -> train -> save), on TRL/PEFT/transformers trainers.

    from harness.recipes import load_recipe_config, recipe
    cfg = load_recipe_config("sft", domain.recipe_path("sft"), overrides)
    out = recipe("sft").run(cfg, model_path=..., train_path=..., validation_path=..., output_dir=..., store=...)

Every module exposes `<Name>Config`, `load_config(path, overrides)`, `setup(...) -> (trainer, resolved choices)` and
`run(...) -> StageOutput`; see harness/recipes/common.py for the stage folder layout.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.errors import HarnessError
from harness.recipes.common import MANIFEST_NAME, LoraSettings, StageOutput, TrainSettings, read_manifest

STAGES = ("cpt", "sft", "dpo")

__all__ = ["MANIFEST_NAME", "STAGES", "LoraSettings", "StageOutput", "TrainSettings", "config_class",
           "load_recipe_config", "read_manifest", "recipe"]


def recipe(stage: str) -> ModuleType:
    """The recipe module for a stage (imported lazily: TRL/PEFT imports take seconds)."""
    if stage not in STAGES:
        raise HarnessError(f"unknown training stage '{stage}'", f"use one of: {', '.join(STAGES)}")
    return importlib.import_module(f"harness.recipes.{stage}")


CONFIG_NAMES = {"cpt": "CPTConfig", "sft": "SFTRecipeConfig", "dpo": "DPORecipeConfig"}


def config_class(stage: str) -> type[TrainSettings]:
    return getattr(recipe(stage), CONFIG_NAMES[stage])


def load_recipe_config(stage: str, path: Path | None = None, overrides: dict[str, Any] | None = None) -> TrainSettings:
    """Recipe config from YAML (+ CLI overrides); defaults only when no path is given."""
    from harness.config_io import validate

    if path is None:
        return validate(config_class(stage), overrides or {}, f"{stage} recipe overrides")
    return recipe(stage).load_config(Path(path), overrides)
