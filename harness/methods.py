"""The one registry of training methods. Every method declares itself next to its code:

    # harness/recipes/sft.py (or any <name>.py in a folder listed in HARNESS_METHODS_PATH)
    METHOD = Method(name="sft", config=SFTRecipeConfig, reads=("chat", "prompt_completion"),
                    produces="causal_lm", needs=("policy",), summary="supervised fine-tuning on chats")

    def run(cfg, *, model_path, train_path, validation_path, output_dir, store, run_id, device,
            trust_remote_code, progress) -> StageOutput: ...

Prep, the pipeline, the CLI (`harness methods`, `harness config show`), the dashboard and the tests read this
registry; there is no other list of methods. Adding a method = one recipe file (+ an optional default YAML
`<name>.yaml` beside it, read when a stage names no config). A method whose output is not a causal LM
(`produces: reward_model | classifier`) gives an `evaluate` hook that writes the same store tables as lm-eval
(`harness.evaluation.runner.EvalSummary`); the pipeline calls it instead of lm-eval for that stage.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel

from harness.errors import HarnessError

Produces = Literal["causal_lm", "adapter", "reward_model", "classifier"]
ModelRole = Literal["policy", "reference", "teacher", "reward"]
BUILTIN_PACKAGE = "harness.recipes"
BUILTIN_DIR = Path(__file__).resolve().parent / "recipes"
METHODS_PATH_ENV = "HARNESS_METHODS_PATH"


@dataclass(frozen=True)
class Method:
    """What a method is, as the rest of the harness sees it.

    name: what a stage's `method:` names. config: its pydantic config class (extra="forbid").
    reads: dataset kinds it can train on (harness/data/records.py KINDS). produces: what its stage folder holds.
    needs: models it loads (policy = the parent stage's model; reference/teacher/reward come from the stage's
    `models:` block). evaluate: for outputs that lm-eval cannot score, a callable
    (store, model_ref, *, domain, stage, paths, limit, device) -> EvalSummary writing eval_results/eval_samples
    (paths = the stage dataset's (train, validation) JSONL; harness.evaluation.custom.record_eval writes them).
    after_train: a callable (store, stage_ref, parent_ref, *, domain, stage, parent_stage) the pipeline calls
    after the stage is trained or reused from the cache, for evaluations only training can make (the RL
    methods' held-out reward of parent vs policy, harness/feedback/reward_eval.py).
    """

    name: str
    config: type[BaseModel]
    reads: tuple[str, ...]
    produces: Produces = "causal_lm"
    needs: tuple[ModelRole, ...] = ("policy",)
    summary: str = ""
    evaluate: Callable[..., Any] | None = None
    after_train: Callable[..., Any] | None = None
    module: ModuleType | None = field(default=None, compare=False, repr=False)
    default_config: Path | None = None

    @property
    def lm_eval(self) -> bool:
        """True when lm-eval can score the output (a causal LM, merged or as an adapter)."""
        return self.produces in ("causal_lm", "adapter")

    def run(self, cfg: BaseModel, **kwargs: Any) -> Any:
        assert self.module is not None
        return self.module.run(cfg, **kwargs)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "reads": list(self.reads), "produces": self.produces, "needs": list(self.needs),
                "config": self.config.__name__, "summary": self.summary,
                "own_evaluation": self.evaluate is not None,
                "source": getattr(self.module, "__file__", None),
                "default_config": None if self.default_config is None else str(self.default_config)}


def _extra_dirs() -> list[Path]:
    raw = os.environ.get(METHODS_PATH_ENV, "")
    return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]


def _load_file(path: Path) -> ModuleType:
    name = f"harness_method_{path.stem}_{abs(hash(str(path))):x}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise HarnessError(f"method file {path} failed to import ({type(exc).__name__}: {exc})".splitlines()[0],
                           f"fix {path} or remove its folder from {METHODS_PATH_ENV}") from exc
    return module


def _declared(module: ModuleType, path: Path) -> Method | None:
    method = getattr(module, "METHOD", None)
    if method is None:
        return None
    if not isinstance(method, Method) or not callable(getattr(module, "run", None)):
        raise HarnessError(f"{path}: METHOD must be a harness.methods.Method and the file must define run()",
                           "see harness/recipes/sft.py for a complete method file")
    yaml_file = path.with_suffix(".yaml")
    return Method(**{**method.__dict__, "module": module,
                     "default_config": yaml_file if yaml_file.exists() else method.default_config})


def discover() -> dict[str, Method]:
    """Every method: the built-in recipes, then files in HARNESS_METHODS_PATH folders (which may not
    shadow a built-in name). Cached per value of HARNESS_METHODS_PATH."""
    key = os.environ.get(METHODS_PATH_ENV, "")
    if key not in _CACHE:
        _CACHE[key] = _discover()
    return _CACHE[key]


_CACHE: dict[str, dict[str, Method]] = {}


def _discover() -> dict[str, Method]:
    from harness.data.records import KINDS

    found: dict[str, Method] = {}
    builtin = sorted(p for p in BUILTIN_DIR.glob("*.py") if not p.name.startswith("_") and p.stem != "common"
                     and p.stem != "callbacks")
    files = [(p, importlib.import_module(f"{BUILTIN_PACKAGE}.{p.stem}")) for p in builtin]
    for folder in _extra_dirs():
        if not folder.is_dir():
            raise HarnessError(f"{METHODS_PATH_ENV} names {folder}, which is not a folder",
                               f"point {METHODS_PATH_ENV} at folders holding method files")
        files += [(p, _load_file(p)) for p in sorted(folder.glob("*.py")) if not p.name.startswith("_")]
    for path, module in files:
        method = _declared(module, path)
        if method is None:
            continue
        if method.name in found:
            raise HarnessError(f"method '{method.name}' is declared twice ({found[method.name].module.__file__} and "
                               f"{path})", "give the new method another name")
        bad = [k for k in method.reads if k not in KINDS]
        if bad:
            raise HarnessError(f"method '{method.name}' reads unknown dataset kind '{bad[0]}'",
                               f"use kinds from: {', '.join(KINDS)}")
        found[method.name] = method
    return found


def get_method(name: str) -> Method:
    methods = discover()
    if name not in methods:
        raise HarnessError(f"unknown method '{name}' (known: {', '.join(sorted(methods))})",
                           f"use one of the methods listed by `harness methods`, or add a method file to a folder "
                           f"in {METHODS_PATH_ENV}")
    return methods[name]


def load_method_config(method: Method, path: Path | None, overrides: dict[str, Any] | None = None,
                       source: str | None = None) -> BaseModel:
    """A stage's config: its YAML (or the method's default YAML, or the config defaults) + overrides."""
    from harness.config_io import load_yaml_model, validate

    path = path or method.default_config
    if path is None:
        return validate(method.config, overrides or {}, source or f"{method.name} config overrides")
    return load_yaml_model(method.config, Path(path), overrides)


def schema_rows(config: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(field, type, default, doc) for every field of a config class, nested blocks flattened with dots."""
    rows: list[tuple[str, str, str, str]] = []
    for name, info in config.model_fields.items():
        annotation = info.annotation
        nested = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        if nested is not None:
            rows.append((prefix + name, nested.__name__, "", (nested.__doc__ or "").strip().splitlines()[0]
                         if nested.__doc__ else ""))
            rows += schema_rows(nested, prefix + name + ".")
            continue
        default = "" if info.is_required() else repr(info.get_default(call_default_factory=True))
        type_name = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
        rows.append((prefix + name, type_name, default, info.description or ""))
    return rows


__all__ = ["METHODS_PATH_ENV", "Method", "discover", "get_method", "load_method_config", "schema_rows"]
