"""security_logs domain hooks: generate() feeds the datasets, eval_items() the suite, read_file() the real log
formats (loghub raw logs and structured CSVs, BGL-style labelled lines; see formats.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """A module next to this file, loaded by path once (domain folders are not importable packages)."""
    mod_name = f"harness_domain_security_logs_{name}_{abs(hash(str(HERE))):x}"  # one per copy of the folder
    if mod_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(mod_name, HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    return sys.modules[mod_name]


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset: logs (text), chats (chat), pairs (preference). Params: see manifest."""
    return _sibling("generator").generate(seed, **params)


def eval_items(seed: int = 0, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items keyed event / attack / ppl / summary (never overlapping generate())."""
    return _sibling("generator").eval_items(seed, **kwargs)


def events() -> list[str]:
    return _sibling("generator").events()


def pseudonyms():
    """User/host pseudonymiser keyed by the manifest's PII salt (`cleaning.pii.salt` or its env var)."""
    import yaml

    from harness.cleaning.config import PiiConfig

    manifest = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))
    cfg = PiiConfig(**(manifest.get("cleaning") or {}).get("pii", {}))
    return _sibling("formats").Pseudonyms(cfg.resolved_salt())


def read_file(path: Path, spec: Any = None):
    """Rows of a loghub raw log / structured CSV (users and hosts pseudonymised), or None for other files
    (the harness's own readers take those). Called by `harness prep` for every file-backed dataset."""
    formats = _sibling("formats")
    return formats.read_file(Path(path), pseudonyms(), group_lines=getattr(spec, "group_lines", 1) or 1)
