"""finance domain hooks: generate() feeds the datasets, eval_items() the suite, read_file() the real finance
formats (TAT-QA / FinQA JSON, Financial PhraseBank lines, labelled sentiment CSVs; see formats.py)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from harness.domains import module_file

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


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
