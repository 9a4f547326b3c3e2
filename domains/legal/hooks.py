"""legal domain hooks: generate() feeds the datasets, eval_items() the suite, read_file() the legal formats
(LegalBench task folders, CUAD / SQuAD-v2 JSON, ContractNLI JSON, LEDGAR JSONL; see formats.py).

`python domains/legal/hooks.py legalbench-task TASK_FOLDER [OUT_DIR] [--zero-shot]` writes a LegalBench task
folder out as an lm-eval task (see legalbench.py), so the same folder is an SFT dataset (`--source
chats=TASK_FOLDER`) and an eval task without hand conversion.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.domains import module_file

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset: docs (text), chats (chat), pairs (preference), clauses (classification)."""
    return _sibling("generator").generate(seed, **params)


def eval_items(seed: int = 0, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items keyed clause / nli / extract / ppl / plain (never overlapping generate())."""
    return _sibling("generator").eval_items(seed, **kwargs)


def parties():
    """Caption-party pseudonymiser keyed by the manifest's PII salt (`cleaning.pii.salt` or its env var)."""
    import yaml

    from harness.cleaning.config import PiiConfig

    manifest = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))
    cfg = PiiConfig(**(manifest.get("cleaning") or {}).get("pii", {}))
    if not cfg.enabled:
        return None
    return _sibling("formats").Parties(cfg.resolved_salt())


def read_file(path: Path, spec: Any = None):
    """Rows of a legal-format file (individual parties in case captions pseudonymised), or None for other files
    (the harness's own readers take those). Called by `harness prep` for every file-backed dataset."""
    gen = _sibling("generator")
    return _sibling("formats").read_file(Path(path), extract_instruction=gen.EXTRACT_INSTRUCTION,
                                         nli_instruction=gen.NLI_INSTRUCTION, not_stated=gen.NOT_STATED,
                                         parties=parties())


def main(argv: list[str]) -> int:
    """`legalbench-task TASK_FOLDER [OUT_DIR] [--zero-shot]`: a bad folder is one line and exit 2."""
    from harness.errors import HarnessError

    zero_shot = "--zero-shot" in argv
    args = [a for a in argv if a != "--zero-shot"]
    if len(args) not in (2, 3) or args[0] != "legalbench-task":
        print("usage: python hooks.py legalbench-task TASK_FOLDER [OUT_DIR] [--zero-shot]", file=sys.stderr)
        return 2
    try:
        out = _sibling("legalbench").write_task(Path(args[1]), Path(args[2]) if len(args) == 3 else None,
                                                zero_shot=zero_shot)
    except HarnessError as exc:
        print(f"error: {exc.problem}. fix: {exc.fix}.", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
