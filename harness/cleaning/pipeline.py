"""The engine behind `clean_records`: each row's own work in one pass, over worker processes; the work that
depends on row order in the parent.

Per row (in fixed chunks of `CHUNK_ROWS`, on `processes` forked workers): quality repair/drop, PII detection
(and, in redact mode, replacement), then the row's dedup and decontamination features from one normalisation
(exact-dup digest, MinHash signature, eval n-gram matches). In the parent, in row order: pseudonym
replacement (its fakes depend on what came before), first-occurrence dedup (LSH queried only for rows that
share a band with another row), dropping contaminated rows, and the report. Every per-row result depends on
that row alone and chunks come back in order, so the output is the same for any number of processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.cleaning.config import ALL_PII_TYPES, CleaningConfig
from harness.cleaning.decontam import EvalIndex, apply_matches
from harness.cleaning.dedup import dedup_features, minhash_template, shingles, signatures, text_digest
from harness.cleaning.fields import content_fields, is_well_formed, map_content
from harness.cleaning.pii import PiiMasker, PiiSpan
from harness.cleaning.quality import DROP_REASONS, FIX_KINDS, _Drop, check_record
from harness.cleaning.text_norm import words

CHUNK_ROWS = 1000  # rows per task handed to a worker (fixed, so chunking never depends on the machine)
MIN_ROWS_PER_PROCESS = 5000  # below this a worker's start-up costs more than it saves
PROCESSES_ENV = "HARNESS_PREP_PROCESSES"  # caps the worker count (1 = all in this process)


@dataclass
class _Job:
    """What every chunk needs; set in the parent before forking so workers inherit it instead of
    receiving pickled copies of every row."""

    records: Sequence[Any]
    kind: str
    cfg: CleaningConfig
    index: EvalIndex | None
    masker: PiiMasker | None
    stages: tuple[str, ...]  # "clean" (quality + PII detection) and/or "features"
    template: Any = None  # MinHash permutations; built here so workers inherit datasketch (and scipy) loaded


@dataclass
class _Chunk:
    records: list[Any] = field(default_factory=list)  # rows kept by quality, PII-masked where it ran
    dropped: Counter[str] = field(default_factory=Counter)
    fixed: Counter[str] = field(default_factory=Counter)
    pii_counts: Counter[str] = field(default_factory=Counter)
    pii_rows: int = 0
    spans: list[list[list[PiiSpan]] | None] = field(default_factory=list)  # pseudonymize: replaced in the parent
    digests: list[bytes | None] = field(default_factory=list)  # None: not well formed (dedup keeps it)
    sigs: np.ndarray | None = None
    matches: list[tuple[set[int], float] | None] = field(default_factory=list)  # None: no eval overlap
    seconds: Counter[str] = field(default_factory=Counter)


_JOB: _Job | None = None


def _run_chunk(bounds: tuple[int, int]) -> _Chunk:
    job = _JOB
    assert job is not None, "pipeline job not set before the workers started"
    rows = list(job.records[bounds[0]:bounds[1]])
    out = _Chunk()
    if "clean" in job.stages:
        rows = _clean(rows, job, out)
    out.records = rows
    if "features" in job.stages:
        _features(rows, job, out)
    return out


def _clean(rows: list[Any], job: _Job, out: _Chunk) -> list[Any]:
    """Quality then PII on one chunk (what `quality_filter` and `mask_records` do per row)."""
    kind, cfg = job.kind, job.cfg
    t = time.perf_counter()
    if cfg.quality.enabled:
        kept = []
        for rec in rows:
            row_fixed: Counter[str] = Counter()
            try:
                kept.append(check_record(rec, kind, cfg.quality, row_fixed))
            except _Drop as drop:
                out.dropped[drop.reason] += 1
            else:
                out.fixed.update(row_fixed)  # repairs of dropped rows are not counted
        rows = kept
    out.seconds["quality"] += time.perf_counter() - t
    t = time.perf_counter()
    masker = job.masker
    if masker is not None:
        pseudonyms = masker.pseudonymizer is not None
        for i, rec in enumerate(rows):
            if not is_well_formed(rec, kind):
                out.spans.append(None)
                continue
            fields = content_fields(rec, kind)
            spans = masker.record_spans(fields)
            if not any(spans):
                out.spans.append(None)
                continue
            out.pii_rows += 1
            out.pii_counts.update(s.type for ss in spans for s in ss)
            if pseudonyms:
                out.spans.append(spans)
            else:
                it = iter(masker.apply(fields, spans)[0])
                rows[i] = map_content(rec, kind, lambda _old, it=it: next(it))
                out.spans.append(None)
    out.seconds["pii"] += time.perf_counter() - t
    return rows


def _features(rows: list[Any], job: _Job, out: _Chunk) -> None:
    """Each row's dedup digest + MinHash signature and its eval n-gram matches, from one normalisation
    (`normalize(record_text(r))` is the fields' `words` joined by spaces: same text either way)."""
    kind, dcfg = job.kind, job.cfg.dedup
    want_dedup = dcfg.exact or dcfg.near
    t = time.perf_counter()
    shingle_sets: list[list[bytes]] = []
    field_words: list[list[list[str]] | None] = []
    for rec in rows:
        if not is_well_formed(rec, kind):
            out.digests.append(None)
            field_words.append(None)
            shingle_sets.append([b""])
            continue
        toks = [words(f) for f in content_fields(rec, kind)]
        field_words.append(toks)
        if not want_dedup:
            out.digests.append(b"")  # placeholder: dedup is off and keeps every row
            continue
        row = [w for ws in toks for w in ws]
        norm = " ".join(row)
        out.digests.append(text_digest(norm))
        if dcfg.near:
            shingle_sets.append(shingles(norm, dcfg.shingle_size, dcfg.shingle_unit, toks=row))
    if want_dedup and dcfg.near:
        out.sigs = signatures(shingle_sets, dcfg, job.template or minhash_template(dcfg))
    out.seconds["dedup"] += time.perf_counter() - t
    t = time.perf_counter()
    if job.index is not None:
        for toks in field_words:
            m = job.index.match_words(toks) if toks is not None else None
            out.matches.append(m if m is not None and m[0] else None)
    out.seconds["decontam"] += time.perf_counter() - t


def worker_count(n_rows: int, processes: int | None = None) -> int:
    """Processes to use. Asked for (`processes`, else env HARNESS_PREP_PROCESSES): that many, at most one
    per chunk. Otherwise the CPUs this process may run on, at most one per MIN_ROWS_PER_PROCESS rows. 1
    where fork is unavailable or inside a daemon worker (which may not start processes)."""
    if processes is None:
        env = os.environ.get(PROCESSES_ENV, "").strip()
        processes = int(env) if env.isdigit() and int(env) > 0 else None
    if processes is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        n = min(cpus, n_rows // MIN_ROWS_PER_PROCESS)
    else:
        n = min(processes, -(-n_rows // CHUNK_ROWS))
    if n > 1 and ("fork" not in mp.get_all_start_methods() or mp.current_process().daemon):
        return 1
    return max(1, n)


def _map(job: _Job, processes: int) -> list[_Chunk]:
    """`_run_chunk` over every chunk, in order: in this process, or on forked workers."""
    global _JOB
    n = len(job.records)
    bounds = [(s, min(s + CHUNK_ROWS, n)) for s in range(0, n, CHUNK_ROWS)]
    _JOB = job
    try:
        if processes <= 1 or len(bounds) <= 1:
            return [_run_chunk(b) for b in bounds]
        with mp.get_context("fork").Pool(processes) as pool:
            return pool.map(_run_chunk, bounds, chunksize=1)
    finally:
        _JOB = None


def run_pipeline(rows: Sequence[Any], kind: str, cfg: CleaningConfig, index: EvalIndex | None,
                 processes: int) -> tuple[list[Any], dict[str, Any]]:
    """quality -> PII -> dedup -> decontam on `rows`; returns (kept rows, report parts for clean_records)."""
    masker = PiiMasker(cfg.pii) if cfg.pii.enabled else None  # in the parent: a missing salt fails here
    pseudonyms = masker is not None and masker.pseudonymizer is not None
    stages = ("clean",) if pseudonyms else ("clean", "features")
    template = minhash_template(cfg.dedup) if cfg.dedup.near else None
    chunks = _map(_Job(rows, kind, cfg, index, masker, stages, template), processes)

    seconds: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    pii_counts: Counter[str] = Counter()
    kept: list[Any] = []
    for c in chunks:
        kept += c.records
        dropped.update(c.dropped)
        fixed.update(c.fixed)
        pii_counts.update(c.pii_counts)
        seconds.update(c.seconds)
    parts: dict[str, Any] = {
        "quality": {"dropped_by_reason": {r: dropped.get(r, 0) for r in DROP_REASONS},
                    "fixed": {k: fixed.get(k, 0) for k in FIX_KINDS}},
        "pii": {"rows_with_pii": sum(c.pii_rows for c in chunks),
                "counts_by_type": {t: pii_counts.get(t, 0) for t in ALL_PII_TYPES if t in cfg.pii.types}
                if masker is not None else {}},
        "quality_kept": len(kept),
    }
    if pseudonyms:  # fakes depend on earlier rows: replace in row order here, then features on the workers
        t = time.perf_counter()
        spans = [s for c in chunks for s in c.spans]
        for i, rec in enumerate(kept):
            if spans[i] is not None:
                fields = content_fields(rec, kind)
                it = iter(masker.apply(fields, spans[i])[0])
                kept[i] = map_content(rec, kind, lambda _old, it=it: next(it))
        seconds["pii"] += time.perf_counter() - t
        chunks = _map(_Job(kept, kind, cfg, index, None, ("features",), template), processes)
        for c in chunks:
            seconds.update(c.seconds)

    t = time.perf_counter()
    digests = [d for c in chunks for d in c.digests]
    sigs = np.concatenate([c.sigs for c in chunks]) if cfg.dedup.near and chunks and chunks[0].sigs is not None \
        else None
    alive, parts["dedup"] = dedup_features(cfg.dedup, digests, sigs)
    kept = [kept[i] for i in alive]
    seconds["dedup"] += time.perf_counter() - t

    t = time.perf_counter()
    if index is not None:
        matches = [m for c in chunks for m in c.matches]
        kept, parts["decontam"] = apply_matches(kept, index, [matches[i] for i in alive], cfg.decontam)
    seconds["decontam"] += time.perf_counter() - t
    parts["seconds"] = seconds
    return kept, parts

