"""Span-level precision/recall of the PII detector against a labelled JSONL set.

Two match rules, both requiring the same type: `strict` = identical [start, end); `overlap` = character
IoU >= 0.5 (a detector that masks `+1 (415) 555-0132` as `(415) 555-0132` still protects the person).
Each gold span matches at most one prediction and vice versa.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import phonenumbers

from harness.cleaning.pii import PiiSpan

Gold = tuple[int, int, str]


def load_labelled(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def phone_class(s: str) -> str:
    """'valid' | 'possible' | 'other': what libphonenumber says of a gold phone span, parsed in the region
    its writing implies (+/00 international, a leading trunk 0 -> GB, else US). Used to report PHONE recall
    separately for valid numbers and for possible-but-unassigned ones (issue 14)."""
    t = s.replace("(0)", "")
    t = "+" + t[2:] if t.startswith("00") else t
    region = None if t.lstrip("(").startswith("+") else ("GB" if t.startswith("0") else "US")
    try:
        num = phonenumbers.parse(t, region)
    except phonenumbers.NumberParseException:
        return "other"
    if phonenumbers.is_valid_number(num):
        return "valid"
    return "possible" if phonenumbers.is_possible_number(num) else "other"


def _iou(a: Gold, b: Gold) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def score(rows: Iterable[dict[str, Any]], detect: Callable[[str], list[PiiSpan]],
          match: str = "strict") -> dict[str, Any]:
    """Per-type {tp, fp, fn, precision, recall, f1} (plus PHONE[valid] / PHONE[possible] recall rows, whose
    false alarms are counted under PHONE only) and `errors` (first misses/false alarms, for debugging)."""
    if match not in ("strict", "overlap"):
        raise ValueError("match must be 'strict' or 'overlap'")
    tally: dict[str, dict[str, int]] = {}
    errors: list[dict[str, Any]] = []

    def bump(t: str, key: str) -> None:
        tally.setdefault(t, {"tp": 0, "fp": 0, "fn": 0})[key] += 1

    for row in rows:
        text = row["text"]
        gold = [tuple(s) for s in row["spans"]]
        pred = [(s.start, s.end, s.type) for s in detect(text)]
        used: set[int] = set()
        for g in gold:
            hit = None
            for i, p in enumerate(pred):
                if i in used or p[2] != g[2]:
                    continue
                if (match == "strict" and p[:2] == g[:2]) or (match == "overlap" and _iou(p, g) >= 0.5):
                    hit = i
                    break
            sub = f"PHONE[{phone_class(text[g[0]:g[1]])}]" if g[2] == "PHONE" else None
            if hit is None:
                bump(g[2], "fn")
                if sub:
                    bump(sub, "fn")
                errors.append({"id": row.get("id"), "kind": "miss", "type": g[2], "text": text[g[0]:g[1]]})
            else:
                used.add(hit)
                bump(g[2], "tp")
                if sub:
                    bump(sub, "tp")
        for i, p in enumerate(pred):
            if i not in used:
                bump(p[2], "fp")
                errors.append({"id": row.get("id"), "kind": "false_alarm", "type": p[2], "text": text[p[0]:p[1]]})
    out: dict[str, Any] = {}
    for t, c in sorted(tally.items()):
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[t] = {**c, "precision": precision, "recall": recall, "f1": f1}
    return {"match": match, "by_type": out, "errors": errors}
