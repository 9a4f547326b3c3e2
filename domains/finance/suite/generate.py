"""Regenerate domains/finance/suite/data/*.jsonl from the finance domain generator (deterministic).

Usage: python domains/finance/suite/generate.py [--check]
--check exits 1 when the committed files differ from what the generator produces now.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.suite_data import main

# 0/1 tasks hold >= 150 items so the gate resolves a few points; sized for a CPU demo.
SIZES = {"n_sentiment": 402, "n_tableqa": 400, "n_ppl": 64, "n_derivation": 60}

if __name__ == "__main__":
    sys.exit(main(Path(__file__).parent, SIZES))
