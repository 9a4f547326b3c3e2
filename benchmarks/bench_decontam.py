"""Wall-clock of eval decontamination (13-gram index) at volume; moved here from the test suite, where a
time limit failed on busy machines (issue 14).

    .venv/bin/python benchmarks/bench_decontam.py [--rows 10000] [--eval-items 2000] [--repeat 3]

Rows are 60 random words from the test's 48-word vocabulary, eval items 30 words; figures are wall-clock on whatever
machine runs it (best of --repeat), so compare runs made back to back on one machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cleaning import DecontamConfig, decontaminate  # noqa: E402

# the vocabulary of tests/test_dedup_decontam.py: small, so many 13-grams are shared (the hard case)
VOCAB = ("refund order account password reset delivery late card charged twice please help thanks support agent "
         "ticket issue login error crash update billing address change invoice plan upgrade cancel device app "
         "screen email phone verify code store branch manager week month yesterday today").split()


def para(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--eval-items", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(3)
    evals = {"suite": [para(rng, 30) for _ in range(args.eval_items)]}
    recs = [{"text": para(rng, 60)} for _ in range(args.rows)]
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        kept, report = decontaminate(recs, "text", evals, DecontamConfig())
        best = min(best, time.perf_counter() - t)
    print(f"decontaminate: {args.rows} rows x {args.eval_items} eval items: best of {args.repeat} = {best:.2f} s "
          f"({args.rows / best:,.0f} rows/s), dropped {report['rows_dropped']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
