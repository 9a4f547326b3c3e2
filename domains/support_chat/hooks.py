"""support_chat domain hooks: the harness calls generate(); the suite generator calls eval_items()."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any


def _generator():
    """generator.py, loaded by path once (domain folders are not importable packages)."""
    name = f"harness_domain_support_chat_generator_{abs(hash(str(Path(__file__).resolve()))):x}"  # per copy
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("generator.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


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
