"""Where things live: the general suites, domain folders, the user cache, the default store.

Built-in domains and the general suite sit next to the package in a source checkout (`<repo>/domains`,
`<repo>/suites`) and inside it in an installed wheel (`harness/_data/...`). A user's own domains live in
`./domains` of the folder they work in (or in folders named by HARNESS_DOMAINS_DIR).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
PACKAGED_DATA = PACKAGE_DIR / "_data"  # filled by the wheel build (see setup.py)


def _builtin(name: str) -> Path:
    checkout = PROJECT_ROOT / name
    if (PROJECT_ROOT / "pyproject.toml").exists() and checkout.is_dir():
        return checkout
    return PACKAGED_DATA / name


def suites_dir() -> Path:
    """The general suites (they belong to the embedded model, not to a domain). Domain suites live in their
    domain folder; harness.domains.suite_include_paths() lists every lm-eval include path."""
    return Path(os.environ.get("HARNESS_SUITES_DIR", _builtin("suites"))).resolve()


def builtin_domains_dir() -> Path:
    return _builtin("domains").resolve()


def _env_dirs() -> list[Path]:
    raw = os.environ.get("HARNESS_DOMAINS_DIR", "")
    return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]


def domains_dir() -> Path:
    """Where `harness domain new` writes: the first HARNESS_DOMAINS_DIR folder, else ./domains."""
    env = _env_dirs()
    return env[0] if env else (Path.cwd() / "domains").resolve()


def domain_roots() -> list[Path]:
    """Folders searched for domains, first match wins: HARNESS_DOMAINS_DIR, ./domains, the built-ins."""
    roots: list[Path] = []
    for root in [*_env_dirs(), (Path.cwd() / "domains").resolve(), builtin_domains_dir()]:
        if root.is_dir() and root not in roots:
            roots.append(root)
    return roots


def cache_dir() -> Path:
    """Built models, prepared datasets and stage outputs, keyed by fingerprint."""
    path = Path(os.environ.get("HARNESS_CACHE_DIR", user_cache_dir("domain-harness"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_store_path() -> Path:
    return Path(os.environ.get("HARNESS_DB", "harness.duckdb")).resolve()
