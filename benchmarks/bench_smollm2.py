"""SmolLM2-135M-Instruct through the support_chat demo on this CPU: `harness demo --profile smollm2`, timed.

Prints the machine (CPU, avx512f, load average before and after: the machine may be shared), the seconds of every
phase (model conversion, prep, each training stage, each evaluation), the total beside the 30-minute budget of a
2-core machine and their ratio, and for every stage the paired comparison with the base (primary metric per task:
n, base, stage, delta with its 95% bootstrap CI, Holm-adjusted p, verdict) on the domain and general suites.

    .venv/bin/python benchmarks/bench_smollm2.py                      # the profile as shipped, fresh store
    .venv/bin/python benchmarks/bench_smollm2.py --limit 8 --set cpt.max_steps=4   # a reduced run (say so)

Uses the harness cache (HARNESS_CACHE_DIR), so a converted SmolLM2 folder is reused; `--fresh-stages` retrains.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

BUDGET_S = 30 * 60  # issue 10: CPT -> SFT -> DPO with evals within 30 minutes on a 2-core machine


def machine() -> str:
    cpu, flags = platform.processor() or "?", ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        flags = next(line for line in info.splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}; {os.cpu_count()} logical CPUs; avx512f: {'yes' if ' avx512f' in flags else 'no'}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smollm2")
    parser.add_argument("--limit", type=float, default=None, help="items per eval task (default: the profile's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="extra --set values")
    parser.add_argument("--db", type=Path, default=None, help="store (default: a fresh temporary one)")
    args = parser.parse_args()
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from harness.compare.report import compare_runs, forgetting_text
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.profiles import load_profile
    from harness.store import Store

    profile = load_profile("support_chat", args.profile)
    limit = profile.eval_limit if args.limit is None else (int(args.limit) if args.limit >= 1 else args.limit)
    db = args.db or Path(tempfile.mkdtemp(prefix="bench-smollm2-")) / "bench.duckdb"
    print(f"machine: {machine()}")
    print(f"load average before: {load()}")
    print(f"profile {args.profile}: model {profile.model}, eval limit {limit}, overrides "
          f"{[*profile.overrides, *args.overrides]}, stages {profile.stages or 'all'}", flush=True)
    opts = PipelineOptions(domain="support_chat", base_model=profile.model, eval_limit=limit,
                           overrides=[*profile.overrides, *args.overrides], stages=profile.stages)
    t0 = time.perf_counter()
    result = run_pipeline(opts, db)
    total = time.perf_counter() - t0
    print(f"load average after: {load()}")
    print("\n## seconds per phase")
    for name, seconds in result.seconds.items():
        print(f"  {name:>16}: {seconds:8.1f}")
    print(f"  total {total:.0f} s vs budget {BUDGET_S} s on an idle 2-core machine: ratio {total / BUDGET_S:.2f}")

    store = Store(db, read_only=True)
    base = result.eval_runs["base"]
    print("\n## base vs each stage, primary metric per task (paired; 95% bootstrap CI; Holm-adjusted p)")
    print("| stage | suite | task | metric | n | base | stage | Δ [95% CI] | p adj | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes: list[str] = []
    for stage, run in result.eval_runs.items():
        if stage == "base" or stage in result.own_evals:  # a classifier's own eval shares no items with lm-eval's
            continue
        comp = compare_runs(store, base, run, regression_suites=("general",))
        for r in comp.rows:
            if not r.primary:
                continue
            delta = "—" if r.delta is None else f"{r.delta:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]"
            p_adj = "—" if r.p_adjusted is None else f"{r.p_adjusted:.3g}"
            base_v = "—" if r.baseline is None else f"{r.baseline:.3f}"
            cand_v = "—" if r.candidate is None else f"{r.candidate:.3f}"
            metric = r.metric + ("" if r.higher_is_better else " ↓")
            print(f"| {stage} | {r.suite} | {r.task} | {metric} | {r.n} | {base_v} | {cand_v} | {delta} | {p_adj} "
                  f"| {r.verdict} |")
        notes.extend(f"{stage}: {forgetting_text(f)}" for f in comp.forgetting)
    print("\n" + "\n".join(notes))
    print(f"\nstore: {db}")


if __name__ == "__main__":
    main()
