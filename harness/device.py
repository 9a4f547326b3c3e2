"""Device and precision follow the hardware: fp32 on CPU, bf16 on a GPU that supports it.

TRL's SFTConfig defaults to bf16=True; on a CPU without fast bf16 that made SFT >6x slower than fp32,
so every recipe takes its precision flags from here instead of library defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported when a device is planned, not by every CLI command that imports this
    import torch


@dataclass(frozen=True)
class DevicePlan:
    device: str  # "cuda" | "mps" | "cpu"
    bf16: bool
    fp16: bool

    @property
    def torch_dtype(self) -> torch.dtype:
        import torch

        if self.bf16:
            return torch.bfloat16
        if self.fp16:
            return torch.float16
        return torch.float32

    @property
    def dtype_name(self) -> str:
        return "bfloat16" if self.bf16 else "float16" if self.fp16 else "float32"

    def trainer_flags(self) -> dict[str, bool]:
        """Arguments for transformers/TRL TrainingArguments; use_cpu keeps CPU runs off accelerators."""
        return {"bf16": self.bf16, "fp16": self.fp16, "use_cpu": self.device == "cpu"}


def plan_device(prefer: str = "auto") -> DevicePlan:
    """Pick the device; `prefer` is auto|cpu|cuda."""
    if prefer not in {"auto", "cpu", "cuda"}:
        from harness.errors import HarnessError

        raise HarnessError(f"unknown device '{prefer}'", "use --device auto, cpu or cuda")
    import torch

    if prefer in {"auto", "cuda"} and torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        return DevicePlan("cuda", bf16=bf16, fp16=not bf16)
    if prefer == "cuda":
        from harness.errors import HarnessError

        raise HarnessError("--device cuda asked for but no CUDA device is visible", "use --device auto or cpu")
    return DevicePlan("cpu", bf16=False, fp16=False)
