"""Suite definitions (members, declared task metadata) for compare, cached on disk per suite fingerprint.

Reading them the usual way (harness/evaluation/tasks.py) imports harness.domains, and through it the whole
cleaning package, then parses every suite YAML: most of a `harness compare` process's fixed cost. The cache
key is the path, size and mtime of every YAML file under the roots the include paths come from (general
suites, domain folders with their manifests, perturbed suite copies), so adding, editing or removing any
suite, manifest or perturbed copy reads the definitions afresh; the value is exactly what tasks.py returns."""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path

from harness.evaluation import tasks
from harness.evaluation.tasks import DATA_DIRS, TaskMeta

_FORMAT = 1


def _roots() -> list[Path]:
    from harness.paths import cache_dir, domain_roots, suites_dir

    return [suites_dir(), *domain_roots(), cache_dir() / "perturbed_suites"]


def fingerprint() -> str:
    """Hash of (path, size, mtime) of every YAML file the suite definitions could come from."""
    digest = hashlib.sha256(f"suite-defs-v{_FORMAT}".encode())
    for root in _roots():
        digest.update(f"\0root {root}".encode())
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in DATA_DIRS)
            for name in sorted(files):
                if name.endswith((".yaml", ".yml")):
                    path = os.path.join(folder, name)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    digest.update(f"\0{path}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


@lru_cache(maxsize=4)
def _definitions(key: str) -> tuple[dict[str, list[str]], dict[str, TaskMeta]]:
    from harness.paths import cache_dir

    file = cache_dir() / "suite_defs" / f"{key}.pkl"
    try:
        with file.open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 (our own cache file, written below)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
        pass
    from harness.evaluation.tasks import suite_members, task_metas

    value = (suite_members(), task_metas())
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh)
        os.replace(tmp, file)  # atomic: a reader sees the whole file or none
    except OSError:
        pass  # a read-only cache only costs speed
    return value


def suite_members() -> dict[str, list[str]]:
    """harness.evaluation.tasks.suite_members, cached per suite fingerprint."""
    return _definitions(fingerprint())[0]


def task_metas() -> dict[str, TaskMeta]:
    """harness.evaluation.tasks.task_metas, cached per suite fingerprint."""
    return _definitions(fingerprint())[1]


def suite_of(task: str) -> str | None:
    """harness.evaluation.tasks.suite_of from the cached definitions."""
    return tasks.suite_of(task, task_metas(), suite_members())
