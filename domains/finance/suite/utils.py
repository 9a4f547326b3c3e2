"""finance suite helpers for lm-eval: data loaders, numeric and derivation metrics.

Self-contained (stdlib + datasets + evaluate): lm-eval imports this file by path, from any cwd. The metrics
are local `evaluate` modules under metrics/ (numeric_match: exact match with numeric normalisation;
rouge_l). Prompts hold no chat markup: the task YAML gives the system text (`description`) and the user turn
(`doc_to_text`), and lm-eval renders them with the model's own chat template (`--apply_chat_template`, which the
harness passes for `prompt_format: chat` tasks), the same template SFT trains with.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import datasets

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
METRICS_DIR = HERE / "metrics"


def _load(name: str) -> datasets.DatasetDict:
    with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# lm-eval passes the task's metadata as keyword arguments; they do not change the data.
def load_sentiment(**_: Any) -> datasets.DatasetDict:
    return _load("sentiment")


def load_tableqa(**_: Any) -> datasets.DatasetDict:
    return _load("tableqa")


def load_ppl(**_: Any) -> datasets.DatasetDict:
    return _load("ppl")


def load_derivation(**_: Any) -> datasets.DatasetDict:
    return _load("derivation")


@cache
def _metric(name: str):
    import evaluate

    return evaluate.load(str(METRICS_DIR / name))


def process_tableqa(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """1 when the generated number equals the reference after numeric normalisation (scale, sign, rounding)."""
    out = _metric("numeric_match").compute(predictions=[results[0].strip()], references=[doc["answer"]],
                                           scales=[doc["scale"]])
    return {"exact_match": out["exact_match"]}


def process_derivation(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """ROUGE-L of the written calculation against the reference one, and whether its result is right."""
    prediction = results[0].strip()
    rouge = _metric("rouge_l").compute(predictions=[prediction], references=[doc["derivation"]])["rouge_l"]
    right = _metric("numeric_match").compute(predictions=[prediction], references=[doc["answer"]],
                                             scales=[doc["scale"]])["exact_match"]
    return {"rouge_l": float(rouge), "answer_match": right}
