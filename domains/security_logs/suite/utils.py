"""security_logs suite helpers for lm-eval: data loaders, the analyst-note metrics.

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
ROUGE_L_PATH = HERE / "metrics" / "rouge_l"


def _load(name: str) -> datasets.DatasetDict:
    with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# lm-eval passes the task's metadata as keyword arguments; they do not change the data.
def load_event(**_: Any) -> datasets.DatasetDict:
    return _load("event")


def load_attack(**_: Any) -> datasets.DatasetDict:
    return _load("attack")


def load_ppl(**_: Any) -> datasets.DatasetDict:
    return _load("ppl")


def load_summary(**_: Any) -> datasets.DatasetDict:
    return _load("summary")


@cache
def _rouge_l():
    import evaluate

    return evaluate.load(str(ROUGE_L_PATH))


def verdict_match(prediction: str, verdict: str) -> float:
    """1 when the note opens with the right verdict (True positive / False positive)."""
    return float(prediction.strip().lower().startswith(verdict.lower()))


def process_summary(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    prediction = results[0].strip()
    rouge = _rouge_l().compute(predictions=[prediction], references=[doc["note"]])["rouge_l"]
    return {"rouge_l": float(rouge), "verdict_match": verdict_match(prediction, doc["verdict"])}
