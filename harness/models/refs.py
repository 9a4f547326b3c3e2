"""Resolve `--model` into something loadable: the embedded default, a local HF folder, a PEFT adapter
folder, or a hub id already in the local HF cache (nothing is downloaded at run time)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.fingerprint import fingerprint, hash_dir

DEFAULT_PREFIX = "default"


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


def resolve_model(ref: str | None, *, trust_remote_code: bool = False, progress: bool = True) -> ModelRef:
    ref = (ref or DEFAULT_PREFIX).strip()
    if ref == DEFAULT_PREFIX or ref.startswith(DEFAULT_PREFIX + ":"):
        from harness.models.embedded import PRESETS, build_embedded_model

        preset = ref.split(":", 1)[1] if ":" in ref else "default"
        if preset not in PRESETS:
            raise HarnessError(f"unknown embedded preset '{preset}'",
                               f"use --model default or default:<{'|'.join(PRESETS)}>")
        folder = build_embedded_model(preset, progress=progress)
        return ModelRef(ref, str(folder), f"embedded-{preset}-{_folder_identity(folder)}", "embedded")

    path = Path(ref).expanduser()
    if path.is_dir():
        path = path.resolve()
        if (path / "adapter_config.json").exists() and not (path / "config.json").exists():
            base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
            if not base:
                raise HarnessError(f"adapter {path} names no base model",
                                   "set base_model_name_or_path in its adapter_config.json")
            base_ref = resolve_model(base, trust_remote_code=trust_remote_code, progress=progress)
            return ModelRef(ref, base_ref.path, f"adapter-{_folder_identity(path)}", "adapter",
                            adapter_path=str(path), trust_remote_code=trust_remote_code)
        if not (path / "config.json").exists():
            raise HarnessError(f"model folder {path} has no config.json",
                               "point --model at a Hugging Face model folder (config.json + weights)")
        return ModelRef(ref, str(path), f"local-{_folder_identity(path)}", "local",
                        trust_remote_code=trust_remote_code)
    if _looks_like_path(ref) or ref.count("/") > 1:
        raise HarnessError(f"model path '{ref}' does not exist",
                           "pass an existing model folder, a cached hub id, or `default`")
    return _resolve_hub(ref, trust_remote_code)


def _resolve_hub(repo_id: str, trust_remote_code: bool) -> ModelRef:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, "config.json")
    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in {"0", "", "false", "False"}
    if not isinstance(cached, str):
        if offline:
            raise HarnessError(
                f"model '{repo_id}' is neither a local folder nor in the Hugging Face cache (offline mode)",
                f"download it first (`hf download {repo_id}`) or pass a local folder with --model")
        return ModelRef(repo_id, repo_id, f"hub-{fingerprint(repo_id)}", "hub",
                        trust_remote_code=trust_remote_code)
    snapshot = Path(cached).parent
    return ModelRef(repo_id, repo_id, f"hub-{snapshot.name[:16]}", "hub", trust_remote_code=trust_remote_code)
