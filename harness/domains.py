"""Domains are folders under domains/ with a manifest.yaml and a hooks.py; no core edits to add one."""

from __future__ import annotations

import importlib.util
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.cleaning.config import CleaningConfig
from harness.config_io import load_yaml_model
from harness.errors import HarnessError
from harness.paths import domains_dir

RecordKind = Literal["text", "chat", "prompt_completion", "preference", "classification"]
FileFormat = Literal["auto", "jsonl", "json", "csv", "parquet", "txt", "hf"]


class SourceSpec(BaseModel):
    """Where a dataset comes from: the domain's generator, or a user file with a column mapping."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["generator", "file"] = "generator"
    path: str | None = None  # file path (relative to the manifest) or HF dataset id when format=hf
    format: FileFormat = "auto"
    kind: RecordKind | None = None  # record kind the file holds
    columns: dict[str, str] = Field(default_factory=dict)  # canonical name -> column in the file
    split: str | None = None  # HF split
    limit: int | None = None
    # Malformed rows (bad JSON line, invalid record): drop and count them (prep report), or stop with an error.
    on_bad_rows: Literal["drop", "error"] = "drop"


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    hooks: str = "hooks.py"
    seed: int = 1234
    generator: dict[str, Any] = Field(default_factory=dict)  # passed to hooks.generate()
    data: dict[str, SourceSpec] = Field(default_factory=dict)  # keys: cpt | sft | dpo
    stages: list[str] = Field(default_factory=lambda: ["cpt", "sft", "dpo"])
    recipes: dict[str, str] = Field(default_factory=dict)  # stage -> recipe yaml (relative)
    suites: list[str] = Field(default_factory=list)  # domain suites (lm-eval group names)
    regression_suites: list[str] = Field(default_factory=lambda: ["general"])
    gate_policy: str | None = "gates.yaml"
    validation_fraction: float = Field(0.1, gt=0, lt=0.5)
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig)  # quality → PII → dedup → decontam
    # Share of CPT rows replayed from the embedded model's own general pretraining corpus, added after
    # cleaning: the standard guard against catastrophic forgetting in continual pretraining. 0 = off.
    cpt_replay_fraction: float = Field(0.0, ge=0, lt=1)


class Domain:
    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else (self.root / p)

    @cached_property
    def hooks(self) -> ModuleType:
        file = self.path(self.manifest.hooks)
        spec = importlib.util.spec_from_file_location(f"harness_domain_{self.name}", file)
        if spec is None or spec.loader is None or not file.exists():
            raise HarnessError(f"domain '{self.name}' hooks file {file} is missing",
                               "create hooks.py next to manifest.yaml")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def recipe_path(self, stage: str) -> Path:
        if stage not in self.manifest.recipes:
            raise HarnessError(f"domain '{self.name}' has no recipe for stage '{stage}'",
                               f"add `recipes: {{{stage}: recipes/{stage}.yaml}}` to its manifest")
        return self.path(self.manifest.recipes[stage])


def list_domains() -> list[str]:
    root = domains_dir()
    return sorted(p.parent.name for p in root.glob("*/manifest.yaml"))


def load_domain(name: str) -> Domain:
    root = domains_dir() / name
    manifest_file = root / "manifest.yaml"
    if not manifest_file.exists():
        known = ", ".join(list_domains()) or "none"
        raise HarnessError(f"unknown domain '{name}' (known: {known})",
                           "pick one of the known domains or add domains/<name>/manifest.yaml")
    return Domain(root, load_yaml_model(Manifest, manifest_file))
