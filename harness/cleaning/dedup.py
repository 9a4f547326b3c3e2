"""Exact and near-duplicate removal (first occurrence kept).

Exact: blake2b of the normalised record text (casefold, punctuation stripped, whitespace collapsed), so
"Hello,  World!" and "hello world" are one row. Near: MinHash over word (or char) shingles with
datasketch's LSH for candidates, then the estimated Jaccard is checked against the threshold so LSH's
false candidates never drop a row. Shingles are hashed with crc32 (not Python's salted `hash`) so the same
input drops the same rows in every run.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from hashlib import blake2b
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.cleaning.config import DedupConfig
from harness.cleaning.fields import check_kind, is_well_formed, record_text
from harness.cleaning.text_norm import normalize

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

MAX_EXAMPLES = 10


_crc32 = zlib.crc32  # deterministic 32-bit shingle hash (datasketch's affine32 scheme takes 32-bit input)


def shingles(norm_text: str, size: int, unit: str = "word") -> list[bytes]:
    """k-word (or k-char) shingles of already-normalised text; short texts give one whole-text shingle."""
    if unit == "char":
        grams = [norm_text[i:i + size] for i in range(max(1, len(norm_text) - size + 1))]
    else:
        toks = norm_text.split()
        grams = [" ".join(toks[i:i + size]) for i in range(max(1, len(toks) - size + 1))]
    return [g.encode() for g in set(grams)]


def minhash(norm_text: str, cfg: DedupConfig, template: MinHash | None = None) -> MinHash:
    """MinHash of the text's shingles; pass a `template` to reuse its permutations (building them is
    most of MinHash's constructor cost)."""
    from datasketch import MinHash  # imported lazily: datasketch pulls in ~0.4 s of modules

    if template is None:
        m = MinHash(num_perm=cfg.num_perm, hashfunc=_crc32)
    else:
        scheme = {"scheme": template.scheme} if hasattr(template, "scheme") else {}  # datasketch >= 2.0
        m = MinHash(num_perm=cfg.num_perm, hashfunc=_crc32, permutations=template.permutations, **scheme)
    m.update_batch(shingles(norm_text, cfg.shingle_size, cfg.shingle_unit))
    return m


def _make_lsh(cfg: DedupConfig) -> MinHashLSH:
    """LSH only proposes candidates (the threshold is enforced on the estimated Jaccard afterwards), so
    when datasketch cannot band a very high threshold with few permutations, band for a lower one."""
    from datasketch import MinHashLSH

    threshold = cfg.threshold
    while True:
        try:
            return MinHashLSH(threshold=threshold, num_perm=cfg.num_perm)
        except ValueError:
            if threshold <= 0.3:
                raise
            threshold = round(threshold - 0.05, 2)


class Deduplicator:
    """Streaming dedup state: feed records in order with `is_duplicate`; reusable across files so
    a duplicate of a row seen in an earlier split/file is caught too."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self._exact: dict[bytes, int] = {}
        self._lsh = _make_lsh(cfg) if cfg.near else None
        from datasketch import MinHash

        self._template = MinHash(num_perm=cfg.num_perm, hashfunc=_crc32)
        self._sigs: list[np.ndarray] = []  # kept rows' signatures (uint32: datasketch values are < 2**32)
        self._sig_index: list[int] = []  # caller's index of each kept signature

    def check(self, text: str, index: int) -> tuple[str | None, int | None, float]:
        """('exact'|'near'|None, index of the kept original, similarity) and remembers kept rows."""
        norm = normalize(text)
        digest = blake2b(norm.encode(), digest_size=16).digest()
        if self.cfg.exact:
            if digest in self._exact:
                return "exact", self._exact[digest], 1.0
        if self._lsh is not None:
            m = minhash(norm, self.cfg, self._template)
            sig = m.hashvalues.astype(np.uint32)
            best, best_sim = None, 0.0
            for cand in self._lsh.query(m):
                sim = float(np.mean(self._sigs[cand] == sig))
                if sim > best_sim:
                    best, best_sim = cand, sim
            if best is not None and best_sim >= self.cfg.threshold:
                return "near", self._sig_index[best], best_sim
            key = len(self._sigs)
            self._sigs.append(sig)
            self._sig_index.append(index)
            self._lsh.insert(key, m, check_duplication=False)
        if self.cfg.exact:
            self._exact[digest] = index
        return None, None, 0.0


def dedup_records(records: Sequence[dict[str, Any]], kind: str,
                  cfg: DedupConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Drop exact then near duplicates of earlier rows. Report: {exact, near, examples[...]}."""
    check_kind(kind)
    report: dict[str, Any] = {"exact": 0, "near": 0, "examples": []}
    if not (cfg.exact or cfg.near):
        return list(records), report
    dd = Deduplicator(cfg)
    kept = []
    for i, rec in enumerate(records):
        if not is_well_formed(rec, kind):
            kept.append(rec)
            continue
        verdict, original, sim = dd.check(record_text(rec, kind), i)
        if verdict is None:
            kept.append(rec)
            continue
        report[verdict] += 1
        if len(report["examples"]) < MAX_EXAMPLES:
            report["examples"].append({"index": i, "duplicate_of": original, "kind": verdict,
                                       "similarity": round(sim, 3)})
    return kept, report
