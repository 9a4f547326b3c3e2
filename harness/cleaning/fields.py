"""Which string fields of a canonical record hold content, so every cleaning step sees the same text.

Labels (`classification.label`), roles, `id` and `meta` are never content: masking or deduplicating on
them would corrupt the record's structure rather than clean it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.errors import HarnessError

_FLAT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "prompt_completion": ("prompt", "completion"),
    "preference": ("prompt", "chosen", "rejected"),
    "classification": ("text",),
    "unpaired_preference": ("prompt", "completion"),
    "prompt_only": ("prompt",),
}
KINDS = ("chat", *_FLAT_FIELDS)
FIELD_SEPARATOR = "\n"


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise HarnessError(f"unknown record kind '{kind}'", f"use one of: {', '.join(KINDS)}")


def is_well_formed(record: Any, kind: str) -> bool:
    """True when the record has every content field as a string (chat: a non-empty message list)."""
    if not isinstance(record, dict):
        return False
    if kind == "chat":
        messages = record.get("messages")
        if not isinstance(messages, list) or not messages:
            return False
        return all(isinstance(m, dict) and isinstance(m.get("content"), str) and isinstance(m.get("role"), str)
                   for m in messages)
    if kind == "classification" and not isinstance(record.get("label"), str | int):
        return False
    return all(isinstance(record.get(f), str) for f in _FLAT_FIELDS[kind])


def content_fields(record: dict[str, Any], kind: str) -> list[str]:
    """The record's content strings in a fixed order (chat: each message's content)."""
    if kind == "chat":
        return [m["content"] for m in record["messages"]]
    return [record[f] for f in _FLAT_FIELDS[kind]]


def record_text(record: dict[str, Any], kind: str) -> str:
    """One string per record: content fields joined by newlines (what dedup/quality/decontam judge)."""
    return FIELD_SEPARATOR.join(content_fields(record, kind))


def map_content(record: dict[str, Any], kind: str, fn: Callable[[str], str]) -> dict[str, Any]:
    """A copy of the record with `fn` applied to every content field; the input is never mutated."""
    out = dict(record)
    if kind == "chat":
        out["messages"] = [{**m, "content": fn(m["content"])} for m in record["messages"]]
    else:
        for f in _FLAT_FIELDS[kind]:
            out[f] = fn(record[f])
    return out


def required_nonempty(record: dict[str, Any], kind: str) -> bool:
    """False when a field the training stage needs is blank (chat: any non-system turn)."""
    if kind == "chat":
        turns = [m for m in record["messages"] if m["role"] != "system"]
        return bool(turns) and all(m["content"].strip() for m in turns)
    return all(record[f].strip() for f in _FLAT_FIELDS[kind])
