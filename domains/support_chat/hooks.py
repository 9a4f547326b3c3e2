"""support_chat domain hooks: the harness calls generate(); the suite generator calls eval_items()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.domains import module_file


def _generator():
    """generator.py, loaded by path once (domain folders are not importable packages)."""
    return module_file(Path(__file__).with_name("generator.py"))


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset: transcripts (text), chats (chat), pairs (preference), intents
    (classification). Params: see manifest."""
    return _generator().generate(seed, **params)


def intents() -> list[str]:
    return _generator().intents()


def businesses() -> list[str]:
    return _generator().businesses()


def system_prompt(business: str) -> str:
    return _generator().system_prompt(business)


def eval_items(seed: int = 0, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items keyed intent / preference / ppl / reply (never overlapping generate())."""
    return _generator().eval_items(seed, **kwargs)
