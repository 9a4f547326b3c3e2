"""`clean_records` over worker processes: the same kept rows and report as one process and as the step
functions run one after another; the vectorised MinHash equals datasketch's."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from harness.cleaning import (
    CleaningConfig,
    EvalIndex,
    clean_records,
    decontaminate,
    dedup_records,
    mask_records,
    quality_filter,
)
from harness.cleaning.config import DedupConfig
from harness.cleaning.dedup import dedup_features, minhash, minhash_template, shingles, signatures, text_digest
from harness.cleaning.pipeline import CHUNK_ROWS, worker_count
from harness.cleaning.text_norm import normalize

WORDS = ("please thanks order account issue since yesterday again still really quickly today week month also "
         "because when after before maybe every time would could should honestly").split()
NAMES = ["Maria Lopez", "John Smith", "Priya Chen", "Wei Okafor", "Emma Garcia"]
PII = [" mail me at maria.lopez@example.com", " call +1 (415) 555-0132", " card 4111 1111 1111 1111",
       " IBAN DE89 3704 0044 0532 0130 00", " host 192.168.1.20", " ssn 123-45-6789"]


def make_rows(n: int, seed: int = 0) -> tuple[list[dict], list[str]]:
    rng = random.Random(seed)
    evals = [" ".join(rng.choice(WORDS) for _ in range(20)) for _ in range(50)]
    rows: list[dict] = []
    good: list[dict] = []  # well-formed rows, the sources of duplicates
    for i in range(n):
        r = rng.random()
        if good and r < 0.05:
            src = rng.choice(good)
            rows.append({"messages": [{**m, "content": m["content"].upper()} for m in src["messages"]]})
        elif good and r < 0.10:
            src = rng.choice(good)
            msgs = [dict(m) for m in src["messages"]]
            msgs[-1]["content"] += " " + rng.choice(WORDS)
            rows.append({"messages": msgs})
        elif r < 0.12:
            rows.append({"messages": [{"role": "user", "content": " "}, {"role": "assistant", "content": "ok"}]})
        elif r < 0.13:
            rows.append({"messages": "not a list"})
        else:
            user = f"Hi, I'm {rng.choice(NAMES)}. " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30)))
            if rng.random() < 0.4:
                user += rng.choice(PII)
            if rng.random() < 0.02:
                user += " " + rng.choice(evals)
            if rng.random() < 0.02:
                user += " caf\u00c3\u00a9 \x00"  # mojibake + NUL: repaired by quality
            rows.append({"messages": [{"role": "user", "content": user},
                                      {"role": "assistant", "content": f"Sorry {user.split()[2]}, ticket {i}."}]})
            good.append(rows[-1])
    return rows, evals


def steps(rows, kind, cfg, index):
    rows, q = quality_filter(rows, kind, cfg.quality)
    rows, p = mask_records(rows, kind, cfg.pii)
    rows, d = dedup_records(rows, kind, cfg.dedup)
    rows, c = decontaminate(rows, kind, index, cfg.decontam)
    return rows, {**q, "pii": p, "dedup": d, "contamination": c}


def as_json(kept, report) -> str:
    return json.dumps([kept, {k: v for k, v in report.items() if k != "seconds"}], sort_keys=True)


@pytest.mark.parametrize("mode", ["redact", "pseudonymize"])
def test_two_processes_equal_one_and_the_step_functions(monkeypatch, mode):
    monkeypatch.setenv("HARNESS_PII_SALT", "test-salt")
    rows, evals = make_rows(int(1.5 * CHUNK_ROWS))  # two chunks: one per worker
    index = EvalIndex({"suite": evals}, n=8)
    cfg = CleaningConfig(pii={"mode": mode}, decontam={"n": 8})
    kept2, rep2 = clean_records(rows, "chat", cfg, eval_texts=index, processes=2)
    kept1, rep1 = clean_records(rows, "chat", cfg, eval_texts=index, processes=1)
    assert as_json(kept2, rep2) == as_json(kept1, rep1)
    assert rep1["dedup"]["exact"] > 0 and rep1["dedup"]["near"] > 0 and rep1["pii_rows"] > 0
    assert rep1["contamination"]["rows_dropped"] > 0 and rep1["dropped_by_reason"]["malformed"] > 0
    kept_s, rep_s = steps(rows, "chat", cfg, index)
    assert json.dumps(kept_s, sort_keys=True) == json.dumps(kept1, sort_keys=True)
    assert rep_s["dropped_by_reason"] == {k: v for k, v in rep1["dropped_by_reason"].items()
                                          if k in rep_s["dropped_by_reason"]}
    assert rep_s["fixed"] == rep1["fixed"] and rep_s["fixed"]["mojibake"] > 0
    assert rep_s["pii"]["counts_by_type"] == rep1["pii_counts_by_type"]
    assert rep_s["dedup"] == rep1["dedup"] and rep_s["contamination"] == rep1["contamination"]
    assert rows[0]["messages"][0]["content"].startswith("Hi, I'm")  # input never mutated


def test_vectorised_signatures_equal_datasketch_minhash():
    cfg = DedupConfig()
    rng = random.Random(1)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    template = minhash_template(cfg)
    got = signatures([shingles(normalize(t), cfg.shingle_size) for t in texts], cfg, template)
    want = np.array([minhash(normalize(t), cfg, template).hashvalues for t in texts])
    assert got.dtype == np.uint32 and (got == want).all()


def test_band_prefilter_keeps_dedup_verdicts():
    """dedup_features (LSH only for rows sharing a band) == dedup_records (LSH for every row)."""
    rows, _ = make_rows(1500, seed=3)
    texts = ["\n".join(m["content"] for m in r["messages"]) for r in rows if isinstance(r["messages"], list)]
    cfg = DedupConfig(threshold=0.7)
    norms = [normalize(t) for t in texts]
    sigs = signatures([shingles(n, cfg.shingle_size) for n in norms], cfg, minhash_template(cfg))
    alive, report = dedup_features(cfg, [text_digest(n) for n in norms], sigs)
    kept, want = dedup_records([{"text": t} for t in texts], "text", cfg)
    assert report == want and [texts[i] for i in alive] == [k["text"] for k in kept] and want["near"] > 0


def test_worker_count():
    assert worker_count(100, 2) == 1  # one chunk: nothing to share
    assert worker_count(3 * CHUNK_ROWS, 2) == 2
    assert worker_count(3 * CHUNK_ROWS, 1) == 1
    assert worker_count(10, None) == 1  # small inputs stay in this process
