"""Regenerate domains/legal/suite/data/*.jsonl from the legal domain generator (deterministic).

Usage: python domains/legal/suite/generate.py [--check]
--check exits 1 when the committed files differ from what the generator produces now.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.suite_data import main

SIZES = {"n_clause": 400, "n_nli": 400, "n_extract": 90, "n_ppl": 64, "n_plain": 40}  # fits a CPU demo

if __name__ == "__main__":
    sys.exit(main(Path(__file__).parent, SIZES))
