"""How often does the shipped gate policy let a real loss through, and block an unchanged model?

Simulates paired item data at the support_chat suites' real sizes (read from the suite definitions), with
chosen true effects and churn, and runs the real compare + gate code (compare_alignment, evaluate_gate)
on it, one rule at a time. For every loss rule of the policy (max_drop, max_forgetting,
max_perplexity_increase) it prints the pass rate at a true loss of 0 (no change), 1x and 2x the rule's
margin; for every significance rule, the pass rate when nothing changed. Targets (issue "Verdicts a
release manager can bet on"): false pass <= 5% at a true loss equal to the margin.

    python benchmarks/bench_gate_power.py [--sims 200] [--policy domains/support_chat/gates.yaml] [--json]

Assumptions (printed with the table): 0/1 items flip between baseline and candidate with probability
`--discordance` (either way, 0.2 by default) on top of the true effect; baseline accuracies are the embedded
model's measured general-suite levels and 0.6 for intent / preference; per-item bits per byte are
log-normal with byte weights, the candidate's relative per-item noise `--relative-sd` (0.1). Monte-Carlo
standard error of a rate p over S simulations: sqrt(p(1-p)/S) (about 1.1 points at p = 0.025, S = 200).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.compare.align import AlignedMetric, Alignment, ResolvedRuns, TaskInfo  # noqa: E402
from harness.compare.report import compare_alignment  # noqa: E402
from harness.evaluation.aggregation import aggregation_for  # noqa: E402
from harness.gate.evaluate import evaluate_gate  # noqa: E402
from harness.gate.policy import (  # noqa: E402
    GatePolicy,
    MaxDropRule,
    MaxForgettingRule,
    MaxPerplexityIncreaseRule,
    MinImprovementRule,
    load_policy,
)

BASE_ACC = {"general_arithmetic": 0.681, "general_dates": 0.897, "general_units": 0.875, "general_facts": 0.938}
DEFAULT_ACC = 0.6
BASE_BPB = 0.4


def binary_pair(rng: np.random.Generator, n: int, p: float, discordance: float, drop: float) -> tuple[np.ndarray,
                                                                                                        np.ndarray]:
    """Paired 0/1 items: P(right->wrong) = (D + drop)/2, P(wrong->right) = (D - drop)/2, with D capped where
    the accuracy leaves too few right (or wrong) items to flip (a 0.94 task cannot churn 20% both ways)."""
    d = max(min(discordance, 2 * p - drop, 2 * (1 - p) + drop), abs(drop) + 1e-9)
    p10, p01 = (d + drop) / 2, (d - drop) / 2
    p11, p00 = p - p10, 1 - p - p01
    if min(p11, p00) < 0:
        raise ValueError(f"infeasible cell probabilities at p={p}, D={d}, drop={drop}")
    cells = rng.choice(4, size=n, p=[p11, p10, p01, p00])
    base = np.isin(cells, (0, 1)).astype(float)
    cand = np.isin(cells, (0, 2)).astype(float)
    return base, cand


def metric(task: str, suite: str, name: str, b: np.ndarray, c: np.ndarray, info: TaskInfo,
           weights: np.ndarray | None = None) -> AlignedMetric:
    items = pd.DataFrame({"doc_hash": [f"{task}-{i}" for i in range(len(b))], "doc_id": np.arange(len(b)),
                          "baseline": b, "candidate": c, "weight": weights if weights is not None else np.nan,
                          "baseline_prediction": None, "candidate_prediction": None, "target": None,
                          "prompt": None})
    return AlignedMetric(suite=suite, task=task, metric=name, higher_is_better=bool(info.higher_is_better),
                         items=items, n_baseline=len(b), n_candidate=len(c),
                         kind=aggregation_for(name, weights is not None), chance=info.chance)


def simulate(policy: GatePolicy, rule, sizes: dict[str, int], infos: dict[str, TaskInfo], members: list[str],
             loss: float, rng: np.random.Generator, args: argparse.Namespace) -> str:
    """One simulated comparison in which `rule`'s target truly loses `loss` (in the rule's own units)."""
    metrics: list[AlignedMetric] = []
    tasks = [rule.task] if getattr(rule, "task", None) else members
    for task in tasks:
        info = infos[task]
        n = sizes[task]
        if info.higher_is_better:
            p = BASE_ACC.get(task, DEFAULT_ACC)
            if isinstance(rule, MaxForgettingRule):
                drop = loss * (p - (info.chance or 0.0))  # a true loss of `loss` of the above-chance skill
            elif isinstance(rule, MaxPerplexityIncreaseRule):
                drop = 0.0
            elif isinstance(rule, MinImprovementRule):
                drop = -loss
            else:
                drop = loss
            b, c = binary_pair(rng, n, p, args.discordance, drop)
            metrics.append(metric(task, info.suite, info.primary_metric or "acc", b, c, info))
        else:
            weights = rng.integers(100, 1500, n).astype(float)
            b = BASE_BPB * rng.lognormal(0, 0.25, n)
            increase = loss if isinstance(rule, MaxPerplexityIncreaseRule) else 0.0
            c = b * (1 + increase) * (1 + rng.normal(0, args.relative_sd, n))
            metrics.append(metric(task, info.suite, info.primary_metric or "bits_per_byte", b, np.abs(c), info,
                                  weights))
    side = ResolvedRuns("sim", "sim", {m.task: "sim" for m in metrics})
    alignment = Alignment(side, ResolvedRuns("sim-c", "sim-c", dict(side.task_runs)), metrics,
                          tasks={t: infos[t] for t in tasks})
    single = policy.model_copy(update={"rules": [rule]})
    comp = compare_alignment(alignment, regression_suites=single.all_regression_suites(),
                             correction=policy.correction, alpha=policy.alpha, n_boot=policy.n_boot,
                             n_perm=args.n_perm, seed=int(rng.integers(1 << 31)))
    return evaluate_gate(single, comp).results[0].outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path, default=ROOT / "domains" / "support_chat" / "gates.yaml")
    parser.add_argument("--sims", type=int, default=200)
    parser.add_argument("--discordance", type=float, default=0.2)
    parser.add_argument("--relative-sd", type=float, default=0.1)
    parser.add_argument("--n-perm", type=int, default=999, help="permutations per significance test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from harness.evaluation.tasks import suite_members
    from harness.gate.plan import rule_tasks, task_stats_from_suites

    policy = load_policy(args.policy)
    stats = task_stats_from_suites(rule_tasks(policy))
    sizes = {t: s.n for t, s in stats.items()}
    from harness.compare.align import task_info

    infos = {t: task_info(t, [], None) for t in sizes}
    rng = np.random.default_rng(args.seed)
    rows = []
    t0 = time.perf_counter()
    for rule in policy.rules:
        if isinstance(rule, MaxDropRule | MaxForgettingRule | MaxPerplexityIncreaseRule):
            margin = {MaxDropRule: "max_drop", MaxForgettingRule: "max_forgetting",
                      MaxPerplexityIncreaseRule: "max_increase"}[type(rule)]
            m = getattr(rule, margin)
            effects = {"no change": 0.0, "loss = 1x margin": m, "loss = 2x margin": 2 * m}
        elif isinstance(rule, MinImprovementRule) and rule.significant:
            effects = {"no change": 0.0}
        else:
            continue
        members = suite_members().get(getattr(rule, "suite", None) or "", [])
        wants_ppl = isinstance(rule, MaxPerplexityIncreaseRule)
        n = sizes.get(rule.task, 0) if getattr(rule, "task", None) else sum(
            sizes.get(t, 0) for t in members if t in infos and bool(infos[t].higher_is_better) != wants_ppl)
        for label, loss in effects.items():
            outcomes = [simulate(policy, rule, sizes, infos, members, loss, rng, args) for _ in range(args.sims)]
            rate = {o: outcomes.count(o) / len(outcomes) for o in ("pass", "fail", "inconclusive")}
            rows.append({"rule": rule.name, "kind": rule.kind, "n": n, "true effect": label,
                         "pass": rate["pass"], "fail": rate["fail"], "inconclusive": rate["inconclusive"],
                         "mc_se": math.sqrt(max(rate["pass"] * (1 - rate["pass"]), 1e-12) / args.sims)})
    seconds = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"policy": str(args.policy), "sims": args.sims, "discordance": args.discordance,
                          "relative_sd": args.relative_sd, "seconds": seconds, "rows": rows}, indent=2))
        return 0
    print(f"policy {args.policy.name}: {args.sims} simulations per row, alpha={policy.alpha}, "
          f"discordance {args.discordance}, relative sd {args.relative_sd}, {seconds:.0f} s")
    print("| rule | n | true effect | PASS | FAIL | INCONCLUSIVE |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['rule']} | {r['n']} | {r['true effect']} | {r['pass']:.1%} ± {r['mc_se']:.1%} | "
              f"{r['fail']:.1%} | {r['inconclusive']:.1%} |")
    bad = [r for r in rows if r["true effect"] == "loss = 1x margin" and r["pass"] > 0.05]
    print("target false pass <= 5% at a loss equal to the margin: " + ("MET" if not bad else
          "NOT MET for " + ", ".join(r["rule"] for r in bad)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
