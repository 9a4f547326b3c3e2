"""security_logs domain hooks: generate() feeds the datasets, eval_items() the suite, read_file() the real log
formats (loghub raw logs and structured CSVs, BGL-style labelled lines; see formats.py)."""

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
    """Train records keyed by dataset: logs (text), chats (chat), pairs (preference), events (classification).
    Params: see manifest."""
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
