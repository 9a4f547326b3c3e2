"""What a task *is*: its suite, its declared primary metric / direction / chance, and its identity.

Everything here is read from the suites' own lm-eval YAML, so there is one place to declare it:

```yaml
metadata:
  version: 1.0
  primary_metric: acc        # the metric compare/gate/tables/dashboard judge the task on
  chance: 0.25               # score of random guessing (forgetting is chance-corrected with it)
  primary_filter: none       # optional, for tasks with several filters (default: the first)
```

A task without these falls back to the first metric of its `metric_list` and the first filter, and has no
chance level. The *identity* of an evaluated task is the hash of lm-eval's resolved task config (prompt
functions are serialised by lm-eval as their source code) plus the content hash of the suite folder's code
and templates; two runs are comparable item by item only when their task identities agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from harness.evaluation.prompt_format import declared_format, effective_format
from harness.fingerprint import canonical_json, fingerprint, hash_file

# Code and template files of a suite folder (what can change a prompt or a score); data files are left out
# because items are paired by content hash anyway, and adding items must not make old runs incomparable.
CODE_SUFFIXES = (".yaml", ".yml", ".py", ".jinja", ".j2", ".txt", ".md")
DATA_DIRS = ("data",)
_FUNCTION_REPR = re.compile(r"<function (\S+) at 0x[0-9a-f]+>")
# Keys of lm-eval's dumped config that locate a file rather than define the task.
_VOLATILE_METADATA = ("config_source",)


class _AnyTagLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
    """Reads lm-eval YAML without importing `!function` targets (we only need names and lists)."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class TaskMeta:
    """What the suite YAML declares about a task."""

    task: str
    suite: str | None
    primary_metric: str | None
    primary_filter: str | None
    higher_is_better: bool | None
    chance: float | None
    metrics: tuple[str, ...]


def suite_paths() -> list[Path]:
    """Folders searched for suite YAML: the lm-eval include path (general suites + every domain's suite)."""
    from harness.domains import suite_include_paths

    return suite_include_paths()


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for root in paths:
        if root.is_dir():
            out += sorted(p for p in root.rglob("*.yaml") if not any(part in DATA_DIRS for part in p.parts))
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_AnyTagLoader)  # noqa: S506 (safe subclass)
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=8)
def _definitions(key: tuple[str, ...]) -> tuple[dict[str, list[str]], dict[str, TaskMeta], dict[str, Path]]:
    groups: dict[str, list[str]] = {}
    raw_tasks: dict[str, tuple[dict[str, Any], Path]] = {}
    for path in _yaml_files(Path(p) for p in key):
        doc = _read(path)
        if isinstance(doc.get("group"), str) and isinstance(doc.get("task"), list):
            groups[doc["group"]] = [t if isinstance(t, str) else str(t.get("task")) for t in doc["task"]]
        elif isinstance(doc.get("task"), str):
            raw_tasks[doc["task"]] = (doc, path)

    def members(group: str, seen: frozenset[str] = frozenset()) -> list[str]:
        out: list[str] = []
        for name in groups.get(group, []):
            if name in groups and name not in seen:
                out += members(name, seen | {group})
            else:
                out.append(name)
        return out

    flat = {g: members(g) for g in groups}
    suite_of: dict[str, str] = {}
    for group in sorted(flat, key=lambda g: len(flat[g])):  # the innermost group names a task's suite
        for task in flat[group]:
            suite_of.setdefault(task, group)
    metas: dict[str, TaskMeta] = {}
    folders: dict[str, Path] = {}
    for task, (doc, path) in raw_tasks.items():
        metas[task] = meta_from_config(task, doc, suite_of.get(task))
        folders[task] = path.parent
    return flat, metas, folders


def meta_from_config(task: str, config: Mapping[str, Any], suite: str | None) -> TaskMeta:
    """TaskMeta from a task's YAML or lm-eval's dumped config (same keys)."""
    metadata = config.get("metadata") or {}
    metric_list = [m for m in (config.get("metric_list") or []) if isinstance(m, Mapping) and m.get("metric")]
    metrics = tuple(str(m["metric"]) for m in metric_list)
    primary = metadata.get("primary_metric") or (metrics[0] if metrics else None)
    hib = next((m.get("higher_is_better") for m in metric_list if m["metric"] == primary), None)
    if hib is None and primary is not None:
        from harness.compare.stats import default_higher_is_better

        hib = default_higher_is_better(str(primary))
    filters = [f.get("name") for f in (config.get("filter_list") or []) if isinstance(f, Mapping)]
    primary_filter = metadata.get("primary_filter") or (filters[0] if filters else "none")
    chance = metadata.get("chance")
    return TaskMeta(task=task, suite=suite, primary_metric=None if primary is None else str(primary),
                    primary_filter=str(primary_filter), higher_is_better=None if hib is None else bool(hib),
                    chance=None if chance is None else float(chance), metrics=metrics)


def _key() -> tuple[str, ...]:
    return tuple(str(p) for p in suite_paths())


def suite_members() -> dict[str, list[str]]:
    """Suite (lm-eval group) -> its member tasks, as the suite definitions say (nested groups flattened)."""
    return _definitions(_key())[0]


def task_metas() -> dict[str, TaskMeta]:
    return _definitions(_key())[1]


def suite_of(task: str, metas: Mapping[str, TaskMeta] | None = None,
             members: Mapping[str, list[str]] | None = None) -> str | None:
    """The task's declared suite, else the group listing it. `metas`/`members`: definitions already read (compare's
    cached ones), else this module's."""
    meta = (task_metas() if metas is None else metas).get(task)
    if meta and meta.suite:
        return meta.suite
    return next((g for g, ts in (suite_members() if members is None else members).items() if task in ts), None)


def code_hash(folder: Path) -> str:
    """Hash of a suite folder's code and templates: names and contents, independent of mtimes."""
    parts = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES
                       and not any(part in DATA_DIRS or part == "__pycache__" for part in p.relative_to(folder).parts)):
        parts.append((str(file.relative_to(folder)), hash_file(file, 64)))
    return fingerprint(parts)


def data_hash(folder: Path) -> str:
    """Hash of what code_hash leaves out of a suite folder: its data files (names and contents). Not part of a
    task's identity (runs stay comparable when items are added; items pair by content hash), but part of the
    reuse key: a stored eval of other items is not an eval of these."""
    parts = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = file.relative_to(folder).parts
        if "__pycache__" in rel or (file.suffix in CODE_SUFFIXES and not any(part in DATA_DIRS for part in rel)):
            continue
        parts.append((str(file.relative_to(folder)), hash_file(file, 64)))
    return fingerprint(parts)


def normalized_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """lm-eval's dumped task config without what varies between processes or clones (function addresses,
    the YAML's absolute path), with lm-eval's run-time default for num_fewshot applied."""
    text = canonical_json_lenient(config)
    text = _FUNCTION_REPR.sub(r"<function \1>", text)
    import json

    cfg = json.loads(text)
    meta = cfg.get("metadata")
    if isinstance(meta, dict):
        for key in _VOLATILE_METADATA:
            meta.pop(key, None)
    if cfg.get("num_fewshot") is None:
        cfg["num_fewshot"] = 0  # simple_evaluate sets None to 0
    return cfg


def canonical_json_lenient(obj: Any) -> str:
    try:
        return canonical_json(obj)
    except TypeError:
        import json

        return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def config_hash(config: Mapping[str, Any]) -> str:
    return fingerprint(normalized_config(config))


def config_diff(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> list[str]:
    """Top-level (and metadata.*) fields whose values differ between two normalized configs."""
    if a is None or b is None:
        return ["<config not stored>"]
    a, b = normalized_config(a), normalized_config(b)
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if key == "metadata" and isinstance(va, dict) and isinstance(vb, dict):
            out += [f"metadata.{k}" for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)]
        elif canonical_json_lenient(va) != canonical_json_lenient(vb):
            out.append(key)
    return out


def tasks_declaring(metadata_key: str, root: Path) -> dict[str, Any]:
    """{task: metadata[metadata_key]} for the task YAMLs under `root` that declare that key."""
    out: dict[str, Any] = {}
    for path in _yaml_files([root]):
        doc = _read(path)
        metadata = doc.get("metadata")
        if isinstance(doc.get("task"), str) and isinstance(metadata, dict) and metadata.get(metadata_key):
            out[doc["task"]] = metadata[metadata_key]
    return out


def load_tasks(names: list[str], manager: Any) -> dict[str, Any]:
    """{task name: lm-eval Task} for tasks and groups, loaded as simple_evaluate loads them (quietly)."""
    import logging
    import warnings

    from lm_eval.tasks import get_task_dict

    previous = logging.getLogger("lm_eval").level
    logging.getLogger("lm_eval").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _flatten_tasks(get_task_dict(names, manager))
    finally:
        logging.getLogger("lm_eval").setLevel(previous)


def _flatten_tasks(task_dict: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in task_dict.items():
        if isinstance(value, Mapping):
            out.update(_flatten_tasks(value))
        elif hasattr(value, "dump_config"):
            out[str(value.config.task if hasattr(value, "config") else key)] = value
    return out


def task_identities(names: list[str], manager: Any, *, fewshot_seed: int | None = None,
                    chat_template: str | None = None) -> dict[str, dict[str, Any]]:
    """Per task of the requested suites/tasks: the eval_tasks row (minus run_id) that identifies it.

    Loads the tasks the way simple_evaluate does (same YAML, same TaskManager), so the identity stored with
    a run is the one a later run computes for an unchanged suite. `chat_template` is the evaluated model's:
    with it, each task's effective prompt format (harness/evaluation/prompt_format.py) joins its config."""
    from lm_eval import __version__ as lm_eval_version

    from harness import __version__ as harness_version

    tasks = load_tasks(names, manager)
    _, metas, folders = _definitions(_key())
    out: dict[str, dict[str, Any]] = {}
    for name, task in sorted(tasks.items()):
        config = normalized_config(task.dump_config())
        if fewshot_seed is not None:
            config["fewshot_seed"] = fewshot_seed  # which few-shot examples are drawn is part of the prompt
        config = with_prompt_format(name, config, chat_template)
        known = metas.get(name)
        meta = meta_from_config(name, config, known.suite if known else None)
        folder = folders.get(name) or _config_folder(task)
        try:
            n_docs = len(task.eval_docs)
        except Exception:  # noqa: BLE001 - a task without eval docs still has an identity
            n_docs = None
        out[name] = {
            "task": name, "suite": meta.suite or suite_of(name) or name, "config_hash": fingerprint(config),
            "code_hash": code_hash(folder) if folder else None, "config_json": config,
            "folder": str(folder) if folder else None, "data_hash": data_hash(folder) if folder else None,
            "primary_metric": meta.primary_metric, "primary_filter": meta.primary_filter,
            "higher_is_better": meta.higher_is_better, "chance": meta.chance, "n_docs": n_docs,
            "lm_eval_version": lm_eval_version, "harness_version": harness_version,
        }
    return out


def with_prompt_format(task: str, config: Mapping[str, Any], chat_template: str | None) -> dict[str, Any]:
    """The config with its effective `prompt_format`: plain text or which chat template rendered the prompt is
    part of the prompt too. One function for the full path and the quick reuse check (reuse.py)."""
    return {**config, "prompt_format": effective_format(declared_format(task, config), chat_template)}


def _config_folder(task: Any) -> Path | None:
    source = ((task.dump_config().get("metadata") or {}).get("config_source"))
    return Path(source).parent if source else None
