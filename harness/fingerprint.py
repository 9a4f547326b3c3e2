"""Content fingerprints: a stage's output is addressed by the hash of everything that made it."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

TRACKED_PACKAGES = (
    "torch", "transformers", "peft", "trl", "datasets", "lm_eval", "evaluate", "duckdb", "tokenizers",
)


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise TypeError(f"cannot fingerprint {type(obj).__name__}")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default, ensure_ascii=False)


def fingerprint(*parts: Any, length: int = 16) -> str:
    """Stable short hash of JSON-able parts (pydantic models, dicts, strings, paths)."""
    return hashlib.sha256(canonical_json(list(parts)).encode()).hexdigest()[:length]


def hash_file(path: Path, length: int = 16) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


WEIGHT_AND_CONFIG_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model")


def hash_dir(path: Path, length: int = 16, suffixes: tuple[str, ...] = WEIGHT_AND_CONFIG_SUFFIXES) -> str:
    """Hash of a model folder's weights and configs (names + contents), independent of mtimes."""
    h = hashlib.sha256()
    for file in sorted(p for p in Path(path).rglob("*") if p.is_file() and p.suffix in suffixes):
        h.update(str(file.relative_to(path)).encode())
        h.update(hash_file(file, 64).encode())
    return h.hexdigest()[:length]


def library_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name.replace("_", "-"))
        except metadata.PackageNotFoundError:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = "absent"
    return versions
