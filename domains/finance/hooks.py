"""finance domain hooks: generate() feeds the datasets, eval_items() the suite, read_file() the real finance
formats (TAT-QA / FinQA JSON, Financial PhraseBank lines, labelled sentiment CSVs; see formats.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """A module next to this file, loaded by path once (domain folders are not importable packages)."""
    mod_name = f"harness_domain_finance_{name}_{abs(hash(str(HERE))):x}"  # one per copy of the folder
    if mod_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(mod_name, HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    return sys.modules[mod_name]


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset: docs (text), chats (chat), pairs (preference), headlines
    (classification). Params: see the manifest's `generator:`."""
    return _sibling("generator").generate(seed, **params)


def eval_items(seed: int = 0, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items keyed sentiment / tableqa / ppl / derivation (never overlapping generate())."""
    return _sibling("generator").eval_items(seed, **kwargs)


def read_file(path: Path, spec: Any = None):
    """Rows of a TAT-QA / FinQA JSON, Financial PhraseBank or labelled sentiment CSV file, or None for other
    files (the harness's own readers take those). Called by `harness prep` for every file-backed dataset."""
    return _sibling("formats").read_file(Path(path), spec)
