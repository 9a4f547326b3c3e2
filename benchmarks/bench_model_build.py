"""Build an embedded preset from scratch (temp cache, force), time each phase, score it on the general suite.

    .venv/bin/python benchmarks/bench_model_build.py [--preset default] [--reference v1|DIR|none] [--limit N]

Prints build wall and CPU seconds, per-phase seconds (corpus, imports, tokenizer, pack, setup, train, save), load
and CPU flags, then every general-suite task with n and 95% CI beside a reference on the same items:
- `--reference v1` (the default): the v1 recipe (`V1_DEFAULT` below, the `default` preset as of issue 13: 3.7M
  params, 700 steps x 16 x 128 tokens), built in the same run, so the build-time ratio and the paired score
  differences (McNemar for accuracy, paired permutation for perplexity; paired bootstrap CIs) come from one
  machine at one load.
  Costs the v1 build (~9 min on an idle 2-core CPU).
- `--reference DIR`: an already built model folder (e.g. one kept with `--cache`), no reference build time.
- `--reference none`: only the recorded v1 figures (`V1_RECORDED`), unpaired.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as harness/cli.py: spinning waits crawl on a shared CPU

# The `default` preset as of issue 13, frozen here so a changed preset is always compared with it (`--reference v1`).
V1_DEFAULT: dict[str, Any] = {
    "vocab_size": 2048, "hidden_size": 256, "num_layers": 4, "num_heads": 4, "num_kv_heads": 2,
    "intermediate_size": 768, "max_seq_len": 512, "block_size": 128, "train_steps": 700, "batch_size": 16,
    "learning_rate": 2e-3, "warmup": 30, "weight_decay": 0.05, "seed": 0, "corpus_docs": 28000,
}
# The v1 default's general suite, all items (lm-eval 0.4.13, torch 2.13 CPU, avx512f machine); 95% CI = ±1.96 SE.
V1_RECORDED = {"general_arithmetic": (0.631, 160), "general_dates": (0.869, 145), "general_units": (0.906, 160),
               "general_facts": (0.944, 160), "general_ppl": (3.738, 80)}
V1_BUILD_SECONDS = "533 s idle (2-core avx512f Xeon); 520 s on the AVX2-only 2-core class (issue 13)"


def cpu_line() -> str:
    name = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    flags = next((ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")), "").split()
    return f"{name}, {os.cpu_count()} cpus, avx512f={'avx512f' in flags}, avx2={'avx2' in flags}"


def timed_build(config: Any, label: str) -> tuple[Path, float]:
    from harness.models.embedded import build_embedded_model, read_model_meta

    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    folder = build_embedded_model(config, force=True, progress=False)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    meta = read_model_meta(folder)
    phases = " ".join(f"{k}={v:.1f}" for k, v in meta.get("phase_seconds", {}).items())
    print(f"{label}: build {wall:.1f} s wall, {cpu:.1f} s CPU (load {load:.2f} -> {os.getloadavg()[0]:.2f}); "
          f"phases (s): {phases}", flush=True)
    print(f"  params={meta['params']:,} train_tokens={meta['train_tokens']:,} "
          f"loss {meta['initial_train_loss']:.3f} -> {meta['final_train_loss']:.3f}", flush=True)
    return folder, wall


def general_samples(folder: Path, limit: int | None) -> dict[str, dict[str, tuple[float, float | None]]]:
    """{task: {item id: (value, weight)}}: acc per multiple-choice item, word perplexity (+ words) per ppl doc."""
    import math

    import lm_eval
    from lm_eval.tasks import TaskManager

    from harness.paths import suites_dir

    logging.disable(logging.WARNING)
    out = lm_eval.simple_evaluate(
        model="hf", model_args={"pretrained": str(folder), "dtype": "float32", "device": "cpu"},
        tasks=["general"], task_manager=TaskManager(include_path=str(suites_dir())), limit=limit,
        batch_size=32, verbosity="ERROR", log_samples=True,
    )
    items: dict[str, dict[str, tuple[float, float | None]]] = {}
    for task, samples in out["samples"].items():
        if task == "general_ppl":
            items[task] = {s["doc"]["id"]: (math.exp(-s["word_perplexity"][0] / s["word_perplexity"][1]),
                                            float(s["word_perplexity"][1])) for s in samples}
        else:
            items[task] = {s["doc"]["id"]: (float(s["acc"]), None) for s in samples}
    return items


def report(new: dict, ref: dict | None) -> None:
    import numpy as np

    from harness.compare.stats import Stratum, paired_bootstrap_means, paired_test, percentile_ci
    from harness.evaluation.aggregation import aggregate, linearized_stderr

    print(f"{'task':20s} {'n':>4s}  {'new':>15s}  {'reference':>15s}  {'new - ref [95% CI]':>26s}  paired p")
    for task in sorted(new):
        ids = sorted(new[task])
        kind = "log_weighted_mean" if task == "general_ppl" else "mean"
        c = np.array([new[task][i][0] for i in ids])
        w = np.array([new[task][i][1] for i in ids]) if kind != "mean" else None
        value, se = aggregate(c, w, kind), linearized_stderr(c, w, kind)
        row = f"{task:20s} {len(ids):4d}  {value:7.3f} ±{1.96 * se:.3f}  "
        if ref is None:
            rec, n = V1_RECORDED.get(task, (float("nan"), 0))
            row += f"{rec:7.3f} (v1, n={n})"
        else:
            b = np.array([ref[task][i][0] for i in ids])
            rv, rse = aggregate(b, w, kind), linearized_stderr(b, w, kind)
            base, cand = paired_bootstrap_means([Stratum(b, c, w, kind)], n_boot=4000, rng=0)
            lo, hi = percentile_ci(cand[:, 0] - base[:, 0])
            test = paired_test(b, c, weights=w, kind=kind)
            row += f"{rv:7.3f} ±{1.96 * rse:.3f}  {value - rv:+8.3f} [{lo:+.3f}, {hi:+.3f}]  {test.p_value:.3f}"
        print(row + ("  (lower is better)" if kind != "mean" else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--reference", default="v1", help="v1 (build the previous default here), a model folder, "
                        "or none (recorded v1 figures)")
    parser.add_argument("--limit", type=int, default=None, help="items per task (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temp cache and print its path")
    parser.add_argument("--cache", type=Path, default=None,
                        help="build into this cache folder and keep it (other benchmarks can then reuse the model)")
    args = parser.parse_args()

    cache = args.cache or Path(tempfile.mkdtemp(prefix="bench-model-build-"))
    args.keep = args.keep or args.cache is not None
    os.environ["HARNESS_CACHE_DIR"] = str(cache)
    from harness.models.embedded import EmbeddedModelConfig, resolve_config

    print(f"machine: {cpu_line()}", flush=True)
    folder, seconds = timed_build(args.preset, f"preset {args.preset}")
    ref_folder, ref_seconds = None, None
    if args.reference == "v1" and resolve_config(args.preset)[1] == EmbeddedModelConfig(**V1_DEFAULT):
        print("the preset is the v1 recipe: no reference build; recorded v1 figures beside it", flush=True)
        args.reference = "none"
    if args.reference == "v1":
        ref_folder, ref_seconds = timed_build(EmbeddedModelConfig(**V1_DEFAULT), "reference v1 default")
        print(f"build time: {seconds:.1f} s vs v1 {ref_seconds:.1f} s in this run = {seconds / ref_seconds:.2f}x",
              flush=True)
    elif args.reference != "none":
        ref_folder = Path(args.reference)
        print(f"reference: {ref_folder} (v1 build time recorded: {V1_BUILD_SECONDS})")
    else:
        print(f"reference build time (recorded, not this run): {V1_BUILD_SECONDS}")

    started = time.perf_counter()
    new = general_samples(folder, args.limit)
    ref = general_samples(ref_folder, args.limit) if ref_folder else None
    print(f"eval_seconds={time.perf_counter() - started:.1f} (general suite, {'both models' if ref else 'one model'})")
    report(new, ref)
    print(f"target: build <= 150 s on an AVX2-only 2-core machine (this one: {cpu_line()}, load "
          f"{os.getloadavg()[0]:.2f}); no general-suite task lower than the v1 default's (paired, same items)")
    if args.keep:
        print(f"model folder: {folder}")
    else:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
