"""Loaders for the general suite: data/*.jsonl resolved from this file, so any cwd works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets

DATA = Path(__file__).resolve().parent / "data"


def _load(name: str) -> datasets.DatasetDict:
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def load_arithmetic(**_: Any) -> datasets.DatasetDict:
    return _load("arithmetic")


def load_dates(**_: Any) -> datasets.DatasetDict:
    return _load("dates")


def load_units(**_: Any) -> datasets.DatasetDict:
    return _load("units")


def load_facts(**_: Any) -> datasets.DatasetDict:
    return _load("facts")


def load_ppl(**_: Any) -> datasets.DatasetDict:
    return _load("ppl")
