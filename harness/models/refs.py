"""Resolve `--model` into something loadable: the embedded default, a named pretrained model (`smollm2-135m`,
harness/models/smollm2.py), a model this harness trained (its train run
id, its model id, `domain:stage`, or its stage folder), a local HF folder, a PEFT adapter folder, or a hub id
already in the local HF cache (nothing is downloaded at run time). A trained model keeps the model id of its
train run, so its evaluations link to that run."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.fingerprint import fingerprint, hash_dir

if TYPE_CHECKING:
    from harness.store import Store

DEFAULT_PREFIX = "default"
# Pretrained models the harness obtains itself (from the package registry, never a model hub) and caches.
NAMED_MODELS = ("smollm2-135m",)
STAGE_META = "stage.json"
_STAGE_REF = re.compile(r"^(?P<domain>[A-Za-z0-9_.-]+):(?P<stage>[A-Za-z0-9_.-]+)$")
_RUN_ID = re.compile(r"^[a-z]+-\d{8}-\d{6}-[0-9a-f]{6}$")


@dataclass(frozen=True)
class ModelRef:
    ref: str  # what the user passed
    path: str  # local folder or hub id that from_pretrained loads (the base, for adapters)
    model_id: str  # stable identity used in the store
    method: str  # embedded | local | adapter | hub
    adapter_path: str | None = None
    trust_remote_code: bool = False

    def lm_eval_args(self, dtype: str, device: str) -> dict[str, str | bool]:
        args: dict[str, str | bool] = {"pretrained": self.path, "dtype": dtype, "device": device,
                                       "trust_remote_code": self.trust_remote_code}
        if self.adapter_path:
            args["peft"] = self.adapter_path
        return args


def _folder_identity(path: Path) -> str:
    """Our own folders carry a fingerprint in harness_model.json; for others hash configs + weights
    names/sizes (cheap even for multi-GB checkpoints)."""
    meta = path / "harness_model.json"
    if meta.exists():
        try:
            fp = json.loads(meta.read_text()).get("fingerprint")
            if fp:
                return str(fp)
        except json.JSONDecodeError:
            pass
    small = sum(p.stat().st_size for p in path.glob("*.safetensors")) < 200_000_000
    if small:
        return hash_dir(path)
    files = sorted((p.name, p.stat().st_size) for p in path.iterdir() if p.is_file())
    configs = [(p.name, p.read_text()) for p in sorted(path.glob("*.json"))]
    return fingerprint(files, configs)


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or os.sep in ref and ref.count("/") != 1 or Path(ref).exists()


def _stage_ref(ref: str, meta_file: Path, trust_remote_code: bool) -> ModelRef:
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    return ModelRef(ref, meta["model_path"], meta["model_id"], "stage", trust_remote_code=trust_remote_code)


def _stage_meta_of_folder(path: Path) -> Path | None:
    """stage.json of a stage folder, or of the stage holding this `model/` folder."""
    for folder in (path, path.parent):
        if (folder / STAGE_META).exists():
            return folder / STAGE_META
    return None


def _stored_stage(store: Store | None, ref: str) -> str | None:
    """Model id for a train run id, a stored model id, or `domain:stage` (its latest completed train run)."""
    if store is None:
        return None
    match = _STAGE_REF.match(ref)
    if match:
        rows = store.query("SELECT model_id FROM runs WHERE kind = 'train' AND status = 'completed' AND domain = ?"
                           " AND stage = ? AND model_id IS NOT NULL ORDER BY finished_at DESC LIMIT 1",
                           [match["domain"], match["stage"]])
    elif _RUN_ID.match(ref):
        rows = store.query("SELECT model_id FROM runs WHERE run_id = ? AND model_id IS NOT NULL", [ref])
    else:
        rows = store.query("SELECT model_id FROM models WHERE model_id = ?", [ref])
    return rows[0]["model_id"] if rows else None


def _cached_stage(model_id: str | None, ref: str) -> Path | None:
    """stage.json in the stage cache for a model id, or the newest one of `domain:stage`."""
    from harness.paths import cache_dir

    stages = cache_dir() / "stages"
    if model_id is not None:
        meta = stages / model_id / STAGE_META
        return meta if meta.exists() else None
    match = _STAGE_REF.match(ref)
    if not match or not stages.is_dir():
        return None
    found: list[tuple[float, Path]] = []
    for meta in stages.glob(f"{match['domain']}-{match['stage']}-*/{STAGE_META}"):
        info: dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
        if info.get("stage") == match["stage"] and info.get("domain", match["domain"]) == match["domain"] \
                and Path(info["model_path"]).exists():
            found.append((meta.stat().st_mtime, meta))
    return max(found)[1] if found else None


def resolve_trained(ref: str, *, store: Store | None = None, trust_remote_code: bool = False) -> ModelRef | None:
    """A model this harness trained, by train run id, model id or `domain:stage`; None when `ref` is none of them."""
    model_id = _stored_stage(store, ref)
    meta = _cached_stage(model_id, ref) if model_id or _STAGE_REF.match(ref) else _cached_stage(ref, ref)
    if meta is not None:
        return _stage_ref(ref, meta, trust_remote_code)
    if model_id is not None and store is not None:
        rows = store.query("SELECT ref FROM models WHERE model_id = ?", [model_id])
        if rows and Path(rows[0]["ref"]).exists():
            return ModelRef(ref, rows[0]["ref"], model_id, "stage", trust_remote_code=trust_remote_code)
    if _STAGE_REF.match(ref) and not ref.startswith(DEFAULT_PREFIX + ":"):
        domain, stage = ref.split(":", 1)
        raise HarnessError(f"no trained model for stage '{stage}' of domain '{domain}' (in the store or the cache)",
                           f"train it first: `harness train {domain} --stage {stage}`")
    return None


def resolve_model(ref: str | None, *, trust_remote_code: bool = False, progress: bool = True,
                  store: Store | None = None) -> ModelRef:
    ref = (ref or DEFAULT_PREFIX).strip()
    if ref == DEFAULT_PREFIX or ref.startswith(DEFAULT_PREFIX + ":"):
        from harness.models.embedded import PRESETS, build_embedded_model

        preset = ref.split(":", 1)[1] if ":" in ref else "default"
        if preset not in PRESETS:
            raise HarnessError(f"unknown embedded preset '{preset}'",
                               f"use --model default or default:<{'|'.join(PRESETS)}>")
        folder = build_embedded_model(preset, progress=progress)
        return ModelRef(ref, str(folder), f"embedded-{preset}-{_folder_identity(folder)}", "embedded")

    if ref in NAMED_MODELS:
        from harness.models.smollm2 import build_smollm2

        folder = build_smollm2(progress=progress)
        return ModelRef(ref, str(folder), f"{ref}-{_folder_identity(folder)}", "named")

    path = Path(ref).expanduser()
    if path.is_dir():
        path = path.resolve()
        meta = _stage_meta_of_folder(path)
        if meta is not None:  # a stage folder (or its model/): keep the train run's model id
            return _stage_ref(ref, meta, trust_remote_code)
        if (path / "adapter_config.json").exists() and not (path / "config.json").exists():
            base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
            if not base:
                raise HarnessError(f"adapter {path} names no base model",
                                   "set base_model_name_or_path in its adapter_config.json")
            try:
                base_ref = resolve_model(base, trust_remote_code=trust_remote_code, progress=progress)
            except HarnessError as exc:
                raise HarnessError(f"adapter {path} needs its base model '{base}', which cannot be used: "
                                   f"{exc.problem}", f"make the base model available ({exc.fix}), or edit "
                                   f"base_model_name_or_path in {path / 'adapter_config.json'}") from exc
            return ModelRef(ref, base_ref.path, f"adapter-{_folder_identity(path)}", "adapter",
                            adapter_path=str(path), trust_remote_code=trust_remote_code)
        if not (path / "config.json").exists():
            raise HarnessError(f"model folder {path} has no config.json",
                               "point --model at a Hugging Face model folder (config.json + weights)")
        refuse_remote_code(path / "config.json", ref, trust_remote_code)
        return ModelRef(ref, str(path), f"local-{_folder_identity(path)}", "local",
                        trust_remote_code=trust_remote_code)
    if _looks_like_path(ref) or ref.count("/") > 1:
        raise HarnessError(f"model path '{ref}' does not exist",
                           "pass an existing model folder, a cached hub id, or `default`")
    if "/" not in ref:
        trained = resolve_trained(ref, store=store, trust_remote_code=trust_remote_code)
        if trained is not None:
            return trained
    return _resolve_hub(ref, trust_remote_code)


def needs_remote_code(config_file: Path) -> bool:
    """True when loading the model would run Python code shipped with it: its config maps an auto class to
    the repo's own code (`auto_map`) and transformers has no built-in class for its `model_type` (the rule
    transformers itself applies). Read from config.json alone, so nothing of the model is imported."""
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{config_file} is not readable JSON ({type(exc).__name__})",
                           "point --model at a Hugging Face model folder with a valid config.json") from exc
    if not isinstance(config, dict) or not config.get("auto_map"):
        return False
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    return config.get("model_type") not in CONFIG_MAPPING_NAMES


def refuse_remote_code(config_file: Path, ref: str, trust_remote_code: bool) -> None:
    """One line, before any run row or model load, when `ref` needs remote code and the flag is not given."""
    if not trust_remote_code and needs_remote_code(config_file):
        raise HarnessError(f"model '{ref}' needs the Python code shipped with it (config.json `auto_map`), which "
                           "the harness does not run by default",
                           "read that code; if you trust it, pass --trust-remote-code (recorded on the run)")


def _resolve_hub(repo_id: str, trust_remote_code: bool) -> ModelRef:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, "config.json")
    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in {"0", "", "false", "False"}
    if not isinstance(cached, str):
        if offline:
            raise HarnessError(
                f"model '{repo_id}' is neither a local folder nor in the Hugging Face cache (offline mode)",
                f"pass a model this harness trained (a train run id, DOMAIN:STAGE or its stage folder; see "
                f"`harness runs --kind train`), a local folder, or download it first (`hf download {repo_id}`)")
        return ModelRef(repo_id, repo_id, f"hub-{fingerprint(repo_id)}", "hub",
                        trust_remote_code=trust_remote_code)
    refuse_remote_code(Path(cached), repo_id, trust_remote_code)
    snapshot = Path(cached).parent
    return ModelRef(repo_id, repo_id, f"hub-{snapshot.name[:16]}", "hub", trust_remote_code=trust_remote_code)
