"""One training stage under `accelerate launch` (harness/distributed/launch.py): the spec the workers read,
and the stage output the main process wrote back, as the pipeline expects it from `Method.run`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness.device import DevicePlan
from harness.distributed.launch import AccelerateLauncher
from harness.methods import Method
from harness.recipes.common import StageOutput
from harness.store import Store


def launch_stage(launcher: AccelerateLauncher, method: Method, config: BaseModel, *, model_path: str,
                 train_path: Path, validation_path: Path | None, output_dir: Path, store: Store, run_id: str,
                 device: DevicePlan, trust_remote_code: bool, progress: bool,
                 models: dict[str, str] | None = None) -> StageOutput:
    """Run `method` on every process of the launch; the main process writes curves under `run_id` and the
    stage folder at `output_dir`. `models`: the method's extra models by role (folders)."""
    spec: dict[str, Any] = {
        "kind": "stage", "method": method.name, "config": config.model_dump(mode="json"),
        "model_path": model_path, "train_path": str(train_path),
        "validation_path": None if validation_path is None else str(validation_path),
        "output_dir": str(output_dir), "store": str(store.path.resolve()), "run_id": run_id,
        "device": {"device": device.device, "bf16": device.bf16, "fp16": device.fp16},
        "trust_remote_code": trust_remote_code, "progress": progress, "models": models or {},
    }
    work = Path(str(output_dir) + ".launch")
    try:
        data = launcher.run_worker(spec, work)
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    for key in ("model_path", "adapter_path", "manifest_path"):
        data[key] = None if data.get(key) is None else Path(data[key])
    return StageOutput(**data)
