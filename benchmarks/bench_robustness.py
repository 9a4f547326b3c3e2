"""Adversarial training vs the robustness gap: SFT on the domain's chats, plain and augmented with the same
perturbations the perturbed suite uses, then the paired robustness gap (clean − perturbed) of each model.

    .venv/bin/python benchmarks/bench_robustness.py [--model default:micro] [--steps 60] [--limit 200]

Prints, per model, the gap on the intent task (n, 95% CI, paired test) and the difference of the two gaps;
run `uptime` next to it. All evaluations and stages land in a temporary store and the cache."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="default:micro")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--perturb", default="typos,casing,distractor")
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()

    import numpy as np

    from harness.compare.stats import paired_bootstrap_ci, paired_test
    from harness.device import plan_device
    from harness.models.refs import resolve_model
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.prep import prepare_domain
    from harness.robustness.perturb import PerturbationSpec
    from harness.robustness.run import augment_file, parse_kinds, run_robustness
    from harness.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-robust-"))
    db = tmp / "store.duckdb"
    spec = PerturbationSpec(kinds=parse_kinds(args.perturb), seed=0)
    over = ["generator.n_sft=800", f"sft.max_steps={args.steps}", "sft.eval_steps=20"]
    from harness.pipeline import plan_pipeline

    domain, _ = plan_pipeline(PipelineOptions(domain="support_chat", stages=["sft"], overrides=over))
    chats, _ = prepare_domain(domain).paths("chats")
    augmented = tmp / "chats_adv.jsonl"
    augment_file(Path(chats), augmented, PerturbationSpec(kinds=spec.kinds, seed=1), args.fraction)
    store = Store(db)
    gaps = {}
    per_item = {}
    for name, sources in [("plain", []), ("augmented", [f"chats={augmented}"])]:
        result = run_pipeline(PipelineOptions(domain="support_chat", base_model=args.model, stages=["sft"],
                                              sources=sources, overrides=over, evaluate=False, progress=False), db)
        ref = resolve_model(result.models["sft"].path, store=store)
        rob = run_robustness(store, ref, "support_chat", spec, limit=args.limit, device=plan_device("cpu"),
                             tasks=["support_chat_intent"])
        row = next(r for r in rob.rows if r.task == "support_chat_intent" and r.metric == "acc")
        gaps[name] = row
        c = {r["doc_id"]: r["value"] for r in store.query(
            "SELECT doc_id, value FROM eval_samples WHERE run_id = ? AND task = 'support_chat_intent' AND metric ="
            " 'acc'", [rob.clean_run])}
        p = {r["doc_id"]: r["value"] for r in store.query(
            "SELECT doc_id, value FROM eval_samples WHERE run_id = ? AND task LIKE 'support_chat_intent_adv_%' AND"
            " metric = 'acc'", [rob.perturbed_run])}
        per_item[name] = np.array([c[d] - p[d] for d in sorted(c)])
        print(f"{name:9s} intent acc clean {row.clean:.3f} perturbed {row.perturbed:.3f} gap {row.gap:+.3f} "
              f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}] n={row.n} p={row.p_value:.3g} ({row.test})", flush=True)
    a, b = per_item["plain"], per_item["augmented"]
    lo, hi = paired_bootstrap_ci(b, a, rng=0)
    test = paired_test(b, a, rng=0)
    print(f"gap reduction (plain − augmented) {float(np.mean(a - b)):+.3f} [{lo:+.3f}, {hi:+.3f}] n={a.size} "
          f"p={test.p_value:.3g} ({test.test} on per-item gaps)")
    print(json.dumps({k: {"gap": v.gap, "ci": [v.ci_low, v.ci_high], "n": v.n, "p": v.p_value}
                      for k, v in gaps.items()}))


if __name__ == "__main__":
    main()
