"""Regenerate domains/support_chat/suite/data/*.jsonl from the support_chat domain generator (deterministic).

Usage: python domains/support_chat/suite/generate.py [--check]
--check exits 1 when the committed files differ from what the generator produces now.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.suite_data import main

SIZES = {"n_intent": 400, "n_preference": 180, "n_ppl": 64, "n_reply": 48}  # fits a CPU demo

if __name__ == "__main__":
    sys.exit(main(Path(__file__).parent, SIZES))
