"""medical domain hooks: generate() feeds the datasets, eval_items() the suite, and per-format adapters turn the
public medical QA formats (PubMedQA, MedQA-USMLE, MedMCQA) into canonical records.

The adapters are plain functions over parsed rows, so a user can also convert a file once
(`python domains/medical/hooks.py pubmedqa ori_pqal.json out.jsonl`) and point a dataset at the result.
Reading the files through the manifest needs no adapter: `columns:` with dotted paths does it (see README).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.domains import module_file


def _module(stem: str):
    """A sibling module, loaded by path once (domain folders are not importable packages)."""
    return module_file(Path(__file__).with_name(f"{stem}.py"))


def _generator():
    return _module("generator")


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset: notes (text), chats (chat), pairs (preference), triage (classification)."""
    return _generator().generate(seed, **params)


def eval_items(seed: int = 0, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items keyed qa / mcq / triage / ppl / reply (never overlapping generate())."""
    return _generator().eval_items(seed, **kwargs)


# ---------------------------------------------------------------- public formats → canonical records

LETTERS = "ABCDE"


def pubmedqa(data: dict[str, dict[str, Any]], *, as_kind: str = "chat") -> list[dict[str, Any]]:
    """PubMedQA `ori_pqal.json` (PMID → QUESTION, CONTEXTS, LONG_ANSWER, final_decision) → chat records in the
    suite's prompt format (the abstract's paragraphs joined), or `text` records (abstract + long answer) for CPT."""
    gen = _generator()
    out = []
    for pmid, row in data.items():
        context = " ".join(row["CONTEXTS"])
        if as_kind == "text":
            out.append({"id": str(pmid), "text": f"{context}\n{row['QUESTION']}\n{row['LONG_ANSWER']}"})
        else:
            out.append({"id": str(pmid), "messages": gen.chat(gen.qa_prompt(row["QUESTION"], context),
                                                              str(row["final_decision"]).strip().lower())})
    return out


def _mc_chat(question: str, options: list[str], gold: int, rid: str) -> dict[str, Any]:
    gen = _generator()
    return {"id": rid, "messages": gen.chat(gen.mcq_prompt(question, options), options[gold])}


def medqa(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MedQA-USMLE JSONL rows (question, options {A..E: text}, answer_idx letter) → chat records."""
    out = []
    for i, row in enumerate(rows):
        keys = sorted(row["options"])
        options = [row["options"][k] for k in keys]
        out.append(_mc_chat(row["question"], options, keys.index(row["answer_idx"]), str(row.get("id", i))))
    return out


def medmcqa(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MedMCQA rows (question, opa..opd, cop as an index: 0-3 in the HF release, 1-4 in the original JSON;
    `cop_base` picks) → chat records."""
    out = []
    for i, row in enumerate(rows):
        options = [row[k] for k in ("opa", "opb", "opc", "opd")]
        cop = int(row["cop"]) - int(row.get("cop_base", 0))
        out.append(_mc_chat(row["question"], options, cop, str(row.get("id", i))))
    return out


ADAPTERS = {"pubmedqa": pubmedqa, "medqa": medqa, "medmcqa": medmcqa}


def convert_file(fmt: str, src: str | Path, dst: str | Path) -> int:
    """Convert a public-format file to canonical JSONL; returns the number of records written."""
    text = Path(src).read_text(encoding="utf-8")
    data = json.loads(text) if fmt == "pubmedqa" or text.lstrip().startswith("[") else \
        [json.loads(line) for line in text.splitlines() if line.strip()]
    records = ADAPTERS[fmt](data)
    with open(dst, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(records)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ADAPTERS:
        sys.exit(f"usage: python hooks.py {{{'|'.join(ADAPTERS)}}} SRC DST.jsonl")
    print(f"wrote {convert_file(*sys.argv[1:])} records to {sys.argv[3]}")
