"""Canonical records (see docs/ARCHITECTURE.md): validation and conversion between kinds.

Loaders produce these; recipes consume them. Conversions are here, not in recipes, so one dataset file
feeds any stage that can use it (classification and prompt/completion become chat for SFT).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterable
from typing import Any

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "chat": ("messages",),
    "prompt_completion": ("prompt", "completion"),
    "preference": ("prompt", "chosen", "rejected"),
    "classification": ("text", "label"),
    "unpaired_preference": ("prompt", "completion", "label"),  # label: "true"/"false" (KTO-style)
    "prompt_only": ("prompt",),  # online methods generate their own completions
}
KINDS = tuple(KIND_FIELDS)
ROLES = ("system", "user", "assistant")
OPTIONAL_KEYS = ("id", "meta")
# Which record kinds a stage's canonical kind can be built from.
CONVERTIBLE: dict[str, tuple[str, ...]] = {
    "text": ("text", "chat", "prompt_completion"),
    "chat": ("chat", "prompt_completion", "classification"),
    "preference": ("preference",),
    "prompt_completion": ("prompt_completion",),
    "classification": ("classification",),
    "unpaired_preference": ("unpaired_preference", "preference"),
    "prompt_only": ("prompt_only", "prompt_completion", "preference"),
}
# Domain-neutral defaults; a domain sets its own under `prompts:` in its manifest (or per dataset).
DEFAULT_SYSTEM: str | None = None
DEFAULT_INSTRUCTION = "Classify the following text.\nText: {text}\nOptions: {options}\nAnswer with one option."
DEFAULT_N_OPTIONS = 8
_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")


def validate_record(record: dict[str, Any], kind: str) -> str | None:
    """Return a short description of what is wrong with `record` as `kind`, or None if it is valid."""
    if kind not in KIND_FIELDS:
        return f"unknown record kind '{kind}' (known: {', '.join(KINDS)})"
    for field in KIND_FIELDS[kind]:
        if field not in record or record[field] is None:
            return f"field '{field}' is missing"
    if kind == "chat":
        msgs = record["messages"]
        if not isinstance(msgs, list) or not msgs:
            return "field 'messages' must be a non-empty list of {role, content} objects"
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or "role" not in m or "content" not in m:
                return f"messages[{i}] must be an object with 'role' and 'content'"
            if m["role"] not in ROLES:
                return f"messages[{i}].role is '{m['role']}', expected one of {', '.join(ROLES)}"
            if not isinstance(m["content"], str):
                return f"messages[{i}].content must be a string"
        if not any(m["role"] == "assistant" and m["content"].strip() for m in msgs):
            return "the chat has no non-empty assistant message to learn from"
        return None
    for field in KIND_FIELDS[kind]:
        value = record[field]
        if not isinstance(value, str) or not value.strip():
            return f"field '{field}' must be a non-empty string (got {type(value).__name__} {str(value)[:30]!r})"
    return None


def canonical(record: dict[str, Any], kind: str) -> dict[str, Any]:
    """Keep only the kind's fields plus id/meta, so downstream code sees one shape."""
    out = {f: record[f] for f in KIND_FIELDS[kind]}
    for key in OPTIONAL_KEYS:
        if record.get(key) is not None:
            out[key] = record[key]
    return out


def normalize_text(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace: the form used for overlap checks."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def classification_prompt(text: str, options: list[str], instruction: str = DEFAULT_INSTRUCTION) -> str:
    """The user turn of a classification record rendered as chat: `instruction` with {text} and {options}."""
    return instruction.replace("{text}", text).replace("{options}", ", ".join(options))


def sample_options(gold: str, labels: Iterable[str], k: int, rng: random.Random) -> list[str]:
    """Gold plus k-1 distinct distractors, shuffled (fewer if there are not enough labels)."""
    others = sorted({lab for lab in labels if lab != gold})
    options = [gold, *rng.sample(others, k=min(k - 1, len(others)))]
    rng.shuffle(options)
    return options


def _extra(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in OPTIONAL_KEYS if record.get(k) is not None}


def to_chat(records: list[dict[str, Any]], kind: str, *, system: str | None = DEFAULT_SYSTEM,
            instruction: str = DEFAULT_INSTRUCTION, n_options: int = DEFAULT_N_OPTIONS,
            seed: int = 0) -> list[dict[str, Any]]:
    """Convert chat / prompt_completion / classification records to chat records.

    Classification becomes a labelling chat: `instruction` listing `n_options` labels incl. the gold one,
    answer = label. The dataset spec (or the domain's `prompts:`) chooses system and instruction, so the
    training format matches what the domain's suite asks.
    """
    if kind == "chat":
        return [canonical(r, "chat") for r in records]
    sys_msg = [{"role": "system", "content": system}] if system else []
    if kind == "prompt_completion":
        return [{"messages": [*sys_msg, {"role": "user", "content": r["prompt"]},
                              {"role": "assistant", "content": r["completion"]}], **_extra(r)} for r in records]
    if kind == "classification":
        rng = random.Random(seed)
        labels = sorted({str(r["label"]) for r in records})
        out = []
        for r in records:
            options = sample_options(str(r["label"]), labels, n_options, rng)
            prompt = classification_prompt(r["text"], options, instruction)
            out.append({"messages": [*sys_msg, {"role": "user", "content": prompt},
                                     {"role": "assistant", "content": str(r["label"])}], **_extra(r)})
        return out
    raise ValueError(f"cannot convert {kind} records to chat (convertible: {', '.join(CONVERTIBLE['chat'])})")


def chat_to_text(messages: list[dict[str, str]], names: dict[str, str] | None = None) -> str:
    """Render a chat as a plain transcript (`User: ...` / `Assistant: ...`, or `names`), dropping the system turn."""
    names = names or {"user": "User", "assistant": "Assistant"}
    return "\n".join(f"{names.get(m['role'], m['role'])}: {m['content']}" for m in messages if m["role"] != "system")


def to_text(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Convert text / chat / prompt_completion records to text records (for continual pretraining)."""
    if kind == "text":
        return [canonical(r, "text") for r in records]
    if kind == "chat":
        return [{"text": chat_to_text(r["messages"]), **_extra(r)} for r in records]
    if kind == "prompt_completion":
        return [{"text": f"{r['prompt']}\n{r['completion']}", **_extra(r)} for r in records]
    raise ValueError(f"cannot convert {kind} records to text (convertible: {', '.join(CONVERTIBLE['text'])})")


def convert(records: list[dict[str, Any]], from_kind: str, to_kind: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Records of `from_kind` as `to_kind`; raises ValueError when no conversion exists."""
    if to_kind == "chat":
        return to_chat(records, from_kind, **kwargs)
    if to_kind == "text":
        return to_text(records, from_kind)
    if from_kind == to_kind:
        return [canonical(r, to_kind) for r in records]
    if to_kind == "prompt_only" and from_kind in ("prompt_completion", "preference"):
        return [{"prompt": r["prompt"], **_extra(r)} for r in records]
    if to_kind == "unpaired_preference" and from_kind == "preference":  # each pair gives a good and a bad example
        return [{"prompt": r["prompt"], "completion": r[key], "label": label, **_extra(r)}
                for r in records for key, label in (("chosen", "true"), ("rejected", "false"))]
    raise ValueError(f"cannot convert {from_kind} records to {to_kind} "
                     f"(convertible: {', '.join(CONVERTIBLE.get(to_kind, ()))})")
