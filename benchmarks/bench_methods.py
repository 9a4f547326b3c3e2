"""Full fine-tuning vs LoRA vs QLoRA (4-bit NF4) vs 8-bit LoRA on the same support_chat SFT data and budget.

Measures the seeds' claims ("LoRA delivers the same performance as full fine-tuning", "QLoRA maintains
performance"). Every variant is the `sft` method on the same `chats` dataset, from the same base, for the same
number of steps; only `lora.enabled` / `lora.quantize` (and the learning rate each mode needs: full FT 1e-3, the
adapters 4e-3, as domains/support_chat/recipes/sft.yaml documents) differ. Per method it prints trainable
parameters, peak RSS of the training process (one fresh process per method: prep + model load + training),
training tokens/s, and the paired comparison (harness.compare) vs the base and vs full FT on the domain suite
(learning) and the general suite (forgetting).

    .venv/bin/python benchmarks/bench_methods.py                 # micro base, 60 steps, --limit 60 evals
    .venv/bin/python benchmarks/bench_methods.py --base default --steps 120 --limit 200
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
VARIANTS = {  # stage -> its overrides (on top of domains/support_chat/recipes/sft.yaml)
    "full": ["lora.enabled=false", "learning_rate=1e-3"],
    "lora": [],
    "qlora": ["lora.quantize=nf4"],
    "lora8": ["lora.quantize=int8"],
}
GENERATOR = ["generator.n_transcripts=200", "generator.n_sft=600", "generator.n_dpo=100"]


def make_domain(root: Path) -> Path:
    """A copy of support_chat whose stages are the four SFT variants, each from the base."""
    folder = root / "domains" / "support_chat"
    if not folder.exists():
        shutil.copytree(REPO / "domains" / "support_chat", folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    manifest["stages"] = {name: {"method": "sft", "data": "chats", "config": "recipes/sft.yaml", "parent": "base"}
                          for name in VARIANTS}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder


def overrides(steps: int) -> list[str]:
    out = list(GENERATOR)
    for stage, sets in VARIANTS.items():
        out += [f"{stage}.max_steps={steps}", f"{stage}.eval_steps={steps}"] + [f"{stage}.{s}" for s in sets]
    return out


def child(args: argparse.Namespace) -> None:
    """Train one variant (no evaluation) and print its figures as JSON on the last line."""
    from harness.pipeline import PipelineOptions, run_pipeline

    opts = PipelineOptions(domain="support_chat", base_model=args.base, stages=[args.child], evaluate=False,
                           overrides=overrides(args.steps), progress=False)
    result = run_pipeline(opts, args.root / "bench.duckdb")
    manifest = json.loads((Path(result.models[args.child].path).parent / "harness_model.json").read_text())
    res = manifest["result"]
    print(json.dumps({"stage": args.child, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "trainable": res["trainable_params"], "n_params": res["n_params"],
                      "tokens": res["tokens_seen"], "train_s": res["train_seconds"],
                      "eval_loss_first": res["eval_loss_first"], "eval_loss_last": res["eval_loss_last"]}))


def suite_cell(comp, suite: str) -> str:
    row = next((s for s in comp.suites if s.suite == suite), None)
    if row is None or row.delta is None:
        return "—"
    return f"{row.delta:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="default:micro")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--limit", type=int, default=60, help="items per task in the evaluations")
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.root = args.root or Path(tempfile.mkdtemp(prefix="bench-methods-"))
    os.environ.update({"HARNESS_CACHE_DIR": str(args.root / "cache"), "HARNESS_DOMAINS_DIR": str(args.root / "domains"),
                       "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
                       "TOKENIZERS_PARALLELISM": "false", "OMP_WAIT_POLICY": "PASSIVE"})
    if args.child:
        child(args)
        return
    make_domain(args.root)
    print(f"base {args.base}, {args.steps} steps each, eval --limit {args.limit}; cores {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}; folder {args.root}", flush=True)
    figures = {}
    for stage in VARIANTS:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", stage, "--base", args.base, "--steps",
                               str(args.steps), "--root", str(args.root)], capture_output=True, text=True,
                              env=os.environ, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            print(f"{stage}: failed\n{proc.stderr[-3000:]}")
            figures[stage] = None
            continue
        figures[stage] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  trained {stage} in {time.perf_counter() - t0:.0f}s (load {os.getloadavg()[0]:.2f})", flush=True)

    from harness.compare.report import compare_runs
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.store import Store

    done = [s for s, f in figures.items() if f]
    opts = PipelineOptions(domain="support_chat", base_model=args.base, stages=done, overrides=overrides(args.steps),
                           eval_limit=args.limit, progress=False)
    result = run_pipeline(opts, args.root / "bench.duckdb")
    store = Store(args.root / "bench.duckdb", read_only=True)
    runs = result.eval_runs
    header = ("| method | trainable params | peak RSS (MB) | train tokens/s | val loss (before → after) | "
              "support_chat vs base | general vs base | support_chat vs full FT | general vs full FT |")
    print("\n" + header + "\n|" + "---|" * 9)
    for stage in done:
        f = figures[stage]
        vs_base = compare_runs(store, runs["base"], runs[stage], regression_suites=("general",))
        vs_full = compare_runs(store, runs["full"], runs[stage], regression_suites=("general",)) \
            if stage != "full" and "full" in runs else None
        tps = f["tokens"] / f["train_s"] if f["tokens"] and f["train_s"] else float("nan")
        print(f"| {stage} | {f['trainable']:,} of {f['n_params']:,} | {f['peak_rss_mb']:.0f} | {tps:,.0f} | "
              f"{f['eval_loss_first']:.3f} → {f['eval_loss_last']:.3f} | {suite_cell(vs_base, 'support_chat')} | "
              f"{suite_cell(vs_base, 'general')} | "
              f"{suite_cell(vs_full, 'support_chat') if vs_full else '—'} | "
              f"{suite_cell(vs_full, 'general') if vs_full else '—'} |")
    print("\nCells: paired difference of the suite's macro mean (primary metrics), candidate − reference, "
          "[95% bootstrap CI]; positive = better.")


if __name__ == "__main__":
    main()
