"""Regenerate domains/medical/suite/data/*.jsonl from the medical domain generator (deterministic).

Usage: python domains/medical/suite/generate.py [--check]
--check exits 1 when the committed files differ from what the generator produces now.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.suite_data import main

SIZES = {"n_qa": 210, "n_mcq": 400, "n_triage": 400, "n_ppl": 64, "n_reply": 40}  # fits a CPU demo

if __name__ == "__main__":
    sys.exit(main(Path(__file__).parent, SIZES))
