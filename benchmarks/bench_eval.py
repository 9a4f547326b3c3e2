"""`harness eval` of all of a domain's suites beside the plain `lm_eval` CLI on the same model and tasks, measured
in one run (issue 13's evaluation row): cold, and again with nothing changed (the stored eval is reused).

    .venv/bin/python benchmarks/bench_eval.py [--domain support_chat] [--model default] [--limit N] [--rounds 1]

Both sides are subprocesses started the same way (imports, model load and task building count on both sides),
with the same model, dtype (float32), device (cpu), batch size (16), tasks (the domain's `suites` + its
`regression_suites`), include paths and --limit. lm_eval also writes its per-sample log (`--log_samples`), as the
harness stores per-item rows. Cold rounds alternate lm_eval / harness so machine load hits both; the ratio is of
medians. Targets: cold <= 1.0x lm_eval; reuse >= 20x faster than lm_eval.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
       "TOKENIZERS_PARALLELISM": "false"}


def timed(cmd: list[str], env: dict[str, str], expect: str | None = None) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=ROOT)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        print(" ".join(cmd), "\n", proc.stdout[-2000:], proc.stderr[-4000:])
        raise SystemExit(f"command failed (exit {proc.returncode})")
    if expect is not None and expect not in proc.stdout:
        raise SystemExit(f"expected {expect!r} in the output of {' '.join(cmd)}:\n{proc.stdout[-2000:]}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="support_chat")
    ap.add_argument("--model", default="default", help="embedded preset or a model folder")
    ap.add_argument("--limit", type=int, default=None, help="items per task (default: all)")
    ap.add_argument("--rounds", type=int, default=1, help="cold rounds per side")
    ap.add_argument("--reuse", type=int, default=3, help="harness runs with nothing changed")
    args = ap.parse_args()

    from harness.domains import load_domain, suite_include_paths
    from harness.models.embedded import PRESETS, build_embedded_model

    domain = load_domain(args.domain)
    suites = [*domain.manifest.suites, *domain.manifest.regression_suites]
    model = str(build_embedded_model(args.model, progress=False)) if args.model in PRESETS else args.model
    tmp = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    limit = [] if args.limit is None else ["--limit", str(args.limit)]
    include = tmp / "include"  # lm_eval's CLI takes one include path: a copy of every suite folder under one root
    for i, path in enumerate(suite_include_paths()):
        shutil.copytree(path, include / str(i), ignore=shutil.ignore_patterns("__pycache__"))
    lm_eval = [str(Path(sys.executable).with_name("lm_eval")), "run", "--model", "hf", "--model_args",
               f"pretrained={model},dtype=float32", "--device", "cpu", "--tasks", ",".join(suites), "--include_path",
               str(include), "--batch_size", "16", "--log_samples", "--output_path",
               str(tmp / "lm_eval_out"), "--seed", "0,1234,1234,1234", *limit]
    harness = [sys.executable, "-m", "harness.cli", "eval", "--model", model, "--device", "cpu",
               *[a for s in suites for a in ("--suite", s)], *limit]
    print(f"{args.domain}: suites {suites}, model {model}, limit {args.limit}; cpus {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    cold_l, cold_h = [], []
    for rnd in range(args.rounds):
        cold_l.append(timed(lm_eval, ENV))
        print(f"  lm_eval cold   {cold_l[-1]:7.1f} s", flush=True)
        cold_h.append(timed([*harness, "--db", str(tmp / f"cold{rnd}.duckdb")], ENV))
        print(f"  harness cold   {cold_h[-1]:7.1f} s", flush=True)
    warm = [timed([*harness, "--db", str(tmp / f"cold{args.rounds - 1}.duckdb")], ENV, expect="(reused)")
            for _ in range(args.reuse)]
    print(f"  harness reuse  {statistics.median(warm):7.1f} s (median of {args.reuse})", flush=True)
    ml, mh, mw = statistics.median(cold_l), statistics.median(cold_h), statistics.median(warm)
    print(f"\n{'what':28s} {'harness s':>10} {'lm_eval s':>10} {'ratio':>7}  target")
    print(f"{'cold (nothing stored)':28s} {mh:10.1f} {ml:10.1f} {mh / ml:7.2f}  <= 1.00x lm_eval")
    print(f"{'nothing changed (reuse)':28s} {mw:10.1f} {ml:10.1f} {ml / mw:7.1f}x faster  >= 20x faster")
    print(f"(n={args.rounds} cold rounds per side, {args.reuse} reuse runs; load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
