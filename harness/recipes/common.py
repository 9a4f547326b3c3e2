"""Pieces every recipe shares: config blocks, data loading, trainer arguments, saving a stage folder.

A recipe file (cpt.py, sft.py, dpo.py) reads top to bottom as setup -> train -> save and calls these helpers;
nothing here hides a training loop, the loops are TRL's / transformers' trainers.

Stage folder layout (what `save_stage` writes, `harness_model.json` last so its presence means "complete"):

    <output_dir>/model/             full HF model + tokenizer (LoRA stages: adapters merged in)
    <output_dir>/adapter/           PEFT adapter + tokenizer (LoRA stages only)
    <output_dir>/harness_model.json config, parent model, method, fingerprint of model/, losses
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness import train_checkpoints as checkpoints
from harness.errors import HarnessError
from harness.fingerprint import hash_dir, library_versions

if TYPE_CHECKING:
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, Trainer, TrainerCallback

    from harness.device import DevicePlan
    from harness.store import Store

MODEL_SUBDIR = "model"
ADAPTER_SUBDIR = "adapter"
MANIFEST_NAME = "harness_model.json"
MANIFEST_FORMAT = 1
WORK_SUBDIR = "_trainer"  # TrainingArguments.output_dir; removed after training
STAGE_ENTRIES = {MODEL_SUBDIR, ADAPTER_SUBDIR, MANIFEST_NAME, WORK_SUBDIR}
NO_PERIODIC_EVAL = 10**9  # eval_steps used when only the before/after evaluations are wanted


# -- config blocks ----------------------------------------------------------------------------------------------
class LoraSettings(BaseModel):
    """LoRA adapter shape. On a few-million-param model, LoRA needs a high LR (1e-3..3e-3) or a larger r."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    modules_to_save: list[str] | None = None
    quantize: Literal["none", "nf4", "int8"] = Field(
        "none", description="frozen base in 4-bit NF4 (QLoRA) or 8-bit (bitsandbytes); merged into a full-precision "
        "reload of the base when saved")

    @model_validator(mode="after")
    def _quantize_needs_lora(self) -> LoraSettings:
        if self.quantize != "none" and not self.enabled:
            raise ValueError("quantize needs lora.enabled: true (a quantized base only trains through an adapter)")
        return self

    def peft_config(self, task_type: str = "CAUSAL_LM") -> LoraConfig | None:
        """The PEFT config (None when off); task_type "SEQ_CLS" for reward models and classifiers."""
        if not self.enabled:
            return None
        from peft import LoraConfig

        return LoraConfig(r=self.r, lora_alpha=self.alpha, lora_dropout=self.dropout,
                          target_modules=self.target_modules, modules_to_save=self.modules_to_save,
                          bias="none", task_type=task_type)


class LoraOnSettings(LoraSettings):
    """LoraSettings for recipes that train an adapter by default (SFT, DPO): a partial `lora:` block in YAML
    (say, only `r: 8`) must not silently switch LoRA off."""

    enabled: bool = True


class TrainSettings(BaseModel):
    """Fields every recipe has. Recipe configs extend this with their own fields and defaults."""

    model_config = ConfigDict(extra="forbid")
    max_steps: int = Field(-1, description="optimizer steps; > 0 overrides num_train_epochs")
    num_train_epochs: float = Field(1.0, gt=0)
    per_device_batch_size: int = Field(8, ge=1)
    eval_batch_size: int | None = Field(None, ge=1, description="defaults to per_device_batch_size")
    gradient_accumulation: int = Field(1, ge=1)
    learning_rate: float = Field(1e-4, gt=0)
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    max_length: int = Field(256, ge=8, description="tokens per sequence (the block size when packing)")
    packing: bool = False
    logging_steps: int = Field(5, ge=1)
    eval_steps: int | None = Field(None, ge=1, description="None: evaluate only before and after training")
    max_train_samples: int | None = Field(None, ge=1, description="use the first N training records")
    max_eval_samples: int | None = Field(128, ge=1, description="cap the validation set to keep evals cheap")
    seed: int = 1234
    gradient_checkpointing: bool = False  # TRL defaults to True; it only costs time on small models
    save_steps: int | None = Field(
        None, ge=1, description="write a checkpoint every N optimizer steps; a stage killed mid-training resumes "
        "from its last complete checkpoint when run again with the same config, data and parent (None: no "
        "checkpoints, a killed stage restarts)")
    save_minutes: float | None = Field(
        None, gt=0, description="write a checkpoint whenever this many minutes have passed since the last one "
        "(with or instead of save_steps)")
    early_stopping_patience: int | None = Field(
        None, ge=1, description="stop when validation loss has not improved for N evaluations (needs eval_steps)")
    early_stopping_threshold: float = Field(
        0.0, ge=0, description="a smaller drop in validation loss does not count as an improvement")
    lora: LoraSettings = Field(default_factory=LoraSettings)


# -- outputs ----------------------------------------------------------------------------------------------------
@dataclass
class StageOutput:
    """What a recipe returns; the pipeline records it and hands `model_path` to the next stage / lm-eval."""

    stage: str
    method: Literal["full", "lora"]
    model_path: Path  # full HF folder: AutoModelForCausalLM.from_pretrained(model_path) works
    adapter_path: Path | None  # PEFT adapter folder (LoRA stages), else None
    manifest_path: Path
    fingerprint: str  # hash_dir(model_path)
    train_loss_first: float | None
    train_loss_last: float | None
    eval_loss_first: float | None  # validation loss at the first evaluation (before any update)
    eval_loss_last: float | None  # validation loss at the last evaluation (after training)
    n_params: int
    trainable_params: int
    seconds: float
    global_steps: int = 0
    train_seconds: float | None = None  # Trainer.train() runtime (incl. periodic evals), vs `seconds` = whole stage
    tokens_seen: int | None = None  # non-padding input tokens trained on
    eval_first: dict[str, float] = field(default_factory=dict)  # all eval metrics, first evaluation
    eval_last: dict[str, float] = field(default_factory=dict)  # all eval metrics, last evaluation
    early_stop: dict[str, Any] | None = None  # {step, best_step, best_loss, reason} when early stopping fired

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("model_path", "adapter_path", "manifest_path"):
            data[key] = None if data[key] is None else str(data[key])
        return data


# -- data -------------------------------------------------------------------------------------------------------
def read_jsonl(path: Path, *, what: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Canonical records from a JSONL file, with one-line errors for missing/empty/broken files."""
    path = Path(path)
    if not path.exists():
        raise HarnessError(f"{what} file {path} not found", "run `harness prep` first or check the path")
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{path} line {lineno} is not valid JSON ({exc.msg})",
                                   "regenerate the file with `harness prep`") from exc
            if not isinstance(row, dict):
                raise HarnessError(f"{path} line {lineno} is not a JSON object", "write one object per line")
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    if not rows:
        raise HarnessError(f"{what} file {path} has no records", "check the data prep step produced rows")
    return rows


def records_to_dataset(rows: list[dict[str, Any]], convert: Callable[[dict[str, Any], str], dict[str, Any]],
                       source: str) -> Dataset:
    """In-memory datasets.Dataset holding only the recipe's columns (extra keys such as `meta` are dropped)."""
    from datasets import Dataset

    out = []
    for i, row in enumerate(rows):
        out.append(convert(row, f"{source} record {i + 1}"))
    return Dataset.from_list(out)


def require_str(row: dict[str, Any], key: str, where: str, kind: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HarnessError(f"{where} has no non-empty '{key}' string (a {kind} record needs it)",
                           f"give every record a '{key}' field or fix the dataset's column mapping")
    return value


@contextmanager
def progress_bars(enabled: bool) -> Iterator[None]:
    """Silence datasets' map bars and transformers' load/save bars when the caller asked for no progress."""
    from datasets.utils import logging as ds_logging
    from transformers.utils import logging as tf_logging

    was = (ds_logging.is_progress_bar_enabled(), tf_logging.is_progress_bar_enabled())
    if not enabled:
        ds_logging.disable_progress_bar()
        tf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was[0]:
            ds_logging.enable_progress_bar()
        if was[1]:
            tf_logging.enable_progress_bar()


# -- model ------------------------------------------------------------------------------------------------------
def quantization_config(quantize: str, plan: DevicePlan) -> Any:
    """bitsandbytes settings for a frozen base: NF4 with double quantization (QLoRA), or LLM.int8()."""
    from transformers import BitsAndBytesConfig

    try:
        import bitsandbytes  # noqa: F401
    except ImportError as exc:
        raise HarnessError(f"lora.quantize: {quantize} needs bitsandbytes", "pip install 'bitsandbytes>=0.48'") from exc
    if quantize == "nf4":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                  bnb_4bit_compute_dtype=plan.torch_dtype)
    return BitsAndBytesConfig(load_in_8bit=True)


def load_model_and_tokenizer(model_path: str, *, plan: DevicePlan, lora: bool, trust_remote_code: bool,
                             quantize: str = "none") -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Weights in fp32 for full fine-tuning (optimizer master weights), in the device dtype under LoRA, in 4 or
    8 bits (bitsandbytes; TRL prepares the model for k-bit training) when `quantize` asks for it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = plan.torch_dtype if lora else torch.float32
    extra: dict[str, Any] = {}
    if quantize != "none":
        extra = {"quantization_config": quantization_config(quantize, plan), "device_map": {"": plan.device}}
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype, trust_remote_code=trust_remote_code,
                                                     **extra)
    except (OSError, ValueError) as exc:
        raise HarnessError(f"cannot load model '{model_path}': {str(exc).splitlines()[0]}",
                           "pass a local HF model folder (or a cached hub id); run `harness build` for the "
                           "embedded model") from exc
    if tokenizer.eos_token is None:
        raise HarnessError(f"tokenizer of '{model_path}' has no eos token",
                           "set eos_token in its tokenizer_config.json")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def count_params(model: Any) -> tuple[int, int]:
    """(total, trainable) parameter counts; PEFT models count base + adapter weights."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable


# -- trainer arguments ------------------------------------------------------------------------------------------
def _renamed_arguments(cfg: TrainSettings) -> dict[str, Any]:
    """Arguments transformers 5 renamed: the new names where they exist (the old ones warn or are gone)."""
    from transformers import TrainingArguments

    fields = TrainingArguments.__dataclass_fields__
    out: dict[str, Any] = {}
    if "activation_checkpointing" in fields:
        out["activation_checkpointing"] = cfg.gradient_checkpointing
    else:
        out["gradient_checkpointing"] = cfg.gradient_checkpointing
    if "warmup_ratio" in fields:  # transformers 4.x
        out["warmup_ratio"] = cfg.warmup_ratio
    else:  # transformers 5: a float < 1 is a ratio of total steps
        out["warmup_steps"] = float(cfg.warmup_ratio)
    return out


def trainer_arguments(cfg: TrainSettings, *, work_dir: Path, plan: DevicePlan, progress: bool,
                      has_eval: bool) -> dict[str, Any]:
    """Keyword arguments for TrainingArguments / SFTConfig / DPOConfig, spelled out rather than left to the
    libraries' defaults (TRL's bf16=True and gradient_checkpointing=True are both wrong on a small CPU model)."""
    return {
        "output_dir": str(work_dir),
        "max_steps": cfg.max_steps if cfg.max_steps > 0 else -1,
        "num_train_epochs": cfg.num_train_epochs,
        "per_device_train_batch_size": cfg.per_device_batch_size,
        "per_device_eval_batch_size": cfg.eval_batch_size or cfg.per_device_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation,
        "learning_rate": cfg.learning_rate,
        "lr_scheduler_type": cfg.lr_scheduler,
        "weight_decay": cfg.weight_decay,
        "max_grad_norm": cfg.max_grad_norm,
        "logging_strategy": "steps",
        "logging_steps": cfg.logging_steps,
        "logging_first_step": True,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": cfg.eval_steps or NO_PERIODIC_EVAL,  # transformers also evaluates after the last step
        "eval_on_start": has_eval,  # the "before" point of every validation curve
        # checkpoints only for resuming a killed stage (harness/train_checkpoints.py); the stage itself is
        # saved once, explicitly, at the end
        "save_strategy": "steps" if cfg.save_steps else "no",
        **({"save_steps": cfg.save_steps} if cfg.save_steps else {}),
        "save_total_limit": 2,  # the newest, and the one before it in case the newest was cut short
        "report_to": "none",
        "disable_tqdm": not progress,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        **_renamed_arguments(cfg),
        "include_num_input_tokens_seen": "non_padding",
        "dataloader_num_workers": 0,
        **plan.trainer_flags(),
    }


def stage_callbacks(store: Store | None, run_id: str | None, progress: str | None = None) -> list[TrainerCallback]:
    """Callbacks every recipe attaches: a final-step log point, store logging when a store is given, and one
    rich progress line labelled `progress` (None: no progress display)."""
    from harness.recipes.callbacks import LogLastStepCallback, RichProgressCallback, StoreLoggingCallback

    callbacks: list[TrainerCallback] = [LogLastStepCallback()]
    if progress:
        callbacks.append(RichProgressCallback(progress))
    if store is not None:
        if not run_id:
            raise ValueError("run_id is required when a store is given (start the run first)")
        callbacks.append(StoreLoggingCallback(store, run_id))
    from harness.recipes.callbacks import current_extra_callbacks

    return callbacks + current_extra_callbacks()  # e.g. a sweep's pruner (callbacks.extra_callbacks)


def flush_store_logs(callbacks: list[TrainerCallback]) -> None:
    """Write buffered train_logs rows even when training failed, so a crashed run keeps its curve so far."""
    from harness.recipes.callbacks import StoreLoggingCallback

    for callback in callbacks:
        if isinstance(callback, StoreLoggingCallback):
            try:
                callback.flush()
            except Exception as exc:  # never mask the training error with a logging error
                logging.getLogger(__name__).warning("could not write train logs: %s", exc)


def quiet(trainer: Trainer, progress: bool) -> Trainer:
    """Drop transformers' own printing (tqdm bars with raw log dicts, or the PrinterCallback when tqdm is off):
    the stage's RichProgressCallback shows its key figures and the store keeps every logged value."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer


def loss_summary(log_history: list[dict[str, Any]]) -> dict[str, Any]:
    """First/last train loss and first/last eval metrics from Trainer.state.log_history."""
    train = [h["loss"] for h in log_history if "loss" in h]
    evals = [h for h in log_history if "eval_loss" in h]

    def eval_metrics(entry: dict[str, Any] | None) -> dict[str, float]:
        if entry is None:
            return {}
        return {k.removeprefix("eval_"): float(v) for k, v in entry.items()
                if k.startswith("eval_") and isinstance(v, int | float)
                and not k.endswith(("_runtime", "_per_second"))}

    first, last = (evals[0], evals[-1]) if evals else (None, None)
    summary = next((h for h in reversed(log_history) if "train_runtime" in h), {})
    tokens = max((h.get("num_input_tokens_seen", 0) for h in log_history), default=0)
    return {
        "train_seconds": round(float(summary["train_runtime"]), 3) if "train_runtime" in summary else None,
        "tokens_seen": int(tokens) or None,
        "train_loss_first": float(train[0]) if train else None,
        "train_loss_last": float(train[-1]) if train else None,
        "eval_loss_first": float(first["eval_loss"]) if first else None,
        "eval_loss_last": float(last["eval_loss"]) if last else None,
        "eval_first": eval_metrics(first),
        "eval_last": eval_metrics(last),
    }


# -- running and saving -----------------------------------------------------------------------------------------
def prepare_output_dir(output_dir: Path) -> Path:
    """Start from an empty stage folder, so a half-written earlier attempt never mixes into this one."""
    output_dir = Path(output_dir)
    if output_dir.exists():
        if not output_dir.is_dir():
            raise HarnessError(f"output path {output_dir} is a file", "pass a folder path for the stage output")
        names = {p.name for p in output_dir.iterdir()}
        foreign = sorted(names - STAGE_ENTRIES)
        # never wipe a folder a stage did not write (its manifest or trainer folder marks one that it did)
        if foreign and not names & {MANIFEST_NAME, WORK_SUBDIR}:
            raise HarnessError(f"output folder {output_dir} holds files a stage does not write ({foreign[0]})",
                               "pass an empty or new folder as the stage output")
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    return output_dir


def save_stage(trainer: Trainer, tokenizer: PreTrainedTokenizerBase, *, stage: str, cfg: BaseModel,
               parent_model: str, output_dir: Path, plan: DevicePlan, started: float,
               trainable_params: int, extra: dict[str, Any] | None = None,
               early_stop: dict[str, Any] | None = None, trust_remote_code: bool = False,
               model: Any = None) -> StageOutput:
    """Save adapter (if any) and a full, loadable model; write harness_model.json last. `model`: the trained
    model when the trainer's copy is sharded (gathered_model), else the trainer's own."""
    from peft import PeftModel

    model = model if model is not None else trainer.accelerator.unwrap_model(trainer.model)
    model_dir = output_dir / MODEL_SUBDIR
    adapter_dir: Path | None = None
    if isinstance(model, PeftModel):
        method: Literal["full", "lora"] = "lora"
        adapter_dir = output_dir / ADAPTER_SUBDIR
        model.save_pretrained(adapter_dir)
        tokenizer.save_pretrained(adapter_dir)
        if getattr(getattr(cfg, "lora", None), "quantize", "none") != "none":
            model = merge_into_full_precision(parent_model, adapter_dir, model, trust_remote_code=trust_remote_code)
        else:
            model = model.merge_and_unload()  # the next stage and lm-eval load a plain HF folder
    else:
        method = "full"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)

    n_params, _ = count_params(model)
    summary = loss_summary(trainer.state.log_history)
    output = StageOutput(
        stage=stage, method=method, model_path=model_dir, adapter_path=adapter_dir,
        manifest_path=output_dir / MANIFEST_NAME, fingerprint=hash_dir(model_dir),
        n_params=n_params, trainable_params=trainable_params, seconds=round(time.perf_counter() - started, 3),
        global_steps=int(trainer.state.global_step), early_stop=early_stop, **summary,
    )
    manifest = {
        "format": MANIFEST_FORMAT,
        "stage": stage,
        "method": method,
        "parent_model": parent_model,
        "fingerprint": output.fingerprint,
        "model_dir": MODEL_SUBDIR,
        "adapter_dir": ADAPTER_SUBDIR if adapter_dir else None,
        "config": cfg.model_dump(mode="json"),
        "resolved": extra or {},  # choices the recipe made at run time (e.g. SFT loss mask)
        "device": plan.device,
        "dtype": plan.dtype_name,
        "versions": library_versions(),
        "result": {k: v for k, v in output.to_json().items()
                   if k not in {"model_path", "adapter_path", "manifest_path"}},
    }
    (output_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return output


def merge_into_full_precision(parent_model: str, adapter_dir: Path, trained: Any, *,
                              trust_remote_code: bool = False) -> PreTrainedModel:
    """QLoRA's deliverable: the adapter merged into the base reloaded in full precision (fp32), not into the
    quantized weights it was trained against (merging into 4-bit weights would round the update away)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    del trained  # the quantized copy is not what ships
    base = AutoModelForCausalLM.from_pretrained(parent_model, dtype=torch.float32, trust_remote_code=trust_remote_code)
    return PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()


def cleanup_work_dir(work_dir: Path) -> None:
    shutil.rmtree(work_dir, ignore_errors=True)


def train_and_save(stage: str, setup: Callable[..., tuple[Trainer, dict[str, Any]]], cfg: TrainSettings, *,
                   model_path: str, train_path: Path, validation_path: Path | None, output_dir: Path,
                   store: Store | None, run_id: str | None, device: DevicePlan | None, trust_remote_code: bool,
                   progress: bool) -> StageOutput:
    """The part every recipe shares after its own `setup`: train, flush curves to the store even when
    training crashes, drop the trainer's work folder, save the stage folder."""
    from harness.device import plan_device
    from harness.recipes.lm_head import plain_lm_head_on_cpu

    started = time.perf_counter()
    plan = device or plan_device()
    callbacks = stage_callbacks(store, run_id, progress=stage if progress else None)
    stopper = early_stopping(cfg, has_validation=validation_path is not None)
    if stopper is not None:
        callbacks.append(stopper)
    dist = distributed_state()
    if dist is None or dist.is_main_process:  # under `accelerate launch` only the main process touches the folder
        prepare_output_dir(output_dir)
    if dist is not None:
        dist.wait_for_everyone()
    output_dir = Path(output_dir)
    resumable = bool(cfg.save_steps or cfg.save_minutes)
    # checkpoints live beside the stage folder: a crash sweep removes `<stage>.partial`, never the checkpoints
    work_dir = checkpoints.folder_for(output_dir) if resumable else output_dir / WORK_SUBDIR
    if cfg.save_minutes:
        from harness.recipes.callbacks import SaveEveryMinutes

        callbacks.append(SaveEveryMinutes(cfg.save_minutes))
    resume = checkpoints.latest_complete(work_dir) if resumable else None
    with progress_bars(progress):
        trainer, resolved = setup(cfg, model_path=model_path, train_path=train_path,
                                  validation_path=validation_path, work_dir=work_dir, plan=plan,
                                  callbacks=callbacks, trust_remote_code=trust_remote_code, progress=progress)
        plain_lm_head_on_cpu(trainer)
        _, trainable = count_params(trainer.model)
        finished = False
        try:
            trainer.train(resume_from_checkpoint=None if resume is None else str(resume))
            model = gathered_model(trainer, work_dir, model_path, trust_remote_code) if dist is not None else None
            finished = True
        finally:
            flush_store_logs(callbacks)
            if (dist is None or dist.is_main_process) and (finished or not resumable):
                cleanup_work_dir(work_dir)  # a failed resumable stage keeps its checkpoints for the re-run
        stop = None if stopper is None else stopper.outcome(int(trainer.state.global_step))
        if stop is not None and store is not None and run_id is not None:
            store.add_train_logs([stopper.log_row(run_id, stop)])
        if dist is not None and not dist.is_main_process:
            return None  # type: ignore[return-value]  # the main process saves; see harness/distributed
        return save_stage(trainer, trainer.processing_class, stage=stage, cfg=cfg, parent_model=model_path,
                          output_dir=output_dir, plan=plan, started=started, trainable_params=trainable,
                          extra=resolved or None, early_stop=stop, trust_remote_code=trust_remote_code, model=model)


def distributed_state() -> Any:
    """accelerate's process state when this process is one of several (`accelerate launch`), else None."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    from accelerate import PartialState

    return PartialState()


def gathered_model(trainer: Trainer, work_dir: Path, parent_model: str, trust_remote_code: bool) -> Any:
    """The trained model as one process sees it, on the main process (None elsewhere). Under DDP every process
    holds the full model. Under FSDP / DeepSpeed the parameters are sharded: every process takes part in
    transformers' `Trainer.save_model` (which gathers them: FULL_STATE_DICT, ZeRO-3 16-bit gather), and the
    main process reloads what it wrote (an adapter is put back on its parent) and saves it like one process."""
    if not (getattr(trainer, "is_fsdp_enabled", False) or getattr(trainer, "is_deepspeed_enabled", False)):
        return None
    gathered = work_dir / "gathered"
    trainer.save_model(str(gathered))
    if not trainer.accelerator.is_main_process:
        return None
    import torch
    from transformers import AutoModelForCausalLM

    if (gathered / "adapter_config.json").exists():
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(parent_model, dtype=torch.float32,
                                                    trust_remote_code=trust_remote_code)
        return PeftModel.from_pretrained(base, gathered)
    return AutoModelForCausalLM.from_pretrained(gathered, dtype=torch.float32, trust_remote_code=trust_remote_code)


def early_stopping(cfg: TrainSettings, *, has_validation: bool) -> Any:
    """The early-stopping callback a config asks for (None when `early_stopping_patience` is unset)."""
    from harness.recipes.callbacks import EarlyStopOnValidationLoss

    if cfg.early_stopping_patience is None:
        return None
    if not has_validation or cfg.eval_steps is None:
        raise HarnessError("early_stopping_patience needs a validation set and periodic evaluations",
                           "give the stage's dataset a validation split and set eval_steps")
    return EarlyStopOnValidationLoss(cfg.early_stopping_patience, cfg.early_stopping_threshold)


def read_manifest(output_dir: Path) -> dict[str, Any] | None:
    """The stage's harness_model.json, or None when the stage never completed."""
    path = Path(output_dir) / MANIFEST_NAME
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
