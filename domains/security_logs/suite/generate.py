"""Regenerate domains/security_logs/suite/data/*.jsonl from the security_logs domain generator (deterministic).

Usage: python domains/security_logs/suite/generate.py [--check]
--check exits 1 when the committed files differ from what the generator produces now.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.suite_data import main

SIZES = {"n_event": 400, "n_attack": 240, "n_ppl": 64, "n_summary": 48}  # fits a CPU demo

if __name__ == "__main__":
    sys.exit(main(Path(__file__).parent, SIZES))
