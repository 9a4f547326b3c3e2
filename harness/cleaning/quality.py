"""Heuristic quality filters: repair what is safely repairable, drop the rest, count every drop by reason.

Checks run in a fixed order and a row is counted under the first reason it fails:
malformed -> invalid_utf8 -> mojibake -> control_chars -> empty -> too_short -> too_long -> wrong_script
-> repeated_lines. Repairs (counted under `fixed`): always stripping NULs, BOMs and zero-width spaces;
stripping ANSI colour codes and other C0/C1 control characters when they are rare (above
`max_control_fraction` the row is binary junk and dropped); undoing mojibake with ftfy's `fix_encoding`
(encoding repair only: it never touches quotes, width or normal accents, so clean text is returned unchanged).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ftfy import fix_encoding
from ftfy.badness import is_bad

from harness.cleaning.config import QualityConfig
from harness.cleaning.fields import check_kind, content_fields, is_well_formed, map_content, record_text
from harness.cleaning.fields import required_nonempty as _required_nonempty

DROP_REASONS = ("malformed", "invalid_utf8", "mojibake", "control_chars", "empty", "too_short", "too_long",
                "wrong_script", "repeated_lines")
FIX_KINDS = ("mojibake", "nul_bom", "control_chars")
_STRIP_ALWAYS = re.compile(r"[\x00\ufeff\u200b]")  # NUL, BOM, zero-width space: pure artefacts
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal colour/cursor codes in log lines
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # other C0/C1 controls; keeps \t \n \r
_SCRIPT_ALIASES = {"CJK": "HAN"}
_ASCII_LETTER = re.compile(r"[A-Za-z]")


class _Drop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


@lru_cache(maxsize=1 << 16)
def char_script(ch: str) -> str:
    """Unicode script of a letter from its character name ("LATIN SMALL LETTER A" -> LATIN); no model."""
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0] if name else "UNKNOWN"
    return _SCRIPT_ALIASES.get(first, first)


def script_fraction(text: str, scripts: Sequence[str]) -> float | None:
    """Fraction of letters written in one of `scripts`; None when the text has no letters."""
    if text.isascii():  # every ASCII letter is Latin: only whether there is one matters
        return None if _ASCII_LETTER.search(text) is None else (1.0 if "LATIN" in scripts else 0.0)
    wanted = set(scripts)
    letters = inside = 0
    for c in text:
        if c.isalpha():
            letters += 1
            inside += char_script(c) in wanted
    return inside / letters if letters else None


def repeated_line_fraction(text: str) -> tuple[float, int]:
    """(share of non-empty lines that repeat an earlier line, number of non-empty lines)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return 0.0, 0
    return 1 - len(set(lines)) / len(lines), len(lines)


def repair_text(text: str, cfg: QualityConfig, fixed: Counter[str]) -> str:
    """Repairs one field or raises _Drop; `fixed` counts what was repaired."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Drop("invalid_utf8") from None  # lone surrogates: bytes were not UTF-8 (surrogateescape)
    if "\ufffd" in text:
        raise _Drop("invalid_utf8")  # replacement character: a lossy decode already destroyed content
    if not text.isascii() and is_bad(text):
        if not cfg.fix_text:
            raise _Drop("mojibake")
        repaired = fix_encoding(text)
        if is_bad(repaired):
            raise _Drop("mojibake")
        if repaired != text:
            fixed["mojibake"] += 1
            text = repaired
    if cfg.fix_text and _STRIP_ALWAYS.search(text):
        fixed["nul_bom"] += 1
        text = _STRIP_ALWAYS.sub("", text)
    if cfg.fix_text and "\x1b" in text and _ANSI.search(text):
        fixed["control_chars"] += 1
        text = _ANSI.sub("", text)
    controls = len(_CONTROL.findall(text)) + (0 if cfg.fix_text else len(_STRIP_ALWAYS.findall(text)))
    if controls:
        if not cfg.fix_text or controls / max(1, len(text)) > cfg.max_control_fraction:
            raise _Drop("control_chars")
        fixed["control_chars"] += 1
        text = _CONTROL.sub("", text)
    return text


def check_record(record: dict[str, Any], kind: str, cfg: QualityConfig,
                 fixed: Counter[str]) -> dict[str, Any]:
    """The repaired record, or raises _Drop(reason)."""
    if not is_well_formed(record, kind):
        raise _Drop("malformed")
    record = map_content(record, kind, lambda t: repair_text(t, cfg, fixed))
    if not _required_nonempty(record, kind):
        raise _Drop("empty")
    text = record_text(record, kind)
    n_chars = len(text.strip())
    n_words = len(text.split())
    if n_chars < cfg.min_chars or n_words < cfg.min_words:
        raise _Drop("too_short")
    if (cfg.max_chars is not None and n_chars > cfg.max_chars) or \
            (cfg.max_words is not None and n_words > cfg.max_words):
        raise _Drop("too_long")
    if cfg.expected_scripts:
        frac = script_fraction(text, cfg.expected_scripts)
        if frac is not None and frac < cfg.min_script_fraction:
            raise _Drop("wrong_script")
    if cfg.max_repeated_line_fraction is not None:
        frac, n_lines = repeated_line_fraction(text)
        if n_lines >= cfg.min_lines_for_repetition and frac > cfg.max_repeated_line_fraction:
            raise _Drop("repeated_lines")
    return record


def quality_filter(records: Sequence[dict[str, Any]], kind: str,
                   cfg: QualityConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Repair/drop rows. Report: {dropped_by_reason{reason: n}, fixed{mojibake, nul_bom, control_chars}}
    (`fixed` counts repaired fields; every reason is listed, zeros included, so reports diff cleanly)."""
    check_kind(kind)
    dropped: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    if not cfg.enabled:
        return list(records), {"dropped_by_reason": {r: 0 for r in DROP_REASONS}, "fixed": {k: 0 for k in FIX_KINDS}}
    kept = []
    for rec in records:
        row_fixed: Counter[str] = Counter()
        try:
            kept.append(check_record(rec, kind, cfg, row_fixed))
        except _Drop as drop:
            dropped[drop.reason] += 1
        else:
            fixed.update(row_fixed)  # repairs of dropped rows are not counted
    return kept, {"dropped_by_reason": {r: dropped.get(r, 0) for r in DROP_REASONS},
                  "fixed": {k: fixed.get(k, 0) for k in FIX_KINDS}}


def content_stats(records: Sequence[dict[str, Any]], kind: str) -> dict[str, int]:
    """Cheap size figures for reports (chars/words over all content fields)."""
    chars = words = 0
    for rec in records:
        if is_well_formed(rec, kind):
            for f in content_fields(rec, kind):
                chars += len(f)
                words += len(f.split())
    return {"chars": chars, "words": words}
