"""finance: the TAT-QA / FinQA / Financial PhraseBank / sentiment-CSV readers on small fixtures written in those
formats, one table text form for generated and real tables, the numeric exact-match metric (separators,
parentheses negatives, percent and scale, rounding), IBAN / card / account masking in prep, and the suite's
shape (balanced sentiment, >= 150 items per 0/1 task, committed data matching the generator)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.domains import load_domain

FIXTURES = Path(__file__).parent / "fixtures" / "finance"
DOMAIN = load_domain("finance")
SUITE_DATA = DOMAIN.suite_root / "data"


def _mod(name: str):
    return DOMAIN.hooks._sibling(name)


def _rows(name: str, **spec) -> list[dict]:
    from harness.domains import DatasetSpec

    rows = DOMAIN.hooks.read_file(FIXTURES / name, DatasetSpec(kind=spec.pop("kind", "chat"), **spec))
    assert rows is not None, name
    return list(rows)


# ---------------------------------------------------------------- readers

def test_tatqa_questions_become_rows_with_the_table_in_markdown_and_scaled_answers() -> None:
    rows = _rows("tatqa_mini.json")
    assert [r["id"] for r in rows] == ["q-1", "q-2", "q-3", "q-4"]
    first = rows[0]
    assert first["table"].splitlines() == [
        "|  | 2019 | 2018 |", "| --- | --- | --- |", "| Revenue | $12,345 | $11,002 |",
        "| Cost of revenue | 7,210 | 6,845 |", "| Other income (expense), net | (421) | 88 |",
        "| Segment \\| total |  |  |"]
    # paragraphs in their `order`, line breaks inside a paragraph kept as text
    assert first["paragraphs"].startswith("Revenue grew because") and first["paragraphs"].endswith("exchange losses.")
    assert first["completion"] == "12.21%" and first["scale"] == "percent" and first["answer_type"] == "arithmetic"
    assert first["derivation_completion"] == "(12,345-11,002)/11,002 * 100 = 12.21%"
    gen = _mod("generator")
    assert first["prompt"] == gen.qa_prompt(first["table"], first["paragraphs"], first["question"])
    assert rows[1]["completion"] == "higher volumes in Europe" and rows[1]["derivation_completion"] == rows[1]["answer"]
    assert rows[2]["completion"] == "-509 thousand"
    assert rows[3]["completion"] == "1,571.7; 691.6" and rows[3]["answer_type"] == "multi-span"


def test_tatqa_read_as_text_gives_one_document_per_table() -> None:
    rows = _rows("tatqa_mini.json", kind="text")
    assert [r["id"] for r in rows] == ["t-001", "t-002"] and [r["n_questions"] for r in rows] == [3, 1]
    assert rows[0]["text"].startswith("|  | 2019 | 2018 |\n| --- |") and "foreign exchange" in rows[0]["text"]


def test_finqa_rows_use_pre_and_post_text_and_the_program() -> None:
    (row,) = _rows("finqa_mini.json")
    assert row["question"] == "what was the growth rate of net revenues in 2017?" and row["completion"] == "5.8%"
    assert row["paragraphs"].splitlines()[0] == "the following table shows net revenues ."
    assert row["paragraphs"].splitlines()[-1] == "revenues rose on higher volumes ."
    assert row["derivation"].startswith("subtract(4210, 3980)") and row["table"].startswith("|  | 2017 | 2016 |")


def test_phrasebank_latin1_is_decoded_and_the_encoding_reported(capsys: pytest.CaptureFixture) -> None:
    raw = (FIXTURES / "phrasebank_mini.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is Latin-1, as the release is
    rows = _rows("phrasebank_mini.txt")
    assert len(rows) == 7 and rows[3]["text"].startswith("Länsimetro and Hämeenlinna Oy")
    assert [r["label"] for r in rows] == ["positive", "negative", "neutral", "neutral", "positive", None, "negative"]
    assert {r["meta"]["encoding"] for r in rows} == {"latin-1"}
    assert "decoded as latin-1" in capsys.readouterr().err
    utf8 = _rows("phrasebank_utf8.txt")
    assert utf8[3]["text"] == rows[3]["text"] and utf8[0]["meta"]["encoding"] == "utf-8"


def test_sentiment_csv_labels_are_normalised_and_other_csvs_left_alone() -> None:
    rows = _rows("sentiment_mini.csv", columns={"text": "headline", "label": "sentiment"})
    assert [r["sentiment"] for r in rows] == ["positive", "negative", "neutral", "positive", "negative", "neutral"]
    assert DOMAIN.hooks.read_file(FIXTURES / "not_sentiment.csv", None) is None
    assert DOMAIN.hooks.read_file(FIXTURES / "../security_logs/plain_lines.txt", None) is None


# ---------------------------------------------------------------- tables and the numeric metric

def test_generated_and_real_tables_share_one_text_form() -> None:
    tables = _mod("tables")
    t = tables.random_table(random.Random(3), "Acme", 2020, 2021)
    lines = t.render().splitlines()
    assert lines[0] == f"| (in {t.scale}s) | 2021 | 2020 |" and lines[1] == "| --- | --- | --- |"
    assert all(re.fullmatch(r"\| .* \|", line) and line.count(" | ") == 2 for line in lines)
    assert tables.render_table([["a", "b"], ["c"]]) == "| a | b |\n| --- | --- |\n| c |  |"
    assert tables.table_cell(-1234.5, 1) == "(1,234.5)"


@pytest.fixture(scope="module")
def numeric_match():
    import evaluate

    return evaluate.load(str(DOMAIN.suite_root / "metrics" / "numeric_match"))


@pytest.mark.parametrize(("prediction", "reference", "scale", "expected"), [
    ("12,345", "12345", "", True),                      # thousands separators
    ("(1,104) thousand", "-1,104 thousand", "", True),  # parentheses are a negative
    ("−1104", "-1,104 thousand", "", True),             # unicode minus; no unit = the reference's scale
    ("1,104", "-1,104 thousand", "", False),            # the sign matters
    ("1.2 million", "1,200 thousand", "", True),        # scale words convert
    ("1.2 million", "1,200", "thousand", True),         # ... also against TAT-QA's separate scale field
    ("1,200 million", "1,200 thousand", "", False),
    ("12.21%", "12.21", "percent", True),
    ("0.1221", "12.21%", "", True),                     # a fraction written for a percent
    ("12.214 percent", "12.21%", "", True),             # within half a unit of the reference's last digit
    ("12.2%", "12.21%", "", False),                     # less precise than the reference is wrong
    ("16%", "16.00%", "", True),
    ("12.21 thousand", "12.21%", "", False),            # a percent is not an amount
    ("(12,345 - 11,002) / 11,002 * 100 = 12.21%", "12.21%", "", True),  # a derivation's result
    ("$0.5 million", "$0.5 million", "", True),
    ("The modified retrospective method", "the modified retrospective method", "", True),
    ("690.5; 1,568.6", "1,568.6; 690.5", "", True),     # spans compared as sets
    ("1,568.6", "1,568.6; 690.5", "", False),
    ("no number here", "42", "", False),
])
def test_numeric_match_normalises_numbers(numeric_match, prediction, reference, scale, expected) -> None:
    out = numeric_match.compute(predictions=[prediction], references=[reference], scales=[scale])
    assert out["exact_match"] == float(expected) and out["scores"] == [float(expected)]


def test_suite_references_match_themselves_and_their_derivations(numeric_match) -> None:
    for name in ("tableqa", "derivation"):
        rows = _suite(name)
        out = numeric_match.compute(predictions=[r["derivation"] for r in rows], references=[r["answer"] for r in rows],
                                    scales=[r["scale"] for r in rows])
        assert out["exact_match"] == 1.0, name
    # a wrong preference-pair answer is scored wrong (wrong base year, sign or operation)
    gen = _mod("generator")
    rng = random.Random(0)
    items = [gen.qa_item(rng, "train", q) for q in ("change", "growth", "margin", "ratio") for _ in range(10)]
    wrong = numeric_match.compute(predictions=[i["wrong"][0] for i in items], references=[i["answer"] for i in items],
                                  scales=[i["scale"] for i in items])
    assert wrong["exact_match"] <= 0.05


# ---------------------------------------------------------------- prep: real formats + masking

@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):
    from harness.prep import prepare_domain

    mp = pytest.MonkeyPatch()
    mp.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    overrides = {
        "generator": {"n_docs": 300, "n_sft": 20, "n_dpo": 20, "n_headlines": 30},
        "datasets": {
            "docs": {"replay_general": 0},
            "chats": {"source": "file", "path": str(FIXTURES / "tatqa_mini.json"), "file_kind": "prompt_completion",
                      "columns": {"prompt": "prompt", "completion": "derivation_completion"}},
            "headlines": {"source": "file", "path": str(FIXTURES / "phrasebank_mini.txt")},
            "csv": {"kind": "classification", "source": "file", "path": str(FIXTURES / "sentiment_mini.csv"),
                    "columns": {"text": "headline", "label": "sentiment"}},
        },
    }
    try:
        yield prepare_domain(DOMAIN, overrides=overrides)
    finally:
        mp.undo()


def _all(prepared, name: str) -> list[dict]:
    train, val = prepared.paths(name)
    return [json.loads(line) for p in (train, val) for line in p.read_text().splitlines()]


def test_prep_reads_tatqa_and_phrasebank_with_column_mappings(prepared) -> None:
    chats = _all(prepared, "chats")
    assert len(chats) == 4
    by_answer = {c["messages"][-1]["content"]: c for c in chats}
    assert "(12,345-11,002)/11,002 * 100 = 12.21%" in by_answer
    assert by_answer["(12,345-11,002)/11,002 * 100 = 12.21%"]["messages"][-2]["content"].startswith(
        "Answer from the table and text")
    heads = _all(prepared, "headlines")
    assert Counter(r["label"] for r in heads) == {"positive": 2, "negative": 2, "neutral": 2}
    assert prepared.report["headlines"]["dropped_on_load"]["counts"] == {"invalid_record": 1}  # the unlabelled line
    assert any("Länsimetro" in r["text"] for r in heads)
    assert Counter(r["label"] for r in _all(prepared, "csv")) == {"positive": 2, "negative": 2, "neutral": 2}


IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")


def test_prep_masks_ibans_cards_and_account_numbers(prepared) -> None:
    gen = DOMAIN.hooks.generate(DOMAIN.manifest.seed, n_docs=300, n_sft=1, n_dpo=1, n_headlines=3)["docs"]
    raw = "\n".join(d["text"] for d in gen)
    assert IBAN.search(raw) and CARD.search(raw) and re.search(r"account no\. \d{8}", raw)
    docs = "\n".join(r["text"] for r in _all(prepared, "docs"))
    assert not IBAN.search(docs) and not CARD.search(docs)
    assert not re.search(r"(?i)(?:account|acct)(?: no\.| number)? \d{8}", docs)
    assert not re.search(r"sort code \d{2}-\d{2}-\d{2}", docs)
    counts = next(s for s in prepared.report["docs"]["steps"] if "pii_counts_by_type" in s)["pii_counts_by_type"]
    assert counts["IBAN"] > 0 and counts["CREDIT_CARD"] > 0 and counts["ACCOUNT_ID"] > 0
    # table figures are not PII: a statement table survives masking unchanged
    assert re.search(r"\| Revenue \| \d{1,3}(?:,\d{3})*(?:\.\d)? \|", docs) or re.search(r"\| Net sales \|", docs)


# ---------------------------------------------------------------- suite

def _suite(name: str) -> list[dict]:
    return [json.loads(line) for line in (SUITE_DATA / f"{name}.jsonl").read_text().splitlines()]


def test_suite_items_are_balanced_and_large_enough() -> None:
    sentiment, tableqa = _suite("sentiment"), _suite("tableqa")
    assert len(sentiment) >= 150 and len(tableqa) >= 150
    assert set(Counter(r["label"] for r in sentiment).values()) == {len(sentiment) // 3}
    assert all(r["choices"][r["gold"]] == r["label"] and sorted(r["choices"]) == ["negative", "neutral", "positive"]
               for r in sentiment)
    assert len({r["qtype"] for r in tableqa}) == 6 and {r["scale"] for r in tableqa} >= {"percent", "thousand",
                                                                                          "million", ""}
    assert len(_suite("ppl")) >= 50 and len(_suite("derivation")) >= 40
    years = {int(y) for r in tableqa for y in re.findall(r"\b(20\d\d)\b", r["user"])}
    assert min(years) >= 2022  # eval tables are dated after every training table (2010-2021)


def test_committed_suite_data_matches_the_generator() -> None:
    result = subprocess.run([sys.executable, str(DOMAIN.suite_root / "generate.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
