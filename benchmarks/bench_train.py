"""Training throughput of the harness's CPT / SFT / DPO stages beside a plain PyTorch + PEFT loop doing the same work,
measured in one run (issue 13's first row).

    .venv/bin/python benchmarks/bench_train.py [--stages cpt,sft,dpo] [--steps 30] [--rounds 2] [--trl-defaults]
                                               [--model default|micro|PATH] [--profile N]

Same work on both sides: the domain's stage config (support_chat by default; `--steps` overrides max_steps), the
same parent model, the same batches as the recipe's trainer tokenized them (its train dataset and collator, so
padding is per batch in both), the same LoRA shape or full fine-tuning, fp32 on CPU, AdamW as the same fused kernel
(the Trainer's `adamw_torch_fused`) with the same learning rate, warmup and schedule, gradient clipping;
OMP_WAIT_POLICY=PASSIVE as `harness` sets it. The harness side is the stage as the pipeline runs it: recipe
`setup` + the stage callbacks (store logging into a temporary store, the final-step log point) + `trainer.train()`
including the validation evaluations its config asks for (`eval_on_start`, `eval_steps`); "harness w/o evals" is
the same run less the evaluations' logged wall time (CPU seconds scaled alike). The plain loop trains only;
"plain + same evals" adds, to the same loop, as many validation passes as the harness run made (forward only,
no gradients, over the trainer's own validation set, collator and eval batch size), so `harness` against it is
the ratio on identical work.

Throughput is non-padding tokens per second: both sides train `steps x batch` rows drawn from the same dataset, so
tokens = steps x batch x (mean non-pad tokens per row of that dataset). Wall seconds and CPU seconds (process time)
are both reported; on a shared machine the CPU-second ratio is the steadier one. Rounds alternate harness / plain
so load changes hit both, and the order flips every round (the side run first pays the process's warm-up); the
ratio is of the per-side medians. `--trl-defaults` adds TRL's trainer with its own
defaults (only steps, batch, learning rate, length and LoRA shape set). `--profile N` prints the top N cProfile
entries (by own CPU time) of one harness run per stage.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import math
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as harness/cli.py sets it for every harness command


def machine_line() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    flags = next((ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")), "")
    import torch

    return (f"cpu: {cpu}, {os.cpu_count()} cores, avx512f={'avx512f' in flags.split()}, torch threads "
            f"{torch.get_num_threads()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def timed(fn) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


# -- harness side ---------------------------------------------------------------------------------------------------
def harness_trainer(plan, model_path: str, data, work: Path, store, run_id: str):
    """The recipe's trainer exactly as `train_and_save` builds it (callbacks included)."""
    from harness.device import plan_device
    from harness.recipes.common import stage_callbacks
    from harness.recipes.lm_head import plain_lm_head_on_cpu

    recipe = plan.method.module
    train_path, val_path = data.paths(plan.dataset)
    callbacks = stage_callbacks(store, run_id, progress=None)
    trainer, _ = recipe.setup(plan.config, model_path=model_path, train_path=train_path, validation_path=val_path,
                              work_dir=work, plan=plan_device(), callbacks=callbacks, progress=False)
    if not os.environ.get("BENCH_TRL_HEAD"):  # BENCH_TRL_HEAD=1: measure with TRL's own LM head (before issue 13)
        plain_lm_head_on_cpu(trainer)
    return trainer


def tokens_per_row(dataset, stage_kind: str) -> float:
    """Mean non-padding tokens per training row, as the model sees them (DPO: prompt + chosen + rejected, twice
    the prompt)."""
    if stage_kind == "dpo":
        n = [2 * len(r["prompt_ids"]) + len(r["chosen_ids"]) + len(r["rejected_ids"]) for r in dataset]
    else:
        n = [len(r["input_ids"]) for r in dataset]
    return sum(n) / len(n)


# -- plain side -----------------------------------------------------------------------------------------------------
def plain_setup(plan, model_path: str, trainer):
    """A fresh copy of the model (+ the same LoRA adapter shape), AdamW + the same schedule, the same batches.
    AdamW is the fused kernel, as the Trainer's `adamw_torch_fused` (same betas/eps defaults)."""
    import torch
    from torch.utils.data import DataLoader
    from transformers import AutoModelForCausalLM, get_scheduler

    cfg = plan.config
    torch.manual_seed(cfg.seed)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    peft_cfg = cfg.lora.peft_config()
    if peft_cfg is not None:
        from peft import get_peft_model

        model = get_peft_model(model, peft_cfg)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    optim = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                               {"params": no_decay, "weight_decay": 0.0}], lr=cfg.learning_rate,
                              fused=True)
    steps = cfg.max_steps
    sched = get_scheduler(cfg.lr_scheduler, optim, num_warmup_steps=math.ceil(cfg.warmup_ratio * steps),
                          num_training_steps=steps)
    loader = DataLoader(trainer.train_dataset.remove_columns(
        [c for c in trainer.train_dataset.column_names
         if c in ("messages", "text", "prompt", "completion", "chosen", "rejected")]),
        batch_size=cfg.per_device_batch_size, shuffle=True, collate_fn=trainer.data_collator,
        generator=torch.Generator().manual_seed(cfg.seed))
    return model, optim, sched, loader


def _completion_logps(model, batch):
    """Sum of log-probs of the completion tokens of each row (TRL's preference batch: [chosen; rejected] rows)."""
    import torch

    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    targets = batch["input_ids"][:, 1:]
    logps = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (logps * batch["completion_mask"][:, 1:]).sum(-1)


def plain_step(kind: str, model, batch: dict[str, Any], beta: float):
    import torch
    import torch.nn.functional as F

    if kind != "dpo":
        keep = {k: batch[k] for k in ("input_ids", "attention_mask", "labels", "position_ids") if k in batch}
        return model(**keep).loss
    policy = _completion_logps(model, batch)
    with torch.no_grad(), model.disable_adapter():
        ref = _completion_logps(model, batch)
    chosen, rejected = (policy - ref).chunk(2)
    return -F.logsigmoid(beta * (chosen - rejected)).mean()


def plain_train(kind: str, plan, model, optim, sched, loader) -> int:
    import torch

    cfg = plan.config
    step, it = 0, iter(loader)
    while step < cfg.max_steps:
        try:
            batch = next(it)
        except StopIteration:
            it = iter(loader)
            batch = next(it)
        loss = plain_step(kind, model, batch, getattr(cfg, "beta", 0.1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.max_grad_norm)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        step += 1
    return step


def plain_evals(kind: str, plan, model, trainer, passes: int) -> None:
    """`passes` validation passes as the Trainer makes them: no gradients, its validation rows, its collator and
    eval batch size (the loss only; the harness also logs a few extra fields, part of its cost)."""
    import torch
    from torch.utils.data import DataLoader

    if not passes or trainer.eval_dataset is None:
        return
    dataset = trainer.eval_dataset.remove_columns(
        [c for c in trainer.eval_dataset.column_names
         if c in ("messages", "text", "prompt", "completion", "chosen", "rejected")])
    loader = DataLoader(dataset, batch_size=trainer.args.per_device_eval_batch_size, collate_fn=trainer.data_collator)
    model.eval()
    with torch.no_grad():
        for _ in range(passes):
            for batch in loader:
                plain_step(kind, model, batch, getattr(plan.config, "beta", 0.1))
    model.train()


def time_plain(kind: str, plan, model_path: str, data, trainer_or_work,
               eval_passes: int = 0) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) seconds of the plain loop on the batches of `trainer_or_work` (a harness trainer, or a work
    folder to build one in, untimed, when the plain loop runs first), and of the same loop plus `eval_passes`
    validation passes."""
    trainer = trainer_or_work
    if isinstance(trainer_or_work, Path):
        trainer = harness_trainer(plan, model_path, data, trainer_or_work, None, None)
    model, optim, sched, loader = plain_setup(plan, model_path, trainer)
    wall, cpu, _ = timed(functools.partial(plain_train, kind, plan, model, optim, sched, loader))
    eval_wall, eval_cpu, _ = timed(functools.partial(plain_evals, kind, plan, model, trainer, eval_passes))
    return (wall, cpu), (wall + eval_wall, cpu + eval_cpu)


# -- TRL with its own defaults ----------------------------------------------------------------------------------------
def trl_defaults_trainer(kind: str, plan, model_path: str, train_path: Path, work: Path):
    """TRL's trainer with its defaults; only what defines the work (steps, batch, lr, length, LoRA) is set."""
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    from harness.recipes.common import read_jsonl, records_to_dataset
    from harness.recipes.dpo import pair_converter
    from harness.recipes.sft import _converter

    cfg = plan.config
    common = dict(output_dir=str(work), max_steps=cfg.max_steps, per_device_train_batch_size=cfg.per_device_batch_size,
                  learning_rate=cfg.learning_rate, report_to="none", use_cpu=True, save_strategy="no",
                  disable_tqdm=True, max_length=cfg.max_length)
    rows = read_jsonl(train_path, what="train")
    if kind == "dpo":
        return DPOTrainer(model=model_path, args=DPOConfig(**common), peft_config=cfg.lora.peft_config(),
                          train_dataset=records_to_dataset(rows, pair_converter(True), "train"))
    if kind == "sft":
        return SFTTrainer(model=model_path, args=SFTConfig(**common, assistant_only_loss=True),
                          train_dataset=records_to_dataset(rows, _converter("assistant"), "train"),
                          peft_config=cfg.lora.peft_config())
    return SFTTrainer(model=model_path, args=SFTConfig(**common, packing=True), peft_config=cfg.lora.peft_config(),
                      train_dataset=records_to_dataset(rows, lambda r, w: {"text": r["text"]}, "train"))


# -- main -------------------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="support_chat")
    ap.add_argument("--stages", default="cpt,sft,dpo")
    ap.add_argument("--steps", type=int, default=None,
                    help="optimizer steps per measurement (default: the stage config's max_steps)")
    ap.add_argument("--rounds", type=int, default=2, help="harness/plain alternations per stage")
    ap.add_argument("--model", default="default", help="embedded preset (default, micro) or a model folder")
    ap.add_argument("--trl-defaults", action="store_true", help="also time TRL's trainer with its own defaults")
    ap.add_argument("--profile", type=int, default=0, help="print the top N cProfile entries of a harness run")
    args = ap.parse_args()

    import torch
    from datasets.utils.logging import disable_progress_bar
    from transformers.utils import logging as tf_logging

    from harness.domains import load_domain
    from harness.models.embedded import PRESETS, build_embedded_model
    from harness.pipeline import plan_stage
    from harness.prep import prepare_domain
    from harness.store import Store

    disable_progress_bar()
    tf_logging.disable_progress_bar()
    tf_logging.set_verbosity_error()
    print(machine_line(), flush=True)
    model_path = str(build_embedded_model(args.model, progress=False)) if args.model in PRESETS else args.model
    domain = load_domain(args.domain)
    data = prepare_domain(domain)
    tmp = Path(tempfile.mkdtemp(prefix="bench-train-"))
    store = Store(tmp / "bench.duckdb")
    results = []
    for stage in args.stages.split(","):
        plan = plan_stage(domain, stage, None if args.steps is None else {"max_steps": args.steps})
        steps = plan.config.max_steps
        kind = plan.method.name
        sides: dict[str, list[tuple[float, float]]] = {"harness": [], "harness w/o evals": [], "plain": [],
                                                        "plain + same evals": [], "trl defaults": []}
        per_row, eval_passes = None, 0
        for rnd in range(args.rounds):
            # odd rounds time the plain loop first, so neither side always runs on a freshly warmed process
            if rnd % 2 == 1:
                plain, plain_evals_ = time_plain(kind, plan, model_path, data, tmp / f"{stage}-{rnd}-order",
                                                 eval_passes)
                sides["plain"].append(plain)
                sides["plain + same evals"].append(plain_evals_)
            run_id = store.start_run("train", domain=args.domain, stage=stage, config={"bench": True})
            trainer = harness_trainer(plan, model_path, data, tmp / f"{stage}-{rnd}", store, run_id)
            if per_row is None:
                per_row = tokens_per_row(trainer.train_dataset, kind)
            if args.profile and rnd == 0:
                prof = cProfile.Profile(time.process_time)  # CPU time: preemption on a shared machine is not cost
                wall, cpu, _ = timed(functools.partial(prof.runcall, trainer.train))
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(args.profile)
                print(f"--- cProfile of harness {stage} train() (by own CPU time) ---\n"
                      + "\n".join(buf.getvalue().splitlines()[6:]), flush=True)
            else:
                wall, cpu, _ = timed(trainer.train)
            store.finish_run(run_id)
            sides["harness"].append((wall, cpu))
            # the same run without its validation evaluations (Trainer logs each one's wall time)
            evals = [h["eval_runtime"] for h in trainer.state.log_history if "eval_runtime" in h]
            eval_passes, eval_s = len(evals), sum(evals)
            sides["harness w/o evals"].append((wall - eval_s, cpu * (wall - eval_s) / wall))
            if rnd % 2 == 0:
                plain, plain_evals_ = time_plain(kind, plan, model_path, data, trainer, eval_passes)
                sides["plain"].append(plain)
                sides["plain + same evals"].append(plain_evals_)
            if args.trl_defaults and rnd == 0:
                trl = trl_defaults_trainer(kind, plan, model_path, data.paths(plan.dataset)[0], tmp / f"{stage}-trl")
                wall, cpu, _ = timed(trl.train)
                sides["trl defaults"].append((wall, cpu))
        tokens = steps * plan.config.per_device_batch_size * per_row
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in sides.items()
               if v}
        for side, (wall, cpu) in med.items():
            results.append((stage, side, len(sides[side]), tokens / wall, tokens / cpu,
                            med["plain"][0] / wall, med["plain"][1] / cpu))
        print(f"{stage}: {steps} steps x {plan.config.per_device_batch_size} rows x {per_row:.0f} tokens/row "
              f"(torch threads {torch.get_num_threads()}), load {os.getloadavg()[0]:.2f}; x plain cpu: "
              + ", ".join(f"{side} {med['plain'][1] / cpu:.2f}" for side, (_, cpu) in med.items())
              + f"; harness x (plain + same {eval_passes} evals) cpu: "
              f"{med['plain + same evals'][1] / med['harness'][1]:.2f}", flush=True)
    print(f"\n{'stage':6} {'side':18} {'n':>2} {'tok/s wall':>11} {'tok/cpu-s':>10} {'x plain wall':>13} "
          f"{'x plain cpu':>12}")
    for stage, side, n, tps, tpc, rw, rc in results:
        print(f"{stage:6} {side:18} {n:>2} {tps:>11,.0f} {tpc:>10,.0f} {rw:>13.2f} {rc:>12.2f}")
    print(f"\n{machine_line()}  (target: harness >= 0.80x plain, every stage)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
