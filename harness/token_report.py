"""Token statistics for prepared data, with the tokenizer of the model that will train on it: length
histogram, truncation, and how much of each batch is padding with and without packing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.cleaning.packing_stats import length_histogram, padding_stats
from harness.prep import PreparedData, read_jsonl


def _texts(record: dict[str, Any], tokenizer: Any) -> str:
    if "messages" in record:
        if getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template(record["messages"], tokenize=False)
        return "\n".join(f"{m['role']}: {m['content']}" for m in record["messages"])
    if "chosen" in record:  # a DPO row trains prompt+chosen and prompt+rejected; the longer one bounds it
        return max(record["prompt"] + record["chosen"], record["prompt"] + record["rejected"], key=len)
    if "prompt" in record:
        return record["prompt"] + record.get("completion", "")
    return record.get("text", "")


def token_stats(path: Path, tokenizer: Any, max_length: int, batch_size: int = 8) -> dict[str, Any]:
    records = read_jsonl(path)
    encoded = tokenizer([_texts(r, tokenizer) for r in records], add_special_tokens=True)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    return {"max_length": max_length, "n_rows": len(lengths),
            "mean_tokens": round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
            "max_tokens": max(lengths, default=0), "histogram": length_histogram(lengths, 10, max_length),
            "padding": padding_stats(lengths, max_length, batch_size=batch_size)}


def add_token_reports(prepared: PreparedData, tokenizer_path: str, max_lengths: dict[str, int],
                      trust_remote_code: bool = False) -> None:
    """Attach `tokens` (train split) to each dataset's report, in place; `max_lengths` is keyed by dataset (the
    longest max_length of the stages reading it)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path, trust_remote_code=trust_remote_code)
    for name, data in prepared.datasets.items():
        prepared.report.setdefault(name, {})["tokens"] = token_stats(data.train, tokenizer,
                                                                     max_lengths.get(name, 256))


def token_table(prepared: PreparedData):
    from rich.table import Table

    table = Table("dataset", "rows", "mean / max tokens", "max_length", "truncated rows",
                  "padding: pad-to-max", "pad-to-longest (batch 8)", "packed", title="tokens (train split)",
                  title_justify="left")
    for stage, rep in prepared.report.items():
        tok = rep.get("tokens")
        if not tok:
            continue
        pad = tok["padding"]
        table.add_row(stage, str(tok["n_rows"]), f"{tok['mean_tokens']} / {tok['max_tokens']}", str(tok["max_length"]),
                      str(pad["truncated_rows"]), f"{pad['pad_to_max']['padding_fraction']:.1%}",
                      f"{pad['pad_to_longest']['padding_fraction']:.1%}",
                      f"{pad['packed']['padding_fraction']:.1%} ({pad['packed']['blocks']} blocks)")
    return table


def histogram_table(prepared: PreparedData):
    from rich.table import Table

    table = Table("dataset", "token length histogram (train): [lo, hi) → rows", title_justify="left")
    for stage, rep in prepared.report.items():
        tok = rep.get("tokens")
        if tok:
            table.add_row(stage, "  ".join(f"{b['lo']}-{b['hi']}:{b['count']}" for b in tok["histogram"] if b["count"]))
    return table
