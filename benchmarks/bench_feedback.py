"""The feedback loops on support_chat, measured: RLHF (GRPO and RLOO against a reward model), RLAIF (a judge's
pairwise labels vs the existing ones) and distillation (a narrower student from the SFT'd teacher).

One copy of support_chat (generator sizes cut for a CPU run) gets these stages, all through the normal pipeline:

    sft      SFT on chats (from the base)                       the RL start point and the teacher
    rm       reward model on pairs (from sft)
    grpo     GRPO on the pairs' prompts, models: {reward: rm}    (from sft)
    rloo     RLOO on the same prompts, same reward model         (from sft)
    distil   GKD on chats, models: {teacher: sft}, student = the base preset narrowed to half width
    judge    SFT on judging chats built from the pairs' train split (which reply is better, A or B)
and, in a second pipeline run whose base is the narrow student itself, `student_sft` (plain SFT, same steps).

Printed: (1) RLHF: the held-out reward check of each policy (parent sft vs policy, greedy replies to the same
validation prompts, paired t-test / Wilcoxon) and the paired suite deltas sft → policy on support_chat (the
preference-bearing task) and general; (2) RLAIF: `harness label` with the untrained base as judge and with the
SFT'd judge on the held-out pairs (ties, position bias, Cohen's kappa with bootstrap CI); (3) distillation:
teacher vs GKD student vs SFT student on support_chat and general (paired, harness.compare), with parameters and
greedy generation speed (tokens/s, measured in this process, one after another).

    .venv/bin/python benchmarks/bench_feedback.py                      # micro base, --limit 60 evals
    .venv/bin/python benchmarks/bench_feedback.py --base default --limit 200 --steps 120
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
GENERATOR = ["generator.n_transcripts=200", "generator.n_sft=600", "generator.n_dpo=400"]


def stage_overrides(steps: int, rl_steps: int, rl_lr: float) -> list[str]:
    return [*GENERATOR, f"sft.max_steps={steps}", "sft.eval_steps=1000", "rm.max_steps=40",
            f"grpo.max_steps={rl_steps}", f"rloo.max_steps={rl_steps}", f"distil.max_steps={steps}",
            # 4 prompts x 4 sampled replies per step; at the recipes' default 1e-4 a 20-step run moved nothing
            "grpo.per_device_batch_size=16", "rloo.per_device_batch_size=16", f"grpo.learning_rate={rl_lr}",
            f"rloo.learning_rate={rl_lr}",
            f"judge.max_steps={steps}"]


def judge_chats(pairs_file: Path, out: Path, base: str, seed: int = 0) -> Path:
    """Judging lessons from labelled pairs: the chosen reply is A or B at random, the answer names its letter; the
    texts fitted to the base's window exactly as `harness label` fits them."""
    from transformers import AutoConfig, AutoTokenizer

    from harness.feedback.judge import question
    from harness.models.refs import resolve_model

    path = resolve_model(base, progress=False).path
    tok, window = AutoTokenizer.from_pretrained(path), AutoConfig.from_pretrained(path).max_position_embeddings
    rng = random.Random(seed)
    rows = []
    for line in pairs_file.read_text().splitlines():
        pair = json.loads(line)
        first = rng.random() < 0.5
        a, b = (pair["chosen"], pair["rejected"]) if first else (pair["rejected"], pair["chosen"])
        rows.append({"messages": [{"role": "user", "content": question(tok, pair["prompt"], a, b, window)},
                                  {"role": "assistant", "content": "A" if first else "B"}]})
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


def make_domain(root: Path, base: str, pairs_train: Path | None) -> Path:
    folder = root / "domains" / "support_chat"
    if not folder.exists():
        shutil.copytree(REPO / "domains" / "support_chat", folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    preset = base.split(":", 1)[1] if ":" in base else "default"
    stages = {"sft": {"method": "sft", "data": "chats", "config": "recipes/sft.yaml", "parent": "base"}}
    if pairs_train is not None:
        manifest["datasets"]["prompts"] = {"kind": "prompt_only", "source": "file", "path": str(pairs_train)}
        manifest["datasets"]["judging"] = {"kind": "chat", "source": "file",
                                           "path": str(judge_chats(pairs_train, root / "judging.jsonl", base))}
        (folder / "recipes" / "distil.yaml").write_text(yaml.safe_dump(
            {"learning_rate": 2e-3, "eval_steps": 1000, "student": {"narrow_from": preset, "width": 0.5}}))
        stages |= {
            "rm": {"method": "reward", "data": "pairs", "parent": "sft"},
            "grpo": {"method": "grpo", "data": "prompts", "parent": "sft", "models": {"reward": "rm"}},
            "rloo": {"method": "rloo", "data": "prompts", "parent": "sft", "models": {"reward": "rm"}},
            "distil": {"method": "gkd", "data": "chats", "parent": "base", "config": "recipes/distil.yaml",
                       "models": {"teacher": "sft"}},
            "judge": {"method": "sft", "data": "judging", "config": "recipes/sft.yaml", "parent": "base"},
            "student_sft": {"method": "sft", "data": "chats", "config": "recipes/sft.yaml", "parent": "base"},
        }
    manifest["stages"] = stages
    manifest["cleaning"] = {**manifest.get("cleaning", {}), "dedup": {"exact": True, "near": False}}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder


def gen_speed(model_path: str, prompts: list[str], new_tokens: int = 32, rounds: int = 3) -> float:
    """Greedy generation tokens/s over the prompts (batch 8, first batch a warm-up), best of `rounds`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_path)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()
    texts = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
             for p in prompts]
    batches = [tok(texts[i:i + 8], return_tensors="pt", padding=True, add_special_tokens=False)
               for i in range(0, len(texts), 8)]
    best = 0.0
    for _ in range(rounds):  # a shared machine: the best of a few rounds is the least disturbed one
        made, seconds = 0, 0.0
        for i, enc in enumerate(batches):
            t = time.perf_counter()
            with torch.no_grad():
                out = model.generate(**enc, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id)
            if i:  # the first batch warms up
                seconds += time.perf_counter() - t
                made += (out.shape[1] - enc["input_ids"].shape[1]) * out.shape[0]
        best = max(best, made / seconds if seconds else 0.0)
    return best


def cell(comp, suite: str) -> str:
    row = next((s for s in comp.suites if s.suite == suite), None)
    if row is None or row.delta is None:
        return "—"
    return f"{row.delta:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}] (n={row.n})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="default:micro")
    parser.add_argument("--steps", type=int, default=60, help="SFT, judge, GKD and student-SFT steps")
    parser.add_argument("--rl-steps", type=int, default=20)
    parser.add_argument("--rl-lr", type=float, default=2e-3, help="GRPO / RLOO learning rate (full fine-tuning)")
    parser.add_argument("--limit", type=int, default=60, help="items per task in the evaluations")
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args()
    args.root = args.root or Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    os.environ.update({"HARNESS_CACHE_DIR": os.environ.get("HARNESS_CACHE_DIR", str(args.root / "cache")),
                       "HARNESS_DOMAINS_DIR": str(args.root / "domains"), "HF_HUB_OFFLINE": "1",
                       "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                       "OMP_WAIT_POLICY": "PASSIVE"})
    from transformers import AutoModelForCausalLM

    from harness.compare.report import compare_runs
    from harness.domains import load_domain
    from harness.feedback.judge import label
    from harness.feedback.students import StudentSettings, build_student
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.prep import prepare_domain
    from harness.store import Store

    db = args.root / "bench.duckdb"
    print(f"base {args.base}; SFT/GKD {args.steps} steps, RL {args.rl_steps} steps; eval --limit {args.limit}; "
          f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; folder {args.root}", flush=True)
    t0 = time.perf_counter()
    make_domain(args.root, args.base, None)
    over = stage_overrides(args.steps, args.rl_steps, args.rl_lr)
    from harness.config_io import deep_merge, parse_overrides, validate
    from harness.domains import Domain, Manifest

    domain = load_domain("support_chat")
    manifest_over = parse_overrides(GENERATOR)  # the stages are not in the manifest yet
    domain = Domain(domain.root, validate(Manifest, deep_merge(domain.manifest.model_dump(), manifest_over), "bench"))
    pairs_train, pairs_val = prepare_domain(domain).paths("pairs")
    make_domain(args.root, args.base, pairs_train)

    stages = ["sft", "rm", "grpo", "rloo", "distil", "judge"]
    result = run_pipeline(PipelineOptions(domain="support_chat", base_model=args.base, stages=stages, overrides=over,
                                          eval_limit=args.limit, progress=False), db)
    preset = args.base.split(":", 1)[1] if ":" in args.base else "default"
    student = build_student(StudentSettings(narrow_from=preset, width=0.5), "", progress=False)
    student_run = run_pipeline(PipelineOptions(domain="support_chat", base_model=student, stages=["student_sft"],
                                               overrides=over, eval_limit=args.limit, progress=False), db)
    store = Store(db, read_only=True)
    runs = {**result.eval_runs, "student_sft": student_run.eval_runs["student_sft"],
            "student_base": student_run.eval_runs["base"]}
    print(f"\ntrained and evaluated in {time.perf_counter() - t0:.0f}s (load {os.getloadavg()[0]:.2f})\n")

    print("## RLHF (reward model = stage rm; parent = sft)")
    print("held-out reward = the stored eval task support_chat_held_out_reward (parent and policy paired per prompt "
          "by harness compare, model id vs model id; p = its paired permutation test; Wilcoxon from the check)")
    print("| method | held-out reward: sft → policy (n prompts) | Δ [95% CI] | p (compare / Wilcoxon) | up/down | "
          "verdict | support_chat vs sft | general vs sft |\n|---|---|---|---|---|---|---|---|")
    for name in ("grpo", "rloo"):
        manifest = json.loads((Path(result.models[name].path).parent / "harness_model.json").read_text())
        h = manifest["resolved"]["held_out_reward"]
        held = compare_runs(store, result.models["sft"].model_id, result.models[name].model_id,
                            regression_suites=()).row("support_chat_held_out_reward", "reward")
        comp = compare_runs(store, runs["sft"], runs[name], regression_suites=("general",))
        print(f"| {name} | {held.baseline:.3f} → {held.candidate:.3f} (n={held.n}) | {held.delta:+.3f} "
              f"[{held.ci_low:+.3f}, {held.ci_high:+.3f}] | {held.p_value:.2g} / {h['p_wilcoxon']:.2g} | "
              f"{h['improved']}/{h['worse']} | {held.verdict} | {cell(comp, 'support_chat')} | "
              f"{cell(comp, 'general')} |")

    print("\n## RLAIF (held-out support_chat pairs, each judged in both orders)")
    print("| judge | pairs | ties kept out | position bias | Cohen's kappa [95% CI] (n) | raw agreement | "
          "prompts still over the window |\n|---|---|---|---|---|---|---|")
    for name, ref in (("base (untrained)", args.base), ("judge (SFT on judging chats)", result.models["judge"].path)):
        rep = label(ref, pairs_val, args.root / f"judged-{name.split()[0]}.jsonl", device="cpu", record=True, db=db)
        k = rep.kappa
        kappa = "—" if k["kappa"] is None else (f"{k['kappa']:.3f} [{k['ci95'][0]:.2f}, {k['ci95'][1]:.2f}] "
                                                 f"(n={k['n']})" if k["ci95"] else f"{k['kappa']:.3f} (n={k['n']})")
        agree = "—" if k["agreement"] is None else f"{k['agreement']:.3f}"
        print(f"| {name} | {rep.n_pairs} | {rep.ties} | {rep.position_bias:+.3f} | {kappa} | {agree} | "
              f"{rep.truncated} of {2 * rep.n_pairs} |")

    print("\n## Distillation (teacher = sft; students = the base preset at half width)")
    prompts = [json.loads(line)["prompt"] for line in pairs_val.read_text().splitlines()][:72]
    models = {"teacher (sft)": (result.models["sft"].path, runs["sft"]),
              "student, GKD": (result.models["distil"].path, runs["distil"]),
              "student, plain SFT": (student_run.models["student_sft"].path, runs["student_sft"])}
    print("| model | params | generation tokens/s | support_chat vs teacher | general vs teacher | "
          "support_chat vs SFT student | general vs SFT student |\n|---|---|---|---|---|---|---|")
    for name, (path, run) in models.items():
        n = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(path).parameters())
        speed = gen_speed(path, prompts)
        vs_t = compare_runs(store, runs["sft"], run, regression_suites=("general",)) if run != runs["sft"] else None
        vs_s = compare_runs(store, runs["student_sft"], run, regression_suites=("general",)) \
            if run != runs["student_sft"] else None
        print(f"| {name} | {n:,} | {speed:,.0f} | {cell(vs_t, 'support_chat') if vs_t else '—'} | "
              f"{cell(vs_t, 'general') if vs_t else '—'} | {cell(vs_s, 'support_chat') if vs_s else '—'} | "
              f"{cell(vs_s, 'general') if vs_s else '—'} |")
    print("\nSuite cells: paired difference of the suite's macro mean (primary metrics), row − reference, "
          "[95% bootstrap CI] (n items); positive = better. Generation speed: greedy, batch 8, 32 new tokens, "
          f"best of 3 rounds, measured one model after another in this process (load {os.getloadavg()[0]:.2f}).")


if __name__ == "__main__":
    main()
