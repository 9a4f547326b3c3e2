"""Answer `harness eval` from the store when nothing changed, without importing torch, transformers or lm-eval and
without loading the model.

An eval is reused when a completed run of the same model id, limit, dtype and backend holds exactly the
requested tasks, each with the same config hash and suite-code hash (`runner.find_reusable_eval`); this module
answers only that whole-run case (a request that some stored tasks answer in part goes to the full path, which
copies those tasks and evaluates the rest: `runner.find_task_sources`). Two parts of
that key normally need the heavy libraries: the task config hashes (lm-eval resolves every task config) and the
prompt format (the model's chat template, read through transformers). Both are remembered in small JSON files
under `cache_dir()/eval_reuse/`, each keyed by everything its value is computed from:

- task configs: keyed by the requested names, the few-shot seed, the lm-eval and harness versions, and the
  content hash of every include path's code and templates (`tasks.code_hash`: YAML, Python, templates; an edited
  or added YAML anywhere changes the key). The value is each task's normalized config *before* its prompt
  format is added, its suite-code hash and its folder (whose data files are hashed afresh on every check).
- chat template: keyed by the model folder's path, the transformers version and the content of its tokenizer and
  config files (`*.json`, `*.jinja`, `*.model`, `*.txt`, `*.py`, `additional_chat_templates/`).

Both are written by the full path (`runner.run_eval`) from the values lm-eval and transformers gave; the quick
path only reads them, recomputes the same config hashes (`tasks.with_prompt_format`) and asks the store. Any
miss, any setting it cannot decide cheaply (a GPU may be visible, another backend, a launcher, a hub id) returns
None and the full path decides, exactly as before.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.fingerprint import fingerprint, hash_file

if TYPE_CHECKING:
    from harness.evaluation.runner import EvalSummary
    from harness.models.refs import ModelRef

CACHE_FOLDER = "eval_reuse"
CACHE_VERSION = 2  # bump when what the cached files hold changes
# Files of a model folder that can decide its chat template (tokenizer_config.json, chat_template.jinja/.json,
# remote tokenizer code); weights are left out (they are the model id's business, not the template's).
TOKENIZER_SUFFIXES = (".json", ".jinja", ".model", ".txt", ".py")
TEMPLATE_DIRS = ("additional_chat_templates",)
# Device files present whenever torch could see a GPU (NVIDIA, ROCm, WSL); without them plan_device picks the CPU.
GPU_MARKERS = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _cache_file(kind: str, key: str) -> Path:
    from harness.paths import cache_dir

    return cache_dir() / CACHE_FOLDER / f"{kind}-{key}.json"


def _read(kind: str, key: str) -> Any:
    try:
        return json.loads(_cache_file(kind, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(kind: str, key: str, value: Any) -> None:
    """Atomic (temp file + rename): a reader never sees half a file; a failed write only costs speed."""
    path = _cache_file(kind, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


# -- task configs ---------------------------------------------------------------------------------------------------
def suites_key(names: list[str], fewshot_seed: int | None) -> str:
    """Everything the requested tasks' resolved configs are computed from (see the module docstring)."""
    from harness import __version__ as harness_version
    from harness.evaluation.tasks import code_hash, suite_paths

    roots = [(str(root), code_hash(root)) for root in suite_paths() if root.is_dir()]
    return fingerprint(CACHE_VERSION, sorted(names), fewshot_seed, _version("lm_eval"), harness_version, roots)


def remember_configs(key: str, identities: dict[str, dict[str, Any]]) -> None:
    """Store each task's config without its prompt format, and its suite-code hash, under `key`."""
    _write("tasks", key, {task: {"config": {k: v for k, v in ident["config_json"].items() if k != "prompt_format"},
                                 "code_hash": ident["code_hash"], "folder": ident.get("folder")}
                          for task, ident in identities.items()})


def wanted_hashes(key: str, template: str | None) -> tuple[dict[str, tuple[str, str | None]],
                                                           dict[str, str]] | None:
    """({task: (config_hash, code_hash)}, {task: data_hash}) as task_identities would give them (data hashed
    now), or None when not remembered."""
    from harness.evaluation.tasks import data_hash, with_prompt_format

    tasks = _read("tasks", key)
    if not isinstance(tasks, dict) or not tasks:
        return None
    want = {task: (fingerprint(with_prompt_format(task, entry["config"], template)), entry["code_hash"])
            for task, entry in tasks.items()}
    data = {task: data_hash(Path(entry["folder"])) for task, entry in sorted(tasks.items()) if entry.get("folder")}
    return want, data


# -- chat template --------------------------------------------------------------------------------------------------
def tokenizer_key(path: str, trust_remote_code: bool) -> str | None:
    """Hash of what decides a local model folder's chat template; None for anything but a local folder."""
    folder = Path(path)
    if not folder.is_dir():
        return None
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix in TOKENIZER_SUFFIXES]
    for sub in TEMPLATE_DIRS:
        if (folder / sub).is_dir():
            files += [p for p in (folder / sub).rglob("*") if p.is_file()]
    parts = sorted((str(p.relative_to(folder)), hash_file(p, 64)) for p in files)
    return fingerprint(CACHE_VERSION, str(folder.resolve()), trust_remote_code, _version("transformers"), parts)


def remember_template(path: str, trust_remote_code: bool, template: str | None) -> None:
    key = tokenizer_key(path, trust_remote_code)
    if key is not None:
        _write("template", key, {"template": template})


def known_template(path: str, trust_remote_code: bool) -> tuple[bool, str | None]:
    """(found, template): the chat template transformers gave for this exact folder content, if remembered."""
    key = tokenizer_key(path, trust_remote_code)
    entry = _read("template", key) if key else None
    if not isinstance(entry, dict) or "template" not in entry:
        return False, None
    return True, entry["template"]


# -- the quick answer -----------------------------------------------------------------------------------------------
def surely_cpu(prefer: str) -> bool:
    """True when plan_device would certainly pick the CPU (float32), decided without importing torch."""
    if prefer == "cpu":
        return True
    if prefer != "auto":
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1") or sys.platform == "darwin":
        return True
    return not any(Path(marker).exists() for marker in GPU_MARKERS)


@dataclass(frozen=True)
class QuickRequest:
    """The `harness eval` arguments the quick path looks at."""

    model: str
    suites: list[str]
    limit: int | float | None
    device: str = "auto"
    backend: str = "hf"
    tensor_parallel: int = 1
    launcher: str = "none"
    trust_remote_code: bool = False


def stored_eval(db: Path | None, request: QuickRequest) -> EvalSummary | None:
    """The stored eval `harness eval` would reuse for `request` (store file `db`), found without
    torch/transformers/lm-eval; None whenever that cannot be decided cheaply (then the full path decides). Creates
    no store that does not exist yet."""
    from harness.evaluation.runner import FEWSHOT_SEED, EvalSummary, find_reusable_run
    from harness.models.refs import resolve_model
    from harness.paths import default_store_path
    from harness.store import Store

    if request.backend != "hf" or request.launcher != "none" or request.tensor_parallel != 1:
        return None
    if not surely_cpu(request.device):
        return None
    if not Path(db or default_store_path()).is_file():
        return None
    key = suites_key(request.suites, FEWSHOT_SEED)
    if _read("tasks", key) is None:
        return None
    store: Store = Store(db)
    ref: ModelRef = resolve_model(request.model, trust_remote_code=request.trust_remote_code, store=store)
    found, template = known_template(ref.path, ref.trust_remote_code)
    if not found:
        return None
    wanted = wanted_hashes(key, template)
    if wanted is None:
        return None
    run_id = find_reusable_run(store, ref.model_id, wanted[0], request.limit, "float32", {"name": "hf"}, wanted[1])
    if run_id is None:
        return None
    rows = store.query("SELECT * FROM eval_results WHERE run_id = ? ORDER BY task, metric", [run_id])
    return EvalSummary(run_id, ref.model_id, rows, reused=True)
