"""Throughput of `clean_records` on generated support-chat rows, with and without near-dup detection.

    .venv/bin/python benchmarks/bench_prep.py [--rows 100000] [--kind chat|text] [--seed 0]

Rows are synthetic support conversations (varied intents, products, names, with PII in ~30% of rows,
~4% exact and ~4% near duplicates, ~1% broken rows, and 2,000 eval items of which some leak into the
training rows). Figures are wall-clock on whatever machine runs it: on a shared CPU, treat them as a
lower bound and compare runs made back to back.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cleaning import CleaningConfig, EvalIndex, clean_records, render_report  # noqa: E402

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--kind", choices=["chat", "text"], default="chat")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--report", action="store_true", help="print the cleaning report tables too")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    eval_items = [" ".join(rng.choice(WORDS + ISSUES) for _ in range(rng.randint(15, 40))) for _ in range(2000)]
    rows = make_rows(args.rows, rng, eval_items)
    if args.kind == "text":
        rows = to_text(rows)
    console = Console(width=130)
    console.print(f"{len(rows):,} {args.kind} rows, python {platform.python_version()}, "
                  f"{os.cpu_count()} CPUs visible (shared machine: figures are a lower bound)")
    table = Table(title="clean_records throughput")
    for col in ("config", "rows out", "wall s", "rows/s", "cpu s", "rows/cpu-s", "quality s", "pii s", "dedup s",
                "decontam s"):
        table.add_column(col, justify="left" if col == "config" else "right")
    index = EvalIndex({"bench_suite": eval_items}, n=13)
    for name, cfg in [("exact dedup only", CleaningConfig(dedup={"near": False})),
                      ("exact + near dedup", CleaningConfig())]:
        t, c = time.perf_counter(), time.process_time()
        kept, report = clean_records(rows, args.kind, cfg, eval_texts=index)
        total, cpu = time.perf_counter() - t, time.process_time() - c
        s = report["seconds"]
        table.add_row(name, f"{len(kept):,}", f"{total:.1f}", f"{len(rows) / total:,.0f}", f"{cpu:.1f}",
                      f"{len(rows) / cpu:,.0f}", f"{s['quality']:.1f}", f"{s['pii']:.1f}", f"{s['dedup']:.1f}",
                      f"{s['decontam']:.1f}")
        drops = {k: v for k, v in report["dropped_by_reason"].items() if v}
        console.print(f"{name}: dropped {drops}; PII masked {sum(report['pii_counts_by_type'].values()):,}")
        if args.report:
            for tb in render_report(report, title=name):
                console.print(tb)
    console.print(table)
    console.print(f"load average during the run: {os.getloadavg()[0]:.1f} (per-step columns are wall seconds); "
                  f"target: >= 10,000 rows/s with near-dup on, on 2 cores, for 100k rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
