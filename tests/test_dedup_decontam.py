"""Exact/near dedup and n-gram decontamination."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cleaning import DecontamConfig, DedupConfig, EvalIndex, decontaminate, dedup_records
from harness.cleaning.text_norm import normalize

ROOT = Path(__file__).resolve().parents[1]
VOCAB = ("refund order account password reset delivery late card charged twice please help thanks support agent "
         "ticket issue login error crash update billing address change invoice plan upgrade cancel device app "
         "screen email phone verify code store branch manager week month yesterday today").split()


def para(rng: random.Random, n: int = 100) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def test_normalize_casefold_punct_whitespace():
    assert normalize("  Hello,\tWORLD!!  it's  ") == normalize("hello world it s") == "hello world it s"


def test_exact_dedup_keeps_first_and_counts():
    recs = [{"text": "Reset my password, please!", "id": 1}, {"text": "reset my   PASSWORD please", "id": 2},
            {"text": "Something else entirely", "id": 3}]
    kept, report = dedup_records(recs, "text", DedupConfig(near=False))
    assert [r["id"] for r in kept] == [1, 3]
    assert report["exact"] == 1 and report["near"] == 0
    assert report["examples"][0] == {"index": 1, "duplicate_of": 0, "kind": "exact", "similarity": 1.0}


def test_near_dedup_threshold():
    rng = random.Random(1)
    base = para(rng)
    edited = base.split()
    edited[50] = "zebra"  # one word changed out of 100
    other = para(rng)
    recs = [{"text": base}, {"text": " ".join(edited)}, {"text": other}]
    kept, report = dedup_records(recs, "text", DedupConfig())
    assert kept == [recs[0], recs[2]] and report["near"] == 1 and report["exact"] == 0
    assert report["examples"][0]["duplicate_of"] == 0 and report["examples"][0]["similarity"] >= 0.8
    kept, report = dedup_records(recs, "text", DedupConfig(threshold=0.99))
    assert len(kept) == 3 and report["near"] == 0
    kept, report = dedup_records(recs, "text", DedupConfig(near=False))
    assert len(kept) == 3


def test_near_dedup_no_false_drops_on_distinct_rows():
    rng = random.Random(2)
    recs = [{"text": para(rng, 60)} for _ in range(400)]
    kept, report = dedup_records(recs, "text", DedupConfig())
    assert len(kept) == 400 and report == {"exact": 0, "near": 0, "examples": []}


def test_dedup_uses_all_content_fields():
    a = {"prompt": "Q: how to reset?", "chosen": "Click reset.", "rejected": "No idea."}
    b = {"prompt": "Q: how to reset?", "chosen": "Call support.", "rejected": "No idea."}
    kept, _ = dedup_records([a, b, dict(a)], "preference", DedupConfig())
    assert kept == [a, b]
    chat = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    kept, report = dedup_records([chat, json.loads(json.dumps(chat))], "chat", DedupConfig())
    assert len(kept) == 1 and report["exact"] == 1


def test_dedup_is_deterministic_across_processes():
    """No salted Python hash in the near-dup path: another PYTHONHASHSEED drops the same rows."""
    code = (
        f"import random, json, sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from harness.cleaning import dedup_records, DedupConfig\n"
        f"rng = random.Random(7); V = {VOCAB!r}\n"
        "base = [' '.join(rng.choice(V) for _ in range(40)) for _ in range(60)]\n"
        "recs = [{'text': t} for t in base] + [{'text': t.replace(t.split()[5], 'zz', 1)} for t in base[:30]]\n"
        "kept, r = dedup_records(recs, 'text', DedupConfig(threshold=0.7))\n"
        "print(json.dumps([recs.index(k) for k in kept]))\n"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1


# ------------------------------------------------------------------------------------------- decontam
EVAL = {
    "qa": ["What is the capital of France? The capital of France is Paris, a city on the Seine river in the north.",
           "Who wrote Hamlet?"],
    "support_intents": ["I want to cancel my subscription and get a refund for the last month please"],
}


def test_ngram_overlap_drops_and_reports_per_source():
    recs = [
        {"text": "Background. The capital of France is Paris, a city on the Seine river in the north, it says."},
        {"text": "Totally unrelated text about invoices and delivery times for the warehouse team."},
        {"text": "Customer: i want to cancel my subscription and get a refund for the last month please!!"},
    ]
    kept, report = decontaminate(recs, "text", EVAL, DecontamConfig())
    assert kept == [recs[1]]
    assert report["train_rows_hit"] == 2 and report["rows_dropped"] == 2
    assert report["eval_items"] == 3 and report["eval_items_touched"] == 2
    assert report["per_source"]["qa"] == {"items": 2, "items_touched": 1, "train_rows_hit": 1}
    assert report["per_source"]["support_intents"] == {"items": 1, "items_touched": 1, "train_rows_hit": 1}


def test_short_eval_items_match_whole_field_or_contained():
    chat = {"messages": [{"role": "user", "content": "who wrote hamlet"},
                         {"role": "assistant", "content": "Shakespeare."}]}
    kept, report = decontaminate([chat], "chat", EVAL, DecontamConfig())
    assert kept == [] and report["per_source"]["qa"]["items_touched"] == 1
    # 3 words < short_containment_min_words (6): containment alone does not count
    row = {"text": "Students often ask who wrote Hamlet in class."}
    kept, _ = decontaminate([row], "text", EVAL, DecontamConfig())
    assert kept == [row]
    kept, _ = decontaminate([row], "text", EVAL, DecontamConfig(short_containment_min_words=3))
    assert kept == []


def test_overlap_fraction_threshold_and_n():
    item = " ".join(f"w{i}" for i in range(20))
    row = {"text": item + " " + " ".join(f"x{i}" for i in range(200))}  # 8 of 208 13-grams are eval n-grams
    kept, report = decontaminate([row], "text", [item], DecontamConfig(min_overlap_fraction=0.5))
    assert kept == [row] and report["train_rows_hit"] == 1 and report["rows_dropped"] == 0
    kept, _ = decontaminate([row], "text", [item], DecontamConfig())
    assert kept == []
    short_row = {"text": "w3 w4 w5 w6 w7 and more"}
    assert decontaminate([short_row], "text", [item], DecontamConfig(n=5))[0] == []
    assert decontaminate([short_row], "text", [item], DecontamConfig(n=13))[0] == [short_row]


def test_decontam_noop_and_index_reuse():
    recs = [{"text": "anything at all"}]
    assert decontaminate(recs, "text", None, DecontamConfig())[0] == recs
    assert decontaminate(recs, "text", EVAL, DecontamConfig(enabled=False))[0] == recs
    index = EvalIndex(EVAL, n=13)
    kept, report = decontaminate([{"text": "Who wrote Hamlet?"}], "text", index, DecontamConfig())
    assert kept == [] and report["eval_items"] == 3


def test_decontam_at_volume_counts_what_it_drops():
    """Many rows against many eval items: the report adds up (speed is measured by
    benchmarks/bench_decontam.py, not asserted here: a wall-clock limit fails on a busy machine)."""
    rng = random.Random(3)
    evals = {"suite": [para(rng, 30) for _ in range(500)]}
    recs = [{"text": para(rng, 60)} for _ in range(2000)]
    recs[7] = {"text": evals["suite"][11] + " and a few more words"}  # a leaked eval item is dropped
    kept, report = decontaminate(recs, "text", evals, DecontamConfig())
    assert report["rows_dropped"] == 2000 - len(kept) >= 1
    assert recs[7] not in kept


@pytest.mark.parametrize("bad", [{"n": 1}, {"min_overlap_fraction": 2}, {"unknown": 1}])
def test_decontam_config_validation(bad):
    with pytest.raises(ValueError):
        DecontamConfig(**bad)


def test_normalize_ascii_fast_path_equals_the_unicode_path():
    """`words` takes a string-method path for ASCII text; it must give what the NFKC + regex path gives,
    for every ASCII character (punctuation, `_`, control and whitespace characters) in any arrangement."""
    import random
    import re
    import unicodedata

    non_word = re.compile(r"[^\w\s]|_")
    rng = random.Random(0)
    alphabet = [chr(i) for i in range(128)]
    texts = ["".join(alphabet)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    for t in texts:
        assert t.isascii()
        assert normalize(t) == " ".join(non_word.sub(" ", unicodedata.normalize("NFKC", t).casefold()).split()), repr(t)
