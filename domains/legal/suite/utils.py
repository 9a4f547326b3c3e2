"""legal suite helpers for lm-eval: data loaders, chat-format prompts, extraction and plain-language metrics.

Self-contained (stdlib + datasets + evaluate): lm-eval imports this file by path, from any cwd.
Prompts are literal strings in the embedded model's chat format, the same format SFT trains on; do not
combine this suite with lm-eval's --apply_chat_template.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import datasets

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
METRICS = HERE / "metrics"
NOT_STATED = ("not stated", "not mentioned", "none", "no answer", "n/a")  # read as "no answer" (SQuAD v2: '')


def chat_prompt(system: str, user: str) -> str:
    return f"<|system|>\n{system}<|end|>\n<|user|>\n{user}<|end|>\n<|assistant|>\n"


def _load(name: str) -> datasets.DatasetDict:
    with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# lm-eval passes the task's metadata as keyword arguments; they do not change the data.
def load_clause(**_: Any) -> datasets.DatasetDict:
    return _load("clause")


def load_nli(**_: Any) -> datasets.DatasetDict:
    return _load("nli")


def load_extract(**_: Any) -> datasets.DatasetDict:
    return _load("extract")


def load_ppl(**_: Any) -> datasets.DatasetDict:
    return _load("ppl")


def load_plain(**_: Any) -> datasets.DatasetDict:
    return _load("plain")


def doc_to_text(doc: dict[str, Any]) -> str:
    return chat_prompt(doc["system"], doc["user"])


@cache
def _metric(name: str):
    import evaluate

    return evaluate.load(str(METRICS / name))


def answer_text(prediction: str) -> str:
    """The model's answer as SQuAD v2 reads it: '' when it says the contract does not state one."""
    text = prediction.strip().strip('"').strip()
    return "" if text.lower().rstrip(".") in NOT_STATED else text


def process_extract(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    scores = _metric("squad_v2").compute(predictions=[answer_text(results[0])],
                                         references=[doc["answers"]["text"]])
    return {"f1": float(scores["f1"]), "exact": float(scores["exact"])}


def process_plain(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    rouge = _metric("rouge_l").compute(predictions=[results[0].strip()], references=[doc["reference"]])["rouge_l"]
    return {"rouge_l": float(rouge)}
