"""Where things live: project folders (suites, domains), the user cache, the default store."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def suites_dir() -> Path:
    return Path(os.environ.get("HARNESS_SUITES_DIR", PROJECT_ROOT / "suites")).resolve()


def domains_dir() -> Path:
    return Path(os.environ.get("HARNESS_DOMAINS_DIR", PROJECT_ROOT / "domains")).resolve()


def cache_dir() -> Path:
    """Built models, prepared datasets and stage outputs, keyed by fingerprint."""
    path = Path(os.environ.get("HARNESS_CACHE_DIR", user_cache_dir("domain-harness"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_store_path() -> Path:
    return Path(os.environ.get("HARNESS_DB", "harness.duckdb")).resolve()
