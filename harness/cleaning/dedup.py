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
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.cleaning.config import DedupConfig
from harness.cleaning.fields import check_kind, is_well_formed, record_text
from harness.cleaning.text_norm import normalize

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

MAX_EXAMPLES = 10


_crc32 = zlib.crc32  # deterministic 32-bit shingle hash (datasketch's affine32 scheme takes 32-bit input)


def shingles(norm_text: str, size: int, unit: str = "word", toks: Sequence[str] | None = None) -> list[bytes]:
    """k-word (or k-char) shingles of already-normalised text; short texts give one whole-text shingle.
    `toks` (= `norm_text.split()`, when the caller has it) saves splitting again."""
    if unit == "char":
        grams = {norm_text[i:i + size] for i in range(max(1, len(norm_text) - size + 1))}
    else:
        toks = norm_text.split() if toks is None else toks
        # the list zipped with its shifted copies: every k-word window, without slicing at each position
        shifted = [toks[i:] for i in range(size)]
        grams = set(map(" ".join, zip(*shifted, strict=False))) if len(toks) >= size else {" ".join(toks)}
    return list(map(str.encode, grams))


def text_digest(norm_text: str) -> bytes:
    """The exact-duplicate key of a normalised text."""
    return blake2b(norm_text.encode(), digest_size=16).digest()


def minhash_template(cfg: DedupConfig) -> MinHash:
    """An empty MinHash whose permutations every signature of a run shares."""
    from datasketch import MinHash  # imported lazily: datasketch pulls in ~0.4 s of modules

    return MinHash(num_perm=cfg.num_perm, hashfunc=_crc32)


# shingle hashes per numpy batch: a (num_perm x 8192) uint32 matrix is 4 MB at 128 perms, small enough to
# stay in cache (measured: 13 us/row at 8,192 vs 31 us/row at 100,000 shingles per batch)
_BATCH_SHINGLES = 8192


def signatures(shingle_sets: Sequence[Sequence[bytes]], cfg: DedupConfig, template: MinHash) -> np.ndarray:
    """MinHash signatures of many rows at once, (rows, num_perm) uint32, equal value for value to
    `minhash(...).hashvalues`: datasketch's own affine32 scheme (its MurmurHash3 pre-mix and the template's
    permutations) applied to all rows' shingle hashes in one numpy pass, min-reduced per row. Per-row
    `MinHash.update_batch` calls cost more in Python overhead than in arithmetic on short rows."""
    from datasketch.minhash import _fmix

    out = np.empty((len(shingle_sets), cfg.num_perm), dtype=np.uint32)
    if getattr(template, "scheme", None) != "affine32":  # another datasketch default: its per-row path
        for i, sh in enumerate(shingle_sets):
            m = template.copy()
            m.update_batch(sh)
            out[i] = m.hashvalues
        return out
    a, b = template.permutations
    start = 0
    while start < len(shingle_sets):
        stop, total = start, 0
        while stop < len(shingle_sets) and (stop == start or total + len(shingle_sets[stop]) <= _BATCH_SHINGLES):
            total += len(shingle_sets[stop])
            stop += 1
        batch = shingle_sets[start:stop]
        lens = np.fromiter((len(sh) for sh in batch), dtype=np.int64, count=len(batch))
        hv = np.fromiter(map(_crc32, chain.from_iterable(batch)), dtype=np.uint32, count=int(lens.sum()))
        if len(batch) == 1 and total > _BATCH_SHINGLES:  # one huge row: min over slices
            sig = np.full(cfg.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
            for k in range(0, len(hv), _BATCH_SHINGLES):
                part = _fmix(hv[k:k + _BATCH_SHINGLES].reshape(-1, 1), 32)
                sig = np.minimum(sig, (part * a + b).min(axis=0))
            out[start] = sig
        else:
            # (num_perm, shingles): each row's shingles are a contiguous run for reduceat to min over
            phv = _fmix(hv.reshape(1, -1), 32) * a.reshape(-1, 1) + b.reshape(-1, 1)
            out[start:stop] = np.minimum.reduceat(phv, np.concatenate(([0], np.cumsum(lens)[:-1])), axis=1).T
        start = stop
    return out


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


def band_collisions(sigs: np.ndarray, lsh: MinHashLSH) -> np.ndarray:
    """Per row: does any other row have the same values in one of the LSH's bands? A row that shares no
    band with any row is never an LSH candidate and never has one, so inserting or querying it can be
    skipped without changing any answer. One numpy sort per band instead of a Python query per row."""
    shared = np.zeros(len(sigs), dtype=bool)
    if len(sigs) < 2:
        return shared
    for start, end in lsh.hashranges:
        band = np.ascontiguousarray(sigs[:, start:end]).view(np.dtype((np.void, 4 * (end - start)))).ravel()
        _, inverse, counts = np.unique(band, return_inverse=True, return_counts=True)
        shared |= counts[inverse.ravel()] > 1
    return shared


class Deduplicator:
    """Streaming dedup state: feed records in order with `check`; reusable across files so
    a duplicate of a row seen in an earlier split/file is caught too."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self._exact: dict[bytes, int] = {}
        self._lsh = _make_lsh(cfg) if cfg.near else None
        self._template = minhash_template(cfg)
        self._sigs: list[np.ndarray] = []  # kept rows' signatures (uint32: datasketch values are < 2**32)
        self._sig_index: list[int] = []  # caller's index of each kept signature

    @property
    def template(self) -> MinHash:
        return self._template

    @property
    def lsh(self) -> MinHashLSH | None:
        return self._lsh

    def check(self, text: str, index: int) -> tuple[str | None, int | None, float]:
        """('exact'|'near'|None, index of the kept original, similarity) and remembers kept rows."""
        norm = normalize(text)
        return self.check_features(text_digest(norm), lambda: minhash(norm, self.cfg, self._template).hashvalues,
                                   index)

    def check_features(self, digest: bytes, signature: Any, index: int,
                       may_collide: bool = True) -> tuple[str | None, int | None, float]:
        """`check` on precomputed features: the normalised text's digest and its MinHash signature (an
        array, or a callable computing it only when needed). `may_collide=False` (from `band_collisions`)
        says LSH cannot return a candidate for this row nor this row for any later one."""
        if self.cfg.exact:
            if digest in self._exact:
                return "exact", self._exact[digest], 1.0
        if self._lsh is not None:
            from datasketch import LeanMinHash

            sig = np.asarray(signature() if callable(signature) else signature, dtype=np.uint32)
            m = LeanMinHash(seed=self._template.seed, hashvalues=sig, scheme=self._template.scheme) \
                if may_collide else None
            best, best_sim = None, 0.0
            for cand in self._lsh.query(m) if m is not None else ():
                sim = float(np.mean(self._sigs[cand] == sig))
                if sim > best_sim:
                    best, best_sim = cand, sim
            if best is not None and best_sim >= self.cfg.threshold:
                return "near", self._sig_index[best], best_sim
            key = len(self._sigs)
            self._sigs.append(sig)
            self._sig_index.append(index)
            if m is not None:
                self._lsh.insert(key, m, check_duplication=False)
        if self.cfg.exact:
            self._exact[digest] = index
        return None, None, 0.0


def _note_duplicate(report: dict[str, Any], index: int, verdict: str, original: int | None, sim: float) -> None:
    report[verdict] += 1
    if len(report["examples"]) < MAX_EXAMPLES:
        report["examples"].append({"index": index, "duplicate_of": original, "kind": verdict,
                                   "similarity": round(sim, 3)})


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
        else:
            _note_duplicate(report, i, verdict, original, sim)
    return kept, report


def dedup_features(cfg: DedupConfig, digests: Sequence[bytes | None],
                   sigs: np.ndarray | None) -> tuple[list[int], dict[str, Any]]:
    """`dedup_records` on precomputed features (same verdicts, same report), returning the indices of the
    rows kept. `digests[i]` is `text_digest` of row i's normalised text (None: not well formed, kept as is),
    `sigs[i]` its `signatures` row (None when near dedup is off). LSH is queried only for rows that share
    a band with another row."""
    report: dict[str, Any] = {"exact": 0, "near": 0, "examples": []}
    if not (cfg.exact or cfg.near):
        return list(range(len(digests))), report
    dd = Deduplicator(cfg)
    collide = band_collisions(sigs, dd.lsh) if dd.lsh is not None and sigs is not None else None
    kept = []
    for i, digest in enumerate(digests):
        if digest is None:
            kept.append(i)
            continue
        sig = sigs[i] if sigs is not None else None
        verdict, original, sim = dd.check_features(digest, sig, i, bool(collide[i]) if collide is not None else True)
        if verdict is None:
            kept.append(i)
        else:
            _note_duplicate(report, i, verdict, original, sim)
    return kept, report
