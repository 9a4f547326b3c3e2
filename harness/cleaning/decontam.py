"""Benchmark decontamination: drop training rows that share word n-grams with eval items.

Both sides are normalised the same way as dedup (casefold, punctuation stripped) and split into words;
the eval side becomes a dict {hash(n-gram) -> eval item ids}, so each training row costs one hash and one
dict lookup per n-gram. Eval items shorter than n words cannot produce an n-gram: they match when a row
(or one of its fields, e.g. a chat turn) equals the item, or, with at least `short_containment_min_words`
words, contains it verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.cleaning.config import DecontamConfig
from harness.cleaning.fields import check_kind, content_fields, is_well_formed
from harness.cleaning.text_norm import words

EvalTexts = Mapping[str, Iterable[str]] | Iterable[str]
MAX_EXAMPLES = 10


def _ngrams(toks: Sequence[str], n: int) -> Iterable[int]:
    return (hash(g) for g in zip(*(toks[i:] for i in range(n)), strict=False))


class EvalIndex:
    """Hashed n-grams of every eval item, by source (suite/task name), built once per prep run."""

    def __init__(self, eval_texts: EvalTexts, n: int = 13, short_containment_min_words: int = 6) -> None:
        self.n = n
        self.sources: list[str] = []
        self.items: list[int] = []  # item id -> source index
        self.source_sizes: dict[str, int] = {}
        self.ngrams: dict[int, list[int]] = {}
        self.whole: dict[tuple[str, ...], list[int]] = {}  # short items: exact normalised word tuple
        self.k = short_containment_min_words
        self.prefixes: dict[int, list[tuple[int, tuple[str, ...]]]] = {}  # hash(first k words) -> items
        groups = eval_texts.items() if isinstance(eval_texts, Mapping) else [("eval", eval_texts)]
        for source, texts in groups:
            src = len(self.sources)
            self.sources.append(source)
            count = 0
            for text in texts:
                count += 1
                item = len(self.items)
                self.items.append(src)
                toks = words(text)
                if not toks:
                    continue
                if len(toks) >= n:
                    for h in set(_ngrams(toks, n)):
                        self.ngrams.setdefault(h, []).append(item)
                else:
                    self.whole.setdefault(tuple(toks), []).append(item)
                    if len(toks) >= self.k:
                        self.prefixes.setdefault(hash(tuple(toks[: self.k])), []).append((item, tuple(toks)))
            self.source_sizes[source] = count

    def __len__(self) -> int:
        return len(self.items)

    def match(self, fields: Sequence[str]) -> tuple[set[int], float]:
        """Eval item ids a row touches, and the fraction of its n-grams found in the eval set
        (1.0 for a whole-item match)."""
        return self.match_words([words(f) for f in fields])

    def match_words(self, field_toks: Sequence[Sequence[str]]) -> tuple[set[int], float]:
        """`match` on fields already split by `text_norm.words` (prep's pipeline normalises each row once)."""
        hit: set[int] = set()
        total = found = 0
        row = [t for toks in field_toks for t in toks]
        if self.ngrams and len(row) >= self.n:
            for h in _ngrams(row, self.n):
                total += 1
                ids = self.ngrams.get(h)
                if ids:
                    found += 1
                    hit.update(ids)
        whole = False
        if self.whole:
            for toks in [row, *field_toks]:
                ids = self.whole.get(tuple(toks))
                if ids:
                    hit.update(ids)
                    whole = True
        if self.prefixes and len(row) >= self.k:
            for pos, h in enumerate(_ngrams(row, self.k)):  # one pass; candidates verified word by word
                for item, toks in self.prefixes.get(h, ()):
                    if tuple(row[pos:pos + len(toks)]) == toks:
                        hit.add(item)
                        whole = True
        frac = 1.0 if whole else (found / total if total else 0.0)
        return hit, frac


def decontaminate(records: Sequence[dict[str, Any]], kind: str, eval_texts: EvalTexts | EvalIndex | None,
                  cfg: DecontamConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Drop rows overlapping eval items. Report: n, train_rows_hit, eval_items_touched, per_source."""
    check_kind(kind)
    report: dict[str, Any] = {"n": cfg.n, "eval_items": 0, "train_rows_hit": 0, "rows_dropped": 0,
                              "eval_items_touched": 0, "per_source": {}, "examples": []}
    if not cfg.enabled or eval_texts is None:
        return list(records), report
    index = eval_texts if isinstance(eval_texts, EvalIndex) else \
        EvalIndex(eval_texts, cfg.n, cfg.short_containment_min_words)
    matches = [index.match(content_fields(rec, kind)) if is_well_formed(rec, kind) else None for rec in records]
    return apply_matches(records, index, matches, cfg)


def apply_matches(records: Sequence[dict[str, Any]], index: EvalIndex,
                  matches: Sequence[tuple[set[int], float] | None],
                  cfg: DecontamConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`decontaminate` on precomputed `index.match` results (None: record not well formed, kept)."""
    report: dict[str, Any] = {"n": cfg.n, "eval_items": 0, "train_rows_hit": 0, "rows_dropped": 0,
                              "eval_items_touched": 0, "per_source": {}, "examples": []}
    touched: set[int] = set()
    rows_hit_by_source: dict[int, int] = {}
    kept = []
    for i, rec in enumerate(records):
        if matches[i] is None:
            kept.append(rec)
            continue
        hit, frac = matches[i]
        if not hit:
            kept.append(rec)
            continue
        report["train_rows_hit"] += 1
        touched |= hit
        for src in {index.items[h] for h in hit}:
            rows_hit_by_source[src] = rows_hit_by_source.get(src, 0) + 1
        if frac >= cfg.min_overlap_fraction:
            report["rows_dropped"] += 1
            if len(report["examples"]) < MAX_EXAMPLES:
                report["examples"].append({"index": i, "overlap_fraction": round(frac, 3),
                                           "sources": sorted({index.sources[index.items[h]] for h in hit})})
        else:
            kept.append(rec)
    report["eval_items"] = len(index)
    report["eval_items_touched"] = len(touched)
    for src, name in enumerate(index.sources):
        report["per_source"][name] = {
            "items": index.source_sizes[name],
            "items_touched": sum(1 for t in touched if index.items[t] == src),
            "train_rows_hit": rows_hit_by_source.get(src, 0),
        }
    return kept, report
