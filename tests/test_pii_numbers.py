"""Phone precision on financial/statistical numbers (TAT-QA derivations, ranges, amounts, table cells)
without losing recall on real phone numbers in their usual writings."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cleaning.config import DEFAULT_PHONE_REGIONS
from harness.cleaning.pii import PiiDetector
from harness.cleaning.pii_scoring import load_labelled, score

FIXTURES = Path(__file__).parent / "fixtures" / "pii"


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector(phone_regions=DEFAULT_PHONE_REGIONS)


NOT_PHONES = [
    "((397-361)/361) * 100",  # TAT-QA derivations that were masked before
    "0.98-12.72",
    "(397-361)/361",
    "(1,568.6 - 1,496.5)/1,496.5 * 100",
    "((2,345-1,234)/1,234)*100",
    "mobile revenue (397-361)/361",  # a phone word nearby does not make a formula a phone
    "call 0.98-12.72",
    "Total revenue was 1,234,567 in fiscal 2019-2020.",
    "calls in 2019-2020 and 2020-2021",
    "call 2019-2020",
    "Revenue | 2019 | 2018 | 2017",
    "Net loss | (1,234) | (5,678) | 2,345",
    "| Mobile revenue | 4,567,890 | 3,456,789 |",
    "Phone sales for 2018/2019 were $ 123,456,789.",
    "EPS of 2.34-2.56 on 1,234,567,890 shares.",
    "Mobile subscribers (millions): 123.4 - 118.9 = 4.5",
]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_numbers_in_financial_text_are_not_phones(detector, text):
    assert [text[s.start:s.end] for s in detector.detect(text) if s.type == "PHONE"] == []


PHONES = [
    ("Call us at (555) 123-4567 about the 2019-2020 statement.", "(555) 123-4567"),
    ("Phone: 555-123-4567, balance 1,234,567.", "555-123-4567"),
    ("Our office number is 555.123.4567; revenue grew 12.5%.", "555.123.4567"),
    ("Investor relations: +1 212 555 0176 ext. 204.", "+1 212 555 0176"),
    ("Contact +44 20 7946 0958 for the 2019 annual report.", "+44 20 7946 0958"),
    ("Call (415) 555-0132 x101 for (1,234-1,100)/1,100 questions.", "(415) 555-0132"),
    ("Tel +49 30 1234567; revenue (2,345-1,234)/1,234.", "+49 30 1234567"),
    ("Reach treasury at 212-555-0199 today.", "212-555-0199"),
    ("fax 212.555.0188", "212.555.0188"),
    ("Tel. 01.23.45.67.89 (Paris office)", "01.23.45.67.89"),
    ("ring me on 020 7946 0958", "020 7946 0958"),
    ("(415) 555-0132 is my cell", "(415) 555-0132"),
    ("my number (415-555-0132) changed", "415-555-0132"),
]


@pytest.mark.parametrize(("text", "phone"), PHONES)
def test_real_phone_numbers_are_still_masked(detector, text, phone):
    assert phone in [text[s.start:s.end] for s in detector.detect(text) if s.type == "PHONE"]


def test_numbers_fixture_precision_and_recall(detector):
    result = score(load_labelled(FIXTURES / "numbers.jsonl"), detector.detect, "strict")["by_type"]["PHONE"]
    assert (result["fp"], result["fn"]) == (0, 0), result
