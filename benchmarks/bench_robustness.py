"""Adversarial training vs the robustness gap: a stage trained plain and on data augmented with the same
perturbations the perturbed suite uses (`harness robustness augment`), then each model's paired robustness gap
(clean − perturbed) on the domain's task and the paired test of the two gaps (harness.robustness.gap).

    .venv/bin/python benchmarks/bench_robustness.py [--target head|sft] [--model default:micro] [--steps N]

--target head (default): finance's `sentiment_head` (a classification head, here on the base model) on the
`headlines` dataset, scored by its own evaluation on the clean and perturbed copies of finance_sentiment (the
head reads the `headline` field). It is well above chance on the micro model, so a perturbation has accuracy
to take away. (support_chat's 23-intent head stays at chance on the micro model.)
--target sft: support_chat's `sft` stage on `chats`, scored by lm-eval on support_chat_intent (the generative
micro model is near chance there, so there is no gap to close; kept for a larger model, e.g. --model default).

Both runs use the same cleaning; dedup is off for both because the augmented copies are near-duplicates of their
originals by design (exact dedup normalises case and whitespace, MinHash dedup sees typos as the same text).
Prints per model the gap (n, 95% CI, paired test), then the gap reduction (plain − augmented) with its CI and p,
and the paired change of clean accuracy (a gap that shrinks because clean accuracy fell is no gain); run `uptime`
next to it. Stages and evaluations land in a temporary store and the cache."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

TARGETS = {  # domain, stage, dataset, its size override, task scored, stage config overrides
    "head": ("finance", "sentiment_head", "headlines", "generator.n_headlines", "finance_sentiment",
             ["sentiment_head.learning_rate=3e-3", "generator.n_docs=200", "generator.n_sft=200",
              "generator.n_dpo=100"]),
    "sft": ("support_chat", "sft", "chats", "generator.n_sft", "support_chat_intent", []),
}


def clean_change(store, plain_clean: str, augmented_clean: str, task: str):
    """The two models' clean accuracy, paired item by item (harness.compare on the two eval runs): a gap can also
    shrink because the clean score fell, which is no robustness gain."""
    from harness.compare.report import compare_runs

    return compare_runs(store, plain_clean, augmented_clean, regression_suites=()).row(task, "acc")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=sorted(TARGETS), default="head")
    parser.add_argument("--model", default="default:micro")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--rows", type=int, default=600, help="generated training records")
    parser.add_argument("--limit", type=int, default=400, help="items of the task scored")
    parser.add_argument("--perturb", default="typos,casing,distractor")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of rows that get a perturbed copy")
    args = parser.parse_args()
    t0 = time.perf_counter()

    from harness.device import plan_device
    from harness.pipeline import PipelineOptions, plan_pipeline, run_pipeline
    from harness.prep import prepare_domain
    from harness.robustness.gap import gap_change
    from harness.robustness.perturb import PerturbationSpec
    from harness.robustness.run import augment_file, parse_kinds, run_robustness
    from harness.store import Store

    domain_name, stage, dataset, size_key, task, extra = TARGETS[args.target]
    tmp = Path(tempfile.mkdtemp(prefix="bench-robust-"))
    store = Store(tmp / "store.duckdb")
    spec = PerturbationSpec(kinds=parse_kinds(args.perturb), seed=0)  # the evaluation's perturbations
    over = [f"{size_key}={args.rows}", f"{stage}.max_steps={args.steps}", f"{stage}.eval_steps={args.steps}",
            "cleaning.dedup.exact=false", "cleaning.dedup.near=false", *extra]
    domain, _ = plan_pipeline(PipelineOptions(domain=domain_name, stages=[stage], overrides=over))
    train, _ = prepare_domain(domain).paths(dataset)
    augmented = tmp / f"{dataset}_adv.jsonl"
    # the training copies use another seed than the evaluation: the model never sees the perturbed test items
    augment_file(Path(train), augmented, PerturbationSpec(kinds=spec.kinds, seed=1), args.fraction)
    runs, rows = {}, {}
    # both read a file, so both are split and cleaned the same way (the augmented one has the copies in addition)
    for name, sources in [("plain", [f"{dataset}={train}"]), ("augmented", [f"{dataset}={augmented}"])]:
        result = run_pipeline(PipelineOptions(domain=domain_name, base_model=args.model, stages=[stage],
                                              sources=sources, overrides=over, evaluate=False, progress=False),
                              tmp / "store.duckdb")
        rob = run_robustness(store, result.models[stage], domain_name, spec, limit=args.limit,
                             device=plan_device("cpu"), tasks=[task], domain=domain_name, stage=f"{stage}-{name}")
        row = next(r for r in rob.rows if r.task == task and r.metric == "acc")
        runs[name], rows[name] = (rob.clean_run, rob.perturbed_run), row
        print(f"{name:9s} {task} acc clean {row.clean:.3f} perturbed {row.perturbed:.3f} gap {row.gap:+.3f} "
              f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}] n={row.n} p={row.p_value:.3g} ({row.test})", flush=True)
    change = gap_change(store, runs["plain"], runs["augmented"], task=task, metric="acc")
    print(f"gap reduction (plain − augmented) {change.reduction:+.3f} [{change.ci_low:+.3f}, {change.ci_high:+.3f}] "
          f"n={change.n} p={change.p_value:.3g} ({change.test} on per-item gaps); {time.perf_counter() - t0:.0f} s")
    clean = clean_change(store, runs["plain"][0], runs["augmented"][0], task)
    print(f"clean accuracy augmented − plain {clean.delta:+.3f} [{clean.ci_low:+.3f}, {clean.ci_high:+.3f}] "
          f"n={clean.n} p={clean.p_value:.3g} ({clean.test}): a smaller gap counts only if this did not fall")
    print(json.dumps({"target": args.target, "perturb": args.perturb,
                      **{k: {"clean": v.clean, "perturbed": v.perturbed, "gap": v.gap, "ci": [v.ci_low, v.ci_high],
                             "n": v.n, "p": v.p_value} for k, v in rows.items()},
                      "reduction": {"value": change.reduction, "ci": [change.ci_low, change.ci_high],
                                    "n": change.n, "p": change.p_value, "test": change.test}}))


if __name__ == "__main__":
    main()
