"""Regenerate a domain suite's `data/*.jsonl` from the domain's own generator (`hooks.eval_items`).

One implementation for every domain's `suite/generate.py`, which only names its sizes. Generator defaults
only (not the manifest's `generator:` params): the suite must not move when a user resizes the training data.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SEED = 0


def render(domain_dir: Path, sizes: dict[str, int], seed: int = SEED) -> dict[str, str]:
    """File name -> JSONL content of every suite data file."""
    from harness.config_io import load_yaml_model
    from harness.domains import Domain, Manifest

    domain = Domain(domain_dir, load_yaml_model(Manifest, domain_dir / "manifest.yaml"))
    items = domain.hooks.eval_items(seed, **sizes)
    return {f"{name}.jsonl": "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
            for name, rows in items.items()}


def main(suite_dir: Path, sizes: dict[str, int], argv: list[str] | None = None) -> int:
    """`generate.py [--check]`: write the files, or exit 1 when the committed ones are stale."""
    suite_dir = Path(suite_dir).resolve()
    parser = argparse.ArgumentParser(description=f"Regenerate {suite_dir}/data from the domain generator")
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    data_dir = suite_dir / "data"
    stale = []
    for name, text in render(suite_dir.parent, sizes).items():
        path = data_dir / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            data_dir.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10))} items)")
    if stale:
        print(f"stale suite data: {', '.join(stale)}; run python {suite_dir / 'generate.py'} to regenerate")
        return 1
    return 0
