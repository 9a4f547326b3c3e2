"""`--launcher accelerate --config <accelerate yaml>`: run a training stage (or an lm-eval evaluation) under
`accelerate launch`, with whatever the yaml says (DDP, FSDP, DeepSpeed; examples/accelerate/).

The harness process that launches stays the run's owner: it starts the run row (and holds its liveness
lock), spawns `accelerate launch ... -m harness.distributed.worker <spec.json>`, and records the stage
output the main process wrote back. Inside the launch, only the main process writes to the store (training
curves) and to the stage folder, so the store holds one run with one set of curves, as for one process.

The yaml is checked before any run row is written: accelerate must parse it, the processes it asks for
must exist on this machine (GPUs for MULTI_GPU / FSDP / DeepSpeed, DeepSpeed installed), and a relative
`deepspeed_config_file` is resolved against the yaml's own folder.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.file_checks import require_file

PREFIX_ENV = "HARNESS_LAUNCH_PREFIX"  # e.g. "srun --ntasks-per-node=1" (README: Slurm)
MACHINE_RANK_ENV = "SLURM_NODEID"  # multi-node launches: the node's rank, as srun sets it in each task
GPU_TYPES = {"MULTI_GPU", "FSDP", "DEEPSPEED"}


@dataclass(frozen=True)
class AccelerateLauncher:
    """A checked accelerate config, ready to launch workers."""

    config: Path  # the user's yaml
    resolved: dict[str, Any]  # the yaml as accelerate parsed it, relative paths made absolute

    @property
    def distributed_type(self) -> str:
        return str(self.resolved.get("distributed_type", "NO"))

    @property
    def num_processes(self) -> int:
        return int(self.resolved.get("num_processes") or 1)  # accelerate counts all machines' processes

    def identity(self) -> dict[str, Any]:
        """What changes the trained result (the global batch is per-device batch x processes): part of a stage's
        fingerprint and of an eval's config."""
        return {"launcher": "accelerate", "distributed_type": self.distributed_type,
                "num_processes": self.num_processes, "mixed_precision": self.resolved.get("mixed_precision"),
                "fsdp": self.resolved.get("fsdp_config") or None,
                "deepspeed": self.resolved.get("deepspeed_config") or None}

    def run_worker(self, spec: dict[str, Any], work_dir: Path) -> dict[str, Any]:
        """Launch the worker processes on `spec`, wait, and return what the main process wrote back."""
        work_dir.mkdir(parents=True, exist_ok=True)
        spec_file = work_dir / "launch_spec.json"
        result_file = work_dir / "launch_result.json"
        result_file.unlink(missing_ok=True)
        spec_file.write_text(json.dumps({**spec, "result": str(result_file)}, default=str), encoding="utf-8")
        config_file = work_dir / "accelerate_config.json"
        config_file.write_text(json.dumps(self.resolved), encoding="utf-8")
        launch = [sys.executable, "-m", "accelerate.commands.launch"]
        if int(self.resolved.get("num_machines") or 1) > 1:
            # one `accelerate launch` per node (started by HARNESS_LAUNCH_PREFIX, e.g. srun): each reads its
            # node's rank where it runs
            launch = ["bash", "-c", f'exec {shlex.join(launch)} --machine_rank "${{{MACHINE_RANK_ENV}:-0}}" "$@"', "_"]
        command = [*shlex.split(os.environ.get(PREFIX_ENV, "")), *launch,
                   "--config_file", str(config_file), *self._port_args(), *self._cpu_args(),
                   "-m", "harness.distributed.worker", str(spec_file)]
        env = dict(os.environ)
        if spec.get("device", {}).get("device") == "cpu" or self.resolved.get("use_cpu"):
            env["ACCELERATE_USE_CPU"] = "true"  # every accelerate state in the workers agrees: CPU processes
        done = subprocess.run(command, check=False, env=env)
        if done.returncode != 0 or not result_file.exists():
            raise RuntimeError(f"accelerate launch exited with code {done.returncode} ({' '.join(command)}); "
                               "the processes' output is in the run's log file")
        return json.loads(result_file.read_text(encoding="utf-8"))

    def _cpu_args(self) -> list[str]:
        """accelerate starts MULTI_CPU processes through mpirun only (given a hostfile); on one node without
        one, its torchrun launcher (`--multi_gpu`, with ACCELERATE_USE_CPU) starts them on the gloo backend."""
        if self.distributed_type == "MULTI_CPU" and self.num_processes > 1 and not self.resolved.get("mpirun_config"):
            return ["--multi_gpu"]
        return []

    def _port_args(self) -> list[str]:
        """A free rendezvous port for single-node launches (two jobs on one node must not share 29500)."""
        if int(self.resolved.get("num_machines") or 1) > 1 or self.resolved.get("main_process_port"):
            return []
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return ["--main_process_port", str(sock.getsockname()[1])]


def load_launcher(launcher: str, config: Path | None) -> AccelerateLauncher | None:
    """None for `--launcher none`; else the checked accelerate config (one-line errors for bad input)."""
    if launcher == "none":
        if config is not None:
            raise HarnessError("--config is an accelerate config, used only with --launcher accelerate",
                               "add --launcher accelerate, or drop --config")
        return None
    if launcher != "accelerate":
        raise HarnessError(f"unknown launcher '{launcher}'", "use --launcher none or --launcher accelerate")
    if config is None:
        raise HarnessError("--launcher accelerate needs --config <accelerate yaml>",
                           "pass e.g. --config examples/accelerate/ddp.yaml (see examples/accelerate/)")
    path = Path(config).expanduser()
    require_file(path, "accelerate config", "pass --config with an accelerate yaml, e.g. examples/accelerate/ddp.yaml")
    resolved = parse_config(path)
    check_machine(path, resolved)
    return AccelerateLauncher(path.resolve(), resolved)


def parse_config(path: Path) -> dict[str, Any]:
    """The yaml as accelerate reads it (its own ClusterConfig), with deepspeed_config_file made absolute."""
    from accelerate.commands.config.config_args import load_config_from_file

    try:
        cluster = load_config_from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - accelerate raises TypeError/ValueError/yaml errors on bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HarnessError(f"accelerate cannot read {path}: {first}",
                           "start from a file in examples/accelerate/ or write one with `accelerate config`") from exc
    data = cluster.to_dict()
    data["distributed_type"] = str(getattr(cluster.distributed_type, "value", cluster.distributed_type))
    data["compute_environment"] = str(getattr(cluster.compute_environment, "value", cluster.compute_environment))
    if data.get("mixed_precision") is not None:
        data["mixed_precision"] = str(getattr(cluster.mixed_precision, "value", cluster.mixed_precision))
    ds = dict(data.get("deepspeed_config") or {})
    ds_file = ds.get("deepspeed_config_file")
    if ds_file and not Path(ds_file).is_absolute():
        candidate = (path.parent / ds_file).resolve()
        ds["deepspeed_config_file"] = str(candidate if candidate.exists() else Path(ds_file).resolve())
        data["deepspeed_config"] = ds
    if ds.get("deepspeed_config_file"):
        require_file(Path(ds["deepspeed_config_file"]), "DeepSpeed config", f"fix deepspeed_config_file in {path}")
        try:
            json.loads(Path(ds["deepspeed_config_file"]).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise HarnessError(f"DeepSpeed config {ds['deepspeed_config_file']} is not valid JSON ({exc})",
                               "fix the file (examples/accelerate/deepspeed/ has working ones)") from exc
    return {k: v for k, v in data.items() if v is not None}


def check_machine(path: Path, config: dict[str, Any]) -> None:
    """Refuse, before any run row, a launch this machine cannot do."""
    import importlib.util

    kind = str(config.get("distributed_type"))
    if kind == "DEEPSPEED" and importlib.util.find_spec("deepspeed") is None:
        raise HarnessError(f"{path} uses DeepSpeed, which is not installed", "pip install deepspeed (needs CUDA)")
    if kind in GPU_TYPES and (not config.get("use_cpu") or kind != "MULTI_GPU"):  # FSDP, DeepSpeed: GPUs only
        import torch

        want = int(config.get("num_processes") or 1) // max(1, int(config.get("num_machines") or 1))  # per node
        have = torch.cuda.device_count()
        if have < want:
            raise HarnessError(f"{path} starts {want} GPU processes ({kind}) but this machine has {have} CUDA "
                               "device(s)", "lower num_processes, or use examples/accelerate/cpu_ddp.yaml on CPU")


def work_dir_for(name: str) -> Path:
    """A fresh folder for a launch's spec and result, under the harness cache (which multi-node launches
    need on a file system every node sees)."""
    from harness.paths import cache_dir

    root = cache_dir() / "launch"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
