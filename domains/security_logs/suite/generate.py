"""Regenerate domains/security_logs/suite/data/*.jsonl from the security_logs domain generator (deterministic).

Usage: python domains/security_logs/suite/generate.py [--check]
--check exits 1 when the committed files differ from what the generator produces now.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.config_io import load_yaml_model
from harness.domains import Domain, Manifest

HERE = Path(__file__).resolve().parent
DOMAIN_DIR = HERE.parent  # the suite lives in its domain folder
SEED = 0
SIZES = {"n_event": 400, "n_attack": 240, "n_ppl": 64, "n_summary": 48}  # fits a CPU demo


def render() -> dict[str, str]:
    """File name -> JSONL content of every suite data file."""
    # Generator defaults only (not the manifest's `generator:` params): the suite must not move when a user
    # resizes the training data.
    domain = Domain(DOMAIN_DIR, load_yaml_model(Manifest, DOMAIN_DIR / "manifest.yaml"))
    items = domain.hooks.eval_items(SEED, **SIZES)
    return {f"{name}.jsonl": "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
            for name, rows in items.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    data_dir = HERE / "data"
    stale = []
    for name, text in render().items():
        path = data_dir / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            data_dir.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10))} items)")
    if stale:
        print(f"stale suite data: {', '.join(stale)}; run python domains/security_logs/suite/generate.py to regenerate")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
