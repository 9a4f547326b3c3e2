"""A domain is one self-contained folder: manifest.yaml, hooks.py (generator), recipes/*.yaml, gates.yaml and
its own lm-eval suite(s) under suite/. Domains are found in `./domains` of the working folder, in folders
named by HARNESS_DOMAINS_DIR, and among the built-in domains; adding one never touches core code.

The manifest separates three things that used to share one name:
  datasets: named data, each with a kind (text, chat, preference, ...) and a source (generator or file);
  stages:   a method (see `harness methods`) + the dataset it reads + a config + its parent stage.
Several stages may use one method (two SFT variants) or one dataset (DPO and ORPO on the same pairs).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cached_property, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.cleaning.config import CleaningConfig
from harness.config_io import load_yaml_model
from harness.errors import HarnessError
from harness.paths import domain_roots, suites_dir

RecordKind = Literal["text", "chat", "prompt_completion", "preference", "unpaired_preference", "classification",
                     "prompt_only"]
FileFormat = Literal["auto", "jsonl", "json", "csv", "parquet", "txt", "lines", "hf"]
BASE = "base"  # the parent name of a stage that starts from the base model (--model)
RESERVED_NAMES = {BASE, "all", "default"}
DOMAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


class PromptDefaults(BaseModel):
    """Text used when records of one kind are rendered as another (classification or prompt/completion as chat).
    Set per dataset, or once for the domain under `prompts:`."""

    model_config = ConfigDict(extra="forbid")
    system: str | None = Field(None, description="system prompt added to chats built from other kinds")
    instruction: str | None = Field(
        None, description="user turn for classification records; placeholders {text} and {options}")
    n_options: int | None = Field(None, ge=2, description="labels listed per classification prompt (gold included)")


class DatasetSpec(PromptDefaults):
    """A named dataset: where its records come from and the kind they are prepared as."""

    kind: RecordKind = Field(description="kind of the prepared records (what stages read)")
    source: Literal["generator", "file"] = Field(
        "generator", description="generator: the domain's hooks.generate() output of this name; file: `path`")
    path: str | None = Field(None, description="data file (relative to the manifest) or HF dataset id (format: hf)")
    format: FileFormat = Field(
        "auto", description="auto from the suffix; lines: one record per line (logs), grouped by `group_lines`")
    file_kind: RecordKind | None = Field(
        None, description="kind the file holds when it differs from `kind` (detected when unset)")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical field -> column; dotted paths reach into nested JSON (a.b.0.c)")
    explode: list[str] = Field(
        default_factory=list, description="list fields (dotted paths) to expand into one record per element")
    group_lines: int = Field(1, ge=1, description="format lines: N consecutive lines per record")
    group_seconds: float | None = Field(
        None, gt=0, description="format lines: start a new record when a line's leading timestamp is this far "
        "past the record's first one (instead of counting lines)")
    encoding: str = Field(
        "auto", description="text encoding of the file (a Python codec: utf-8, latin-1, cp1252, utf-16, ...); auto "
        "detects it (byte-order mark, UTF-8, East Asian multi-byte, else cp1252/Latin-1) and the data report says "
        "which was used")
    split: str | None = Field(None, description="HF split")
    limit: int | None = Field(None, ge=1, description="use the first N records")
    on_bad_rows: Literal["drop", "error"] = Field(
        "drop", description="malformed rows: drop and count them (prep report), or stop with an error")
    replay_general: float = Field(
        0.0, ge=0, lt=1, description="text datasets: share of rows replayed from the embedded model's general "
        "pretraining corpus after cleaning (guards against forgetting); 0 = off")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown text encoding '{value}'; use auto or a Python codec name such as "
                                 "utf-8, latin-1, cp1252, utf-16") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _explode_is_a_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("explode"), str):
            data = {**data, "explode": [data["explode"]]}
        return data

    def prompts(self, defaults: PromptDefaults) -> dict[str, Any]:
        """system / instruction / n_options for conversions, the dataset's own values over the domain's."""
        out = {k: getattr(self, k) if getattr(self, k) is not None else getattr(defaults, k)
               for k in ("system", "instruction", "n_options")}
        return {k: v for k, v in out.items() if v is not None}


class StageSpec(BaseModel):
    """One training stage: a method applied to a dataset, starting from a parent stage's model."""

    model_config = ConfigDict(extra="forbid")
    method: str = Field(description="a method from `harness methods`")
    data: str = Field(description="the dataset (a key of `datasets:`) the stage trains on")
    config: str | None = Field(None, description="recipe YAML (relative to the manifest); default: the method's")
    parent: str | None = Field(None, description="stage whose model this one starts from; `base` = --model; "
                               "default: the stage listed before it")
    models: dict[str, str] = Field(
        default_factory=dict, description="extra models the method needs, by role (teacher, reward): a model ref")


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    hooks: str = "hooks.py"
    seed: int = 1234
    generator: dict[str, Any] = Field(default_factory=dict, description="passed to hooks.generate()")
    prompts: PromptDefaults = Field(default_factory=PromptDefaults, description="defaults for every dataset")
    datasets: dict[str, DatasetSpec] = Field(default_factory=dict)
    stages: dict[str, StageSpec] = Field(default_factory=dict, description="run in the order listed")
    suites: list[str] = Field(default_factory=list, description="the domain's lm-eval groups, under `suite_dir`")
    suite_dir: str = Field("suite", description="folder of the domain's suites (an lm-eval include path)")
    regression_suites: list[str] = Field(default_factory=lambda: ["general"])
    gate_policy: str | None = "gates.yaml"
    validation_fraction: float = Field(0.1, gt=0, lt=0.5)
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig, description="quality → PII → dedup → decontam")

    @model_validator(mode="after")
    def _stages_refer_to_known_things(self) -> Manifest:
        seen: list[str] = []
        for name, stage in self.stages.items():
            if name in RESERVED_NAMES or ":" in name:
                raise ValueError(f"stage name '{name}' is reserved; pick another")
            if stage.data not in self.datasets:
                raise ValueError(f"stage '{name}' reads dataset '{stage.data}', which `datasets:` does not declare "
                                 f"(declared: {', '.join(self.datasets) or 'none'})")
            if stage.parent not in (None, BASE, *seen):
                raise ValueError(f"stage '{name}' has parent '{stage.parent}', which is not a stage listed before it "
                                 f"(or `base`)")
            seen.append(name)
        return self

    def parent_of(self, stage: str) -> str:
        """The stage's parent stage name, or `base`."""
        names = list(self.stages)
        spec = self.stages[stage]
        if spec.parent is not None:
            return spec.parent
        i = names.index(stage)
        return names[i - 1] if i > 0 else BASE


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
        spec = importlib.util.spec_from_file_location(f"harness_domain_{self.name}_{abs(hash(str(file))):x}", file)
        if spec is None or spec.loader is None or not file.exists():
            raise HarnessError(f"domain '{self.name}' hooks file {file} is missing",
                               "create hooks.py next to manifest.yaml")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            raise HarnessError(f"domain '{self.name}' hooks file {file} has a syntax error at line {exc.lineno}: "
                               f"{exc.msg}", f"fix line {exc.lineno} of {file}") from exc
        except Exception as exc:  # noqa: BLE001 - any error while importing the user's file is theirs to fix
            raise HarnessError(f"domain '{self.name}' hooks file {file} failed on import: {hook_failure(exc, file)}",
                               f"fix {file} (run `python {file}` to see the full traceback)") from exc
        return module

    @property
    def suite_root(self) -> Path:
        return self.path(self.manifest.suite_dir)

    def stage(self, name: str) -> StageSpec:
        if name not in self.manifest.stages:
            raise HarnessError(f"domain '{self.name}' has no stage '{name}'",
                               f"use one of: {', '.join(self.manifest.stages) or '(none)'}")
        return self.manifest.stages[name]

    def stage_config_path(self, name: str) -> Path | None:
        """The stage's recipe YAML, or None to use the method's default config."""
        cfg = self.stage(name).config
        if cfg is None:
            return None
        path = self.path(cfg)
        if not path.exists():
            raise HarnessError(f"domain '{self.name}' stage '{name}' config {path} not found",
                               f"create it or drop `config:` from stage '{name}' to use the method's defaults")
        return path


def hook_failure(exc: BaseException, file: Path) -> str:
    """`ValueError: bad seed (line 12)`: the exception and the deepest line of `file` it passed through."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == file:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}{': ' + text if text else ''}" + (f" (line {line})" if line else "")


def check_domain_name(name: str) -> None:
    """Domain arguments are names, never paths: `../../somewhere/evil` must not load (and run) that folder's
    hooks."""
    if not DOMAIN_NAME.fullmatch(name):
        raise HarnessError(f"domain '{name}' is not a domain name (letters, digits, '_', '-' and '.', no path "
                           "separators, not starting with '.')",
                           "pass a name from `harness domains`; to use a domain folder elsewhere, set "
                           "HARNESS_DOMAINS_DIR to its parent folder")


def module_file(path: str | Path) -> ModuleType:
    """A domain's own .py file as a module, loaded once per file path. Domain folders are not importable
    packages; keying by the resolved path lets two copies of one domain live side by side."""
    file = Path(path).resolve()
    name = f"harness_domain_{file.parent.name}_{file.stem}_{abs(hash(str(file))):x}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before exec: dataclasses look their module up while it runs
        spec.loader.exec_module(module)
    return sys.modules[name]


def _domain_dirs() -> dict[str, Path]:
    """name -> folder; an earlier root (working folder, HARNESS_DOMAINS_DIR) hides a built-in of the same name."""
    found: dict[str, Path] = {}
    for root in domain_roots():
        for manifest in sorted(root.glob("*/manifest.yaml")):
            found.setdefault(manifest.parent.name, manifest.parent)
    return found


def list_domains() -> list[str]:
    return sorted(_domain_dirs())


def load_domain(name: str) -> Domain:
    check_domain_name(name)
    folder = _domain_dirs().get(name)
    if folder is None:
        known = ", ".join(list_domains()) or "none"
        raise HarnessError(f"unknown domain '{name}' (known: {known})",
                           "pick one of the known domains, or create one with `harness domain new NAME`")
    return Domain(folder, load_yaml_model(Manifest, folder / "manifest.yaml"))


def suite_include_paths() -> list[Path]:
    """lm-eval include paths: the general suites (of the embedded model), every domain's suite folder, and the
    perturbed suite copies in the cache."""
    paths = [suites_dir()]
    for folder in _domain_dirs().values():
        suite = _suite_dir(folder, _mtime(folder / "manifest.yaml"))
        if suite.is_dir() and suite not in paths:
            paths.append(suite)
    from harness.paths import cache_dir  # perturbed copies of suites (harness.robustness.suite)

    perturbed = cache_dir() / "perturbed_suites"
    if perturbed.is_dir():
        paths += sorted(p for p in perturbed.iterdir() if p.is_dir() and not p.name.endswith(".tmp"))
    return paths


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=256)
def _suite_dir(folder: Path, manifest_mtime: int) -> Path:
    """A domain's suite folder from its manifest, parsed once per manifest version (compare asks for the include
    paths once per task: re-reading every manifest each time was a third of a dashboard comparison)."""
    try:
        return folder / load_yaml_model(Manifest, folder / "manifest.yaml").suite_dir
    except HarnessError:
        return folder / "suite"  # a broken manifest is reported when that domain is used, not on every eval


def find_suite_dir(name: str) -> Path | None:
    """Folder of a suite (an lm-eval group) by name: `<include path>/<name>/`, or an include path whose own
    group is `name` (a domain's `suite/` folder holding `_<name>.yaml`)."""
    for root in suite_include_paths():
        if (root / name).is_dir():
            return root / name
        if (root / f"_{name}.yaml").exists():
            return root
    return None
