"""Which engine lm-eval scores with: `hf` (transformers, in this process or data-parallel over the processes of
an `accelerate launch`) or `vllm` (lm-eval's `vllm` model type, with tensor parallelism).

The harness only picks lm-eval's model type and its arguments; lm-eval runs the engine and returns the same
results dict (aggregates + logged samples) either way, so the runner stores rows identically whatever the
backend. The backend is part of an eval's identity: it is stored in the run's config and an eval is reused
only for the same backend (engines differ in numerics, e.g. vLLM's log-probabilities vs transformers').
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.device import DevicePlan
    from harness.distributed.launch import AccelerateLauncher
    from harness.models.refs import ModelRef

BACKENDS = ("hf", "vllm")


@dataclass(frozen=True)
class EvalBackend:
    """lm-eval's engine for one evaluation."""

    name: str = "hf"
    tensor_parallel: int = 1  # vllm: GPUs one model is split over
    launcher: AccelerateLauncher | None = None  # hf: data parallel over the launch's processes
    gpu_memory_utilization: float = 0.9  # vllm: share of each GPU's memory vLLM may take

    def identity(self) -> dict[str, Any]:
        """What goes into the eval run's config (and the reuse key)."""
        out: dict[str, Any] = {"name": self.name}
        if self.name == "vllm":
            out["tensor_parallel"] = self.tensor_parallel
        if self.launcher is not None:
            out["data_parallel"] = self.launcher.num_processes
        return out

    def model_args(self, model: ModelRef, device: DevicePlan) -> tuple[str, dict[str, Any]]:
        """lm-eval's model type and model_args for `model`."""
        if self.name == "hf":
            # under a multi-GPU launch lm-eval puts each process on its own GPU whatever `device` says
            return "hf", model.lm_eval_args(device.dtype_name, device.device)
        args = {"pretrained": model.path, "dtype": device.dtype_name, "trust_remote_code": model.trust_remote_code,
                "tensor_parallel_size": self.tensor_parallel, "gpu_memory_utilization": self.gpu_memory_utilization}
        if model.adapter_path:
            args.update({"lora_local_path": model.adapter_path, "enable_lora": True})
        return "vllm", args

    def evaluate(self, model: ModelRef, device: DevicePlan, **kwargs: Any) -> dict[str, Any]:
        """lm-eval's results dict (with logged samples). kwargs: simple_evaluate's other arguments."""
        model_type, model_args = self.model_args(model, device)
        if self.launcher is None:
            from lm_eval import simple_evaluate

            from harness.evaluation.runner import task_manager

            manager = task_manager(kwargs.get("tasks"))
            results = simple_evaluate(model=model_type, model_args=model_args, task_manager=manager, **kwargs)
            if results is None:
                raise RuntimeError("lm-eval returned no results")
            return results
        from harness.distributed.launch import work_dir_for

        spec = {"kind": "eval", "simple_evaluate": {"model": model_type, "model_args": model_args, **kwargs}}
        work = work_dir_for("eval")
        try:
            return self.launcher.run_worker(spec, work)
        finally:
            import shutil

            shutil.rmtree(work, ignore_errors=True)


def make_backend(name: str, *, tensor_parallel: int = 1, launcher: AccelerateLauncher | None = None,
                 device: DevicePlan | None = None) -> EvalBackend:
    """Checked backend choice (one-line errors, before any run row)."""
    if name not in BACKENDS:
        raise HarnessError(f"unknown eval backend '{name}'", f"use --backend {' or '.join(BACKENDS)}")
    if tensor_parallel < 1:
        raise HarnessError(f"--tensor-parallel {tensor_parallel} is not a GPU count", "pass an integer >= 1")
    if name == "hf":
        if tensor_parallel != 1:
            raise HarnessError("--tensor-parallel is a vllm option", "add --backend vllm, or drop --tensor-parallel "
                               "(hf runs data parallel with --launcher accelerate)")
        if launcher is not None and launcher.num_processes > 1 and (
                launcher.resolved.get("use_cpu") or launcher.distributed_type == "MULTI_CPU"):
            raise HarnessError("lm-eval's hf model splits an evaluation over GPUs only; on CPU processes each "
                               "would evaluate everything", "drop --launcher/--config on CPU, or use a GPU config")
        return EvalBackend("hf", launcher=launcher)
    if launcher is not None:
        raise HarnessError("--launcher accelerate runs the hf backend data parallel; vllm starts its own workers",
                           "drop --launcher/--config and use --tensor-parallel N with --backend vllm")
    if importlib.util.find_spec("vllm") is None:
        raise HarnessError("--backend vllm needs vLLM, which is not installed",
                           "pip install vllm (Linux with a CUDA GPU), or use --backend hf")
    if device is not None and device.device != "cuda":
        raise HarnessError("--backend vllm runs on CUDA GPUs, and none is visible", "use --backend hf on this machine")
    return EvalBackend("vllm", tensor_parallel=tensor_parallel)
