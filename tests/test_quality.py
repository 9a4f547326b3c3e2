"""Quality filters, packing statistics, and the clean_records pipeline + report."""

from __future__ import annotations

import copy
import random

import pytest
from rich.console import Console
from rich.table import Table

from harness.cleaning import (
    CleaningConfig,
    QualityConfig,
    clean_records,
    length_histogram,
    pack_greedy,
    padding_stats,
    quality_filter,
    render_report,
)
from harness.cleaning.quality import DROP_REASONS, char_script, script_fraction
from harness.config_io import validate
from harness.errors import HarnessError

LONG = "This is a perfectly ordinary support message about a delayed parcel and a refund request."


def dropped(report: dict) -> dict:
    return {k: v for k, v in report["dropped_by_reason"].items() if v}


@pytest.mark.parametrize("text,reason", [
    ("bad \udc80 bytes from surrogateescape", "invalid_utf8"),
    ("a lossy decode \ufffd lost a char", "invalid_utf8"),
    ("\x01\x02\x03\x04 binary junk", "control_chars"),
    ("   ", "empty"),
    ("Привет, как дела? Это русский текст про заказ.", "wrong_script"),
    ("日本語のテキストです。注文について。", "wrong_script"),
    ("same line\nsame line\nsame line\nsame line\nother", "repeated_lines"),
])
def test_each_drop_reason(text, reason):
    kept, report = quality_filter([{"text": text}, {"text": LONG}], "text", QualityConfig())
    assert kept == [{"text": LONG}]
    assert dropped(report) == {reason: 1}
    assert set(report["dropped_by_reason"]) == set(DROP_REASONS)


def test_length_limits_in_chars_and_words():
    cfg = QualityConfig(min_chars=10, max_chars=50, min_words=3, max_words=8)
    recs = [{"text": "hi"}, {"text": "one two"}, {"text": "one two three four"}, {"text": "w " * 9},
            {"text": "abcdefghij " * 5}]
    kept, report = quality_filter(recs, "text", cfg)
    assert kept == [recs[2]]
    assert dropped(report) == {"too_short": 2, "too_long": 2}


def test_repairs_are_applied_and_counted():
    recs = [{"text": "The customerâ€™s order was shipped. CafÃ© crÃ¨me"}, {"text": "Hello\x00 world\ufeff"},
            {"text": LONG + " bell\x07"}, {"text": "\x1b[31mERROR\x1b[0m disk full"}]
    kept, report = quality_filter(recs, "text", QualityConfig())
    assert [r["text"] for r in kept] == ["The customer’s order was shipped. Café crème", "Hello world", LONG + " bell",
                                         "ERROR disk full"]
    assert report["fixed"] == {"mojibake": 1, "nul_bom": 1, "control_chars": 2}
    assert dropped(report) == {}
    kept, report = quality_filter(recs, "text", QualityConfig(fix_text=False))
    assert kept == [] and dropped(report) == {"mojibake": 1, "control_chars": 3}


def test_clean_text_is_returned_unchanged():
    texts = ["Café crème, naïve façade — “quoted” ‘text’ … ½ ﬁ", "Ünïcödé Grüße aus Köln; São Paulo; Łódź.",
             "tabs\tand\nnewlines\r\nkept", LONG]
    recs = [{"text": t} for t in texts]
    kept, report = quality_filter(copy.deepcopy(recs), "text", QualityConfig())
    assert kept == recs and not any(report["fixed"].values())


def test_scripts():
    assert char_script("a") == "LATIN" and char_script("Ж") == "CYRILLIC" and char_script("中") == "HAN"
    assert script_fraction("1234 !!", ["LATIN"]) is None
    assert script_fraction("Hello Привет", ["LATIN"]) == pytest.approx(5 / 11)
    assert script_fraction("Hello Привет", ["LATIN", "CYRILLIC"]) == 1.0
    cfg = QualityConfig(expected_scripts=["cyrillic"])
    kept, _ = quality_filter([{"text": "Привет, мир"}, {"text": LONG}], "text", cfg)
    assert kept == [{"text": "Привет, мир"}]
    kept, _ = quality_filter([{"text": "Привет"}], "text", QualityConfig(expected_scripts=[]))
    assert len(kept) == 1
    assert len(quality_filter([{"text": "2024-03-15 12:00 404 500"}], "text", QualityConfig())[0]) == 1


def test_kinds_fields_and_malformed():
    chat_ok = {"messages": [{"role": "system", "content": ""}, {"role": "user", "content": "Hi"},
                            {"role": "assistant", "content": "Hello, how can I help?"}]}
    chat_empty = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": " "}]}
    pref_empty = {"prompt": "Q", "chosen": "A", "rejected": ""}
    cls = {"text": "my card was charged twice", "label": "billing\x00"}
    kept, report = quality_filter([chat_ok, chat_empty], "chat", QualityConfig())
    assert kept == [chat_ok] and dropped(report) == {"empty": 1}
    assert quality_filter([pref_empty], "preference", QualityConfig())[1]["dropped_by_reason"]["empty"] == 1
    kept, _ = quality_filter([cls], "classification", QualityConfig())
    assert kept[0]["label"] == "billing\x00"  # labels are structure, never rewritten
    kept, report = quality_filter([{"txt": "x"}, {"messages": "nope"}, "str"], "text", QualityConfig())
    assert kept == [] and dropped(report) == {"malformed": 3}


def test_quality_config_validation():
    with pytest.raises(HarnessError, match="max_chars"):
        validate(CleaningConfig, {"quality": {"min_chars": 10, "max_chars": 5}}, "manifest.yaml")
    with pytest.raises(HarnessError, match="min_script_fraction"):
        validate(CleaningConfig, {"quality": {"min_script_fraction": 1.5}}, "manifest.yaml")


# --------------------------------------------------------------------------------------------- packing
def test_padding_stats_hand_computed():
    s = padding_stats([3, 5, 2, 10, 12], max_length=10, batch_size=2)
    assert s["tokens"] == 3 + 5 + 2 + 10 + 10 and s["truncated_rows"] == 1 and s["truncated_tokens"] == 2
    assert s["pad_to_max"] == {"token_slots": 50, "padding_tokens": 20, "padding_fraction": 0.4}
    # batches [3,5] [2,10] [10] -> slots 10 + 20 + 10
    assert s["pad_to_longest"]["token_slots"] == 40 and s["pad_to_longest"]["padding_tokens"] == 10
    # packing: [10] [10] [5,3,2] -> 3 blocks, no padding at all
    assert s["packed"]["blocks"] == 3 and s["packed"]["padding_tokens"] == 0 and s["packed"]["lower_bound_blocks"] == 3
    sorted_s = padding_stats([3, 5, 2, 10, 12], max_length=10, batch_size=2, sort_by_length=True)
    assert sorted_s["pad_to_longest"]["token_slots"] == 3 * 2 + 10 * 2 + 10  # [2,3] [5,10] [10]


def test_pack_greedy_is_a_valid_partition():
    rng = random.Random(0)
    lengths = [rng.randint(1, 700) for _ in range(3000)]
    blocks = pack_greedy(lengths, 512)
    assert sorted(i for b in blocks for i in b) == list(range(3000))
    assert all(sum(min(lengths[i], 512) for i in b) <= 512 for b in blocks)
    lower = -(-sum(min(n, 512) for n in lengths) // 512)
    assert len(blocks) <= lower * 1.1


def test_length_histogram():
    h = length_histogram([0, 1, 9, 10, 19, 20], bins=2, max_length=19)
    assert h == [{"lo": 0, "hi": 11, "count": 4}, {"lo": 11, "hi": 22, "count": 2}]
    h = length_histogram([5, 100, 600], bins=[0, 128, 512])
    assert [b["count"] for b in h] == [2, 0]  # 600 is outside the explicit edges
    assert sum(b["count"] for b in length_histogram(list(range(1000)), bins=7)) == 1000
    with pytest.raises(HarnessError):
        length_histogram([1], bins=[5, 3])
    with pytest.raises(HarnessError):
        padding_stats([1], max_length=0)


# ----------------------------------------------------------------------------------- clean_records
def test_clean_records_end_to_end_order_and_report():
    chat = lambda u, a: {"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]}  # noqa: E731
    recs = [
        chat("Hi, I'm Maria Lopez, my card 4111 1111 1111 1111 was charged twice", "Sorry Maria, refund issued."),
        chat("Hi, I'm John Smith, my card 5500 0000 0000 0004 was charged twice", "Sorry John, refund issued."),
        chat("What is the capital of France?", "Paris."),
        chat("Привет", "Здравствуйте, чем помочь?"),
        {"messages": []},
        chat("Order\x00 status please", "It ships tomorrow."),
    ]
    before = copy.deepcopy(recs)
    kept, report = clean_records(recs, "chat", CleaningConfig(), eval_texts={"geo": ["What is the capital of France?"]})
    assert recs == before
    # the two PII rows collapse into one after redaction (PII runs before dedup)
    assert [r["messages"][0]["content"] for r in kept] == [
        "Hi, I'm <PERSON>, my card <CREDIT_CARD> was charged twice", "Order status please"]
    assert kept[0]["messages"][1]["content"] == "Sorry <PERSON>, refund issued."
    assert report["rows_in"] == 6 and report["rows_out"] == 2
    assert {k: v for k, v in report["dropped_by_reason"].items() if v} == {
        "malformed": 1, "wrong_script": 1, "exact_duplicate": 1, "contaminated": 1}
    assert report["pii_counts_by_type"]["PERSON"] == 4 and report["pii_counts_by_type"]["CREDIT_CARD"] == 2
    assert report["dedup"]["exact"] == 1 and report["fixed"]["nul_bom"] == 1
    c = report["contamination"]
    assert c["train_rows_hit"] == 1 and c["eval_items_touched"] == 1 and c["per_source"]["geo"]["items"] == 1
    assert report["rows_in"] - sum(report["dropped_by_reason"].values()) == report["rows_out"]
    tables = render_report(report)
    assert tables and all(isinstance(t, Table) for t in tables)
    console = Console(record=True, width=120)
    for t in tables:
        console.print(t)
    out = console.export_text()
    assert "contaminated" in out and "CREDIT_CARD" in out and "geo" in out


def test_clean_records_errors_and_disabled():
    with pytest.raises(HarnessError, match="kind 'chat'"):
        clean_records([{"text": "a"}, {"text": "b"}], "chat")
    with pytest.raises(HarnessError, match="unknown record kind"):
        clean_records([], "dialogue")
    recs = [{"text": "same"}, {"text": "same"}]
    kept, report = clean_records(recs, "text", CleaningConfig(enabled=False))
    assert kept == recs and report["rows_out"] == 2


def test_prep_step_adapter():
    from types import SimpleNamespace

    from harness.cleaning import CleanRecordsStep

    step = CleanRecordsStep(CleaningConfig())
    ctx = SimpleNamespace(kind="text", eval_texts_by_source={"s": ["What is the capital of France?"]})
    recs = [{"text": "what is the capital of france"}, {"text": "mail a@b.com"}, {"text": "mail a@b.com"}]
    kept, info = step(recs, ctx)
    assert kept == [{"text": "mail <EMAIL>"}] and info["rows_in"] == 3 and info["contamination"]["rows_dropped"] == 1
    assert step.fingerprint != CleanRecordsStep(CleaningConfig(dedup={"near": False})).fingerprint
    assert step.fingerprint == CleanRecordsStep(CleaningConfig()).fingerprint
