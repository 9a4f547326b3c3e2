"""Throughput of `clean_records` on generated support-chat rows: worker processes vs one process, same run.

    .venv/bin/python benchmarks/bench_prep.py [--rows 100000] [--processes 2] [--kind chat|text] [--seed 0]
                                              [--no-exact-only] [--check-steps] [--report]

Rows are synthetic support conversations (varied intents, products, names, with PII in ~30% of rows,
~4% exact and ~4% near duplicates, ~1% broken rows, and 2,000 eval items of which some leak into the
training rows). For each config (exact dedup only; exact + near dedup, the target) it runs the harness
(`--processes` workers) and, as references measured in the same run on the same rows, the single-process
path (`processes=1`) and a minimal pass (one e-mail regex scan over every content field), prints rows/s,
rows per CPU-second (parent + workers) and the ratios, and checks that the multi-process output (kept rows
and report, timings aside) is byte for byte the single-process output (exit 1 if not). `--check-steps`
also runs the step functions one after another (`quality_filter`, `mask_records`, `dedup_records`,
`decontaminate`: the pre-pipeline path) and checks the same equality. Wall-clock on a shared CPU varies by
2-3x between runs: read the ratios, and the load average printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cleaning import (  # noqa: E402
    CleaningConfig,
    EvalIndex,
    clean_records,
    decontaminate,
    dedup_records,
    mask_records,
    quality_filter,
    render_report,
)
from harness.cleaning.fields import content_fields, is_well_formed  # noqa: E402

FIRST = ["Maria", "John", "Priya", "Wei", "Fatima", "Carlos", "Emma", "Rahul", "Olivia", "Kenji", "Ngozi", "Liam"]
LAST = ["Lopez", "Smith", "Chen", "Okafor", "Garcia", "Tanaka", "Novak", "Byrne", "Haddad", "Schmidt"]
PRODUCTS = ["router", "credit card", "savings account", "mobile plan", "laptop", "subscription", "smart meter",
            "insurance policy", "loyalty card", "app", "VPN client", "thermostat"]
ISSUES = ["was charged twice", "stopped working after the update", "cannot be activated", "shows an error code",
          "was delivered damaged", "keeps disconnecting", "has the wrong address on file", "was cancelled by mistake",
          "is much slower than advertised", "has a fee I do not recognise", "will not let me log in",
          "sends me duplicate notifications"]
ASKS = ["Can you help me fix this?", "I would like a refund.", "Please escalate this to a manager.",
        "What are my options?", "How long will this take?", "Can someone call me back?"]
ANSWERS = ["I'm sorry about that. I have opened a ticket and our team will follow up within two business days.",
           "Thanks for your patience. I've reversed the duplicate charge; it will show within 3-5 days.",
           "Let's try a reset first: hold the power button for ten seconds, then wait for the light to turn green.",
           "I can see the problem on our side. A replacement has been ordered and will ship tomorrow.",
           "I've escalated this to a supervisor, who will contact you by the end of the day.",
           "Your account has been updated. Is there anything else I can help you with today?"]
WORDS = ("please thanks order account issue since yesterday again still really quickly today week month also "
         "because when after before maybe every time would could should honestly").split()


def pii(rng: random.Random) -> str:
    return rng.choice([
        f" You can reach me at {rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}@example.com.",
        f" My number is +1 (415) 555-{rng.randint(100, 999):04d}.",
        " The card ending 1111 is 4111 1111 1111 1111.",
        f" Account ACC-{rng.randint(0, 10**8 - 1):08d}.",
        f" The device IP is 192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}.",
        " IBAN DE89 3704 0044 0532 0130 00.",
    ])


def make_rows(n: int, rng: random.Random, eval_items: list[str]) -> list[dict]:
    rows: list[dict] = []
    for i in range(n):
        r = rng.random()
        if rows and r < 0.04:  # exact duplicate (modulo case/punctuation)
            src = rng.choice(rows)
            rows.append({"messages": [{**m, "content": m["content"].upper()} for m in src["messages"]]})
            continue
        if rows and r < 0.08:  # near duplicate: one extra word
            src = rng.choice(rows)
            msgs = [dict(m) for m in src["messages"]]
            msgs[-1]["content"] = msgs[-1]["content"] + " " + rng.choice(WORDS)
            rows.append({"messages": msgs})
            continue
        if r < 0.09:
            rows.append({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "ok"}]})
            continue
        filler = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
        user = (f"Hi, I'm {rng.choice(FIRST)} {rng.choice(LAST)}. My {rng.choice(PRODUCTS)} {rng.choice(ISSUES)}, "
                f"{filler}. {rng.choice(ASKS)}")
        if rng.random() < 0.3:
            user += pii(rng)
        if rng.random() < 0.005:
            user += " " + rng.choice(eval_items)  # benchmark leakage
        answer = rng.choice(ANSWERS) + f" (ticket {rng.randint(10**5, 10**6)}, {i})"
        rows.append({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]})
    return rows


def to_text(rows: list[dict]) -> list[dict]:
    return [{"text": "\n".join(m["content"] for m in r["messages"])} for r in rows]


def cpu_seconds() -> float:
    """CPU time of this process plus its finished children (the pool's workers are joined on close)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    t, c = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, time.perf_counter() - t, cpu_seconds() - c


def steps_path(rows, kind, cfg, index):
    """The step functions one after another: what clean_records ran before the pipeline."""
    rows, q = quality_filter(rows, kind, cfg.quality)
    rows, p = mask_records(rows, kind, cfg.pii)
    rows, d = dedup_records(rows, kind, cfg.dedup)
    rows, c = decontaminate(rows, kind, index, cfg.decontam)
    return rows, {"dropped_by_reason": {**q["dropped_by_reason"], "exact_duplicate": d["exact"],
                                        "near_duplicate": d["near"], "contaminated": c["rows_dropped"]},
                  "fixed": q["fixed"], "pii_counts_by_type": p["counts_by_type"], "pii_rows": p["rows_with_pii"],
                  "dedup": {"exact": d["exact"], "near": d["near"], "examples": d["examples"]}, "contamination": c}


_EMAIL_ONLY = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def minimal_pass(rows, kind) -> int:
    """The floor: one regex scan over every content field, nothing else."""
    return sum(len(_EMAIL_ONLY.findall(f)) for r in rows if is_well_formed(r, kind) for f in content_fields(r, kind))


def dump(kept, report, keys=None) -> bytes:
    rep = {k: v for k, v in report.items() if k != "seconds" and (keys is None or k in keys)}
    return json.dumps([kept, rep], ensure_ascii=False).encode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2, help="worker processes of the harness side")
    ap.add_argument("--kind", choices=["chat", "text"], default="chat")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-exact-only", action="store_true", help="skip the exact-dedup-only config")
    ap.add_argument("--check-steps", action="store_true", help="also run and compare the step-by-step path")
    ap.add_argument("--report", action="store_true", help="print the cleaning report tables too")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    eval_items = [" ".join(rng.choice(WORDS + ISSUES) for _ in range(rng.randint(15, 40))) for _ in range(2000)]
    rows = make_rows(args.rows, rng, eval_items)
    if args.kind == "text":
        rows = to_text(rows)
    console = Console(width=150)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?") \
        if os.path.exists("/proc/cpuinfo") else platform.processor()
    avx512 = os.path.exists("/proc/cpuinfo") and " avx512f" in open("/proc/cpuinfo").read()
    console.print(f"{len(rows):,} {args.kind} rows, python {platform.python_version()}, {os.cpu_count()} CPUs "
                  f"visible ({cpu}, avx512f {'yes' if avx512 else 'no'}), load average {os.getloadavg()[0]:.1f}")
    table = Table(title="clean_records throughput (ratios: harness / reference, same rows, same run)")
    for col in ("config", "path", "rows out", "wall s", "rows/s", "cpu s", "rows/cpu-s", "harness/ref rows/s",
                "quality s", "pii s", "dedup s", "decontam s"):
        table.add_column(col, justify="left" if col in ("config", "path") else "right")
    index = EvalIndex({"bench_suite": eval_items}, n=13)
    (_, t_min, c_min) = timed(lambda: minimal_pass(rows, args.kind))
    configs = [("exact + near dedup", CleaningConfig())]
    if not args.no_exact_only:
        configs.insert(0, ("exact dedup only", CleaningConfig(dedup={"near": False})))
    identical = True
    for name, cfg in configs:
        (kept, rep), t_h, c_h = timed(lambda cfg=cfg: clean_records(rows, args.kind, cfg, eval_texts=index,
                                                                    processes=args.processes))
        (kept1, rep1), t_1, c_1 = timed(lambda cfg=cfg: clean_records(rows, args.kind, cfg, eval_texts=index,
                                                                      processes=1))
        same = dump(kept, rep) == dump(kept1, rep1)
        identical &= same
        line = (f"{name}: {args.processes}-process output {'==' if same else '!='} 1-process output "
                f"({len(dump(kept, rep)):,} bytes of JSON: kept rows + report)")
        if args.check_steps:
            (kept_s, rep_s), t_s, c_s = timed(lambda cfg=cfg: steps_path(rows, args.kind, cfg, index))
            same_s = dump(kept_s, rep_s) == dump(kept1, rep1, keys=rep_s.keys())
            identical &= same_s
            line += f"; step-by-step output {'==' if same_s else '!='} pipeline output ({t_s:.1f} s wall)"
        console.print(line)
        drops = {k: v for k, v in rep["dropped_by_reason"].items() if v}
        console.print(f"  dropped {drops}; PII masked {sum(rep['pii_counts_by_type'].values()):,}")
        for path, k, t, c, r in [(f"harness, {args.processes} processes", kept, t_h, c_h, rep),
                                 ("reference: 1 process", kept1, t_1, c_1, rep1)]:
            s = r["seconds"]
            table.add_row(name, path, f"{len(k):,}", f"{t:.1f}", f"{len(rows) / t:,.0f}", f"{c:.1f}",
                          f"{len(rows) / c:,.0f}", f"{t_1 / t_h:.2f}x" if k is kept else "", f"{s['quality']:.1f}",
                          f"{s['pii']:.1f}", f"{s['dedup']:.1f}", f"{s['decontam']:.1f}")
        if args.report:
            for tb in render_report(rep, title=name):
                console.print(tb)
    table.add_row("-", "reference: minimal pass (1 regex)", "", f"{t_min:.1f}", f"{len(rows) / t_min:,.0f}",
                  f"{c_min:.1f}", f"{len(rows) / c_min:,.0f}", "", "", "", "", "")
    console.print(table)
    console.print(f"load average after the run: {os.getloadavg()[0]:.1f} (step columns: seconds summed over "
                  f"processes); target: >= 10,000 rows/s with near-dup on, on 2 cores, for 100k rows, output "
                  f"identical to the single-process path: {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
