"""legal suite loaders for lm-eval (stdlib + datasets only: lm-eval imports this file by path, from any cwd)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets

DATA_DIR = Path(__file__).resolve().parent / "data"


def _load(name: str) -> datasets.DatasetDict:
    with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def load_facts(**_: Any) -> datasets.DatasetDict:
    return _load("facts")


def load_ppl(**_: Any) -> datasets.DatasetDict:
    return _load("ppl")
