"""legal suite helpers for lm-eval: data loaders, extraction and plain-language metrics.

Self-contained (stdlib + datasets + evaluate): lm-eval imports this file by path, from any cwd.
Prompts hold no chat markup: the task YAML gives the system text (`description`) and the user turn
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
METRICS = HERE / "metrics"
NOT_STATED = ("not stated", "not mentioned", "none", "no answer", "n/a")  # read as "no answer" (SQuAD v2: '')


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


@cache
def _metric(name: str):
    import evaluate

    return evaluate.load(str(METRICS / name))


def answer_text(prediction: str) -> str:
    """The model's answer as SQuAD v2 reads it: '' when it says the contract does not state one."""
    text = prediction.strip().strip('"').strip()
    return "" if text.lower().rstrip(".") in NOT_STATED else text


def process_extract(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """SQuAD v2 F1 / exact over every item, plus `f1_has_answer` / `exact_has_answer` on answerable items only.

    The split is the official script's HasAns_f1 / HasAns_exact (the local module's `has_ans_*` counts): a model
    that answers "not stated" everywhere scores the unanswerable share on `f1` but 0 here. An unanswerable item
    leaves the has-answer keys out rather than scoring them 0 or NaN: lm-eval then averages each metric over
    the items that produced it (`aggregation: mean` stays correct under plain `lm_eval`), and the harness stores
    no per-item row for it, so compare, gate and dashboard count n = the answerable items."""
    scores = _metric("squad_v2").compute(predictions=[answer_text(results[0])],
                                         references=[doc["answers"]["text"]])
    out = {"f1": float(scores["f1"]), "exact": float(scores["exact"])}
    if scores["has_ans_total"]:
        out |= {"f1_has_answer": out["f1"], "exact_has_answer": out["exact"]}
    return out


def process_plain(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    rouge = _metric("rouge_l").compute(predictions=[results[0].strip()], references=[doc["reference"]])["rouge_l"]
    return {"rouge_l": float(rouge)}
