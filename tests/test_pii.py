"""PII detection quality on the labelled fixtures, masking on every record kind, pseudonym properties."""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from stdnum import iban as std_iban
from stdnum import luhn

from harness.cleaning import CleaningConfig, PiiConfig, PiiDetector, PiiMasker, mask_records
from harness.cleaning.config import DEFAULT_PHONE_REGIONS
from harness.cleaning.pii import STRUCTURED_TYPES, PiiSpan, resolve_overlaps
from harness.cleaning.pii_scoring import load_labelled, score
from harness.config_io import validate
from harness.errors import HarnessError

FIXTURES = Path(__file__).parent / "fixtures" / "pii"
ACCOUNT_PATTERNS = [r"ACC-\d{8}", r"MRN[:#]? ?(?P<id>\d{6,10})"]
SALT = "test-salt-0123456789abcdef"


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector(account_patterns=ACCOUNT_PATTERNS, phone_regions=DEFAULT_PHONE_REGIONS)


def pseudo(**kw) -> PiiMasker:
    return PiiMasker(PiiConfig(mode="pseudonymize", salt=SALT, **kw))


# ------------------------------------------------------------------------------------------ fixtures
def test_fixture_set_is_large_and_varied():
    rows = load_labelled(FIXTURES / "pii_labelled.jsonl")
    spans = [(r["text"][a:b], t) for r in rows for a, b, t in r["spans"]]
    assert len(spans) >= 300
    by_type = Counter(t for _, t in spans)
    for t in STRUCTURED_TYPES + ("PERSON", "ACCOUNT_ID"):
        assert by_type[t] >= 25, t

    def shape(s: str) -> str:  # digits->9, letters->a: distinct written formats per type
        return re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", s))

    shapes = {t: {shape(s) for s, tt in spans if tt == t} for t in by_type}
    assert len(shapes["PHONE"]) >= 15 and len(shapes["IP_ADDRESS"]) >= 8 and len(shapes["IBAN"]) >= 8
    assert len(shapes["CREDIT_CARD"]) >= 5 and len(shapes["MAC_ADDRESS"]) >= 3 and len(shapes["EMAIL"]) >= 10
    assert sum(1 for r in rows if not r["spans"]) >= 50  # negative-only rows


@pytest.mark.parametrize("name", ["pii_labelled.jsonl", "holdout.jsonl", "holdout_v2.jsonl"])
def test_structured_recall_and_precision_targets(detector, name):
    rows = load_labelled(FIXTURES / name)
    result = score(rows, detector.detect, "strict")["by_type"]
    for t in STRUCTURED_TYPES:
        assert result[t]["recall"] >= 0.99, (t, result[t])
        assert result[t]["precision"] >= 0.95, (t, result[t])
    if name == "holdout_v2.jsonl":  # phones, IPv6 and negatives only (no names, no account patterns)
        assert result["PHONE[possible]"]["tp"] + result["PHONE[possible]"]["fn"] >= 49
        assert result["PHONE[possible]"]["recall"] >= 0.99 and result["PHONE[valid]"]["recall"] >= 0.99
        return
    assert result["ACCOUNT_ID"]["recall"] >= 0.99
    assert result["PERSON"]["recall"] >= 0.8 and result["PERSON"]["precision"] >= 0.9


@pytest.mark.parametrize("text,number", [
    ("Please call me back on (237) 555-0142 after 5pm.", "(237) 555-0142"),  # area code not in service
    ("Telephone 01632 96041 and choose option 2.", "01632 96041"),  # short UK number
    ("Call me at 555-0142 tonight.", "555-0142"),  # US 7-digit local
    ("Office +1 (335) 555-0108, suite 4.", "+1 (335) 555-0108"),  # no word, but the writing says phone
    ("Ops lead | (422) 555-0180", "(422) 555-0180"),
    ("My cell is 237-555-0101 and my wife's is 237-555-0102.", "237-555-0102"),  # carried from the first
])
def test_possible_but_unassigned_numbers_are_masked_where_phone_is_said(detector, text, number):
    assert number in [text[s.start:s.end] for s in detector.detect(text) if s.type == "PHONE"]


@pytest.mark.parametrize("text", [
    "Please call about order #4412398712 when it ships.", "Contact ref 20231105-0042 in every reply.",
    "Please phone about PO 4500123456 and SKU 100-200-300.", "Telephone bill: £1,204.55 due 15.03.2024.",
    "Order 2375550142 shipped.", "Ticket 237-555-014 closed.", "serial 35-209900-176148-1",
    "f :: Int -> Int", "std::vector<int> v;",
])
def test_possible_numbers_without_phone_evidence_stay(detector, text):
    assert detector.detect(text) == [], detector.detect(text)


def test_hard_negatives_are_not_masked(detector):
    negatives = [
        "order #4829301 shipped on 2024-03-15 14:22:31", "version 1.2.3.4-beta", "upgrade to v2.10.3.1 today",
        "build 4.18.0.305", "4539 1488 0343 6468 failed", "ref 4111111111111112", "14:22:31.123 tick",
        "UUID 123e4567-e89b-12d3-a456-426614174000", "ISBN 978-3-16-148410-0", "BP 120/80, dose 2.5 mg",
        "error 0x80070005 on port 8080", "std::vector<int> v;", "invoice INV-2024-000123", "ZIP 94105",
        "due 15/03/2024 or 15.03.2024", "Victoria Station and Acme Bank", "case 1780-964810", "total $1,234.56",
    ]
    for text in negatives:
        assert detector.detect(text) == [], (text, detector.detect(text))


@pytest.mark.parametrize("text,typ", [
    ("+1 (415) 555-0132", "PHONE"), ("415.555.0132", "PHONE"), ("+44 20 7946 0958", "PHONE"),
    ("0049 30 1234567", "PHONE"), ("+33 1 42 68 53 00", "PHONE"), ("4111 1111 1111 1111", "CREDIT_CARD"),
    ("4111-1111-1111-1111", "CREDIT_CARD"), ("378282246310005", "CREDIT_CARD"), ("DE89 3704 0044 0532 0130 00", "IBAN"),
    ("GB29NWBK60161331926819", "IBAN"), ("123-45-6789", "SSN"), ("10.0.0.1", "IP_ADDRESS"), ("fe80::1", "IP_ADDRESS"),
    ("2001:db8::8a2e:370:7334", "IP_ADDRESS"), ("00:1A:2B:3C:4D:5E", "MAC_ADDRESS"),
    ("00-1a-2b-3c-4d-5e", "MAC_ADDRESS"), ("first.last+tag@mail.sub.example.co.uk", "EMAIL"),
])
def test_single_values(detector, text, typ):
    spans = detector.detect(f"value: {text}.")
    assert [(s.type, f"value: {text}."[s.start:s.end]) for s in spans] == [(typ, text)]


def test_overlap_resolution_longest_then_most_specific():
    spans = [PiiSpan(0, 27, "IBAN"), PiiSpan(10, 24, "PHONE"), PiiSpan(30, 41, "PHONE"), PiiSpan(30, 41, "SSN")]
    assert [(s.start, s.type) for s in resolve_overlaps(spans)] == [(0, "IBAN"), (30, "SSN")]
    d = PiiDetector()
    text = "IBAN DE89 3704 0044 0532 0130 00 and SSN 123-45-6789"
    assert [s.type for s in d.detect(text)] == ["IBAN", "SSN"]


def test_account_patterns_mask_named_group_only():
    m = PiiMasker(PiiConfig(account_patterns=[r"MRN[: ]*(?P<id>\d{6,10})", r"ACC-\d{8}"]))
    out, counts = m.mask_text("MRN: 00123456 and ACC-12345678")
    assert out == "MRN: <ACCOUNT_ID> and <ACCOUNT_ID>" and counts["ACCOUNT_ID"] == 2


def test_types_can_be_disabled():
    m = PiiMasker(PiiConfig(types=["EMAIL"]))
    out, _ = m.mask_text("mail a@b.com or call +1 (415) 555-0132")
    assert out == "mail <EMAIL> or call +1 (415) 555-0132"


def test_name_propagates_within_a_record():
    recs = [{"messages": [{"role": "user", "content": "Hi, my name is Oluwaseun Adeyemi."},
                          {"role": "assistant", "content": "Thanks Oluwaseun! Adeyemi is noted."}]}]
    out, report = mask_records(recs, "chat", PiiConfig())
    assert out[0]["messages"][1]["content"] == "Thanks <PERSON>! <PERSON> is noted."
    assert report["counts_by_type"]["PERSON"] == 3


# --------------------------------------------------------------------------------------- record kinds
ALL_KINDS = {
    "text": {"text": "mail john.doe@example.com"},
    "chat": {"messages": [{"role": "system", "content": "ip 10.1.2.3"},
                          {"role": "user", "content": "mail john.doe@example.com"}]},
    "prompt_completion": {"prompt": "mail john.doe@example.com", "completion": "ip 10.1.2.3"},
    "preference": {"prompt": "mail john.doe@example.com", "chosen": "ip 10.1.2.3", "rejected": "ok"},
    "classification": {"text": "mail john.doe@example.com", "label": "billing", "id": "a@b.com",
                       "meta": {"email": "x@y.com"}},
}


@pytest.mark.parametrize("kind", list(ALL_KINDS))
def test_every_kind_every_content_field(kind):
    rec = ALL_KINDS[kind]
    before = copy.deepcopy(rec)
    out, report = mask_records([rec], kind, PiiConfig())
    assert rec == before  # input not mutated
    dumped = json.dumps(out[0])
    assert "john.doe@example.com" not in dumped and "10.1.2.3" not in dumped
    assert report["rows_with_pii"] == 1
    if kind == "classification":  # labels, ids and meta are structure, not content
        assert out[0]["label"] == "billing" and out[0]["id"] == "a@b.com" and out[0]["meta"] == {"email": "x@y.com"}
    if kind == "chat":
        assert [m["role"] for m in out[0]["messages"]] == ["system", "user"]


def test_redact_placeholders():
    m = PiiMasker(PiiConfig(account_patterns=[r"ACC-\d{8}"]))
    text = ("Dear Dr. Sarah Connor, mail s.c@example.com, call +1 (415) 555-0132, card 4111 1111 1111 1111, "
            "IBAN GB29 NWBK 6016 1331 9268 19, SSN 123-45-6789, ip 192.168.0.1 / 2001:db8::1, "
            "mac 00:1a:2b:3c:4d:5e, ACC-12345678")
    out, counts = m.mask_text(text)
    for placeholder in ["<PERSON>", "<EMAIL>", "<PHONE>", "<CREDIT_CARD>", "<IBAN>", "<SSN>", "<IP_ADDRESS>",
                        "<MAC_ADDRESS>", "<ACCOUNT_ID>"]:
        assert placeholder in out, placeholder
    assert counts["IP_ADDRESS"] == 2 and sum(counts.values()) == 10
    assert out.startswith("Dear Dr. <PERSON>,")


# ------------------------------------------------------------------------------------------ pseudonyms
def _nondigits(s: str) -> str:
    return re.sub(r"\d", "#", s)


def test_pseudonyms_consistent_valid_and_same_shape():
    m = pseudo(account_patterns=[r"ACC-\d{8}"])
    ip_texts = ["failed login from 203.0.113.7", "again 203.0.113.7 and 203.0.113.9", "lan 192.168.1.20"]
    outs = [m.mask_text(t)[0] for t in ip_texts]
    fake = [ip for o in outs for ip in re.findall(r"\d+\.\d+\.\d+\.\d+", o)]
    assert fake[0] == fake[1] != "203.0.113.7"  # same IP -> same fake across records
    ips = [ipaddress.IPv4Address(x) for x in fake]
    assert str(ips[0]).rsplit(".", 1)[0] == str(ips[2]).rsplit(".", 1)[0]  # same /24 stays same /24
    assert ips[3] in ipaddress.ip_network("192.168.0.0/16")  # private stays private

    v6 = m.mask_text("src fe80::1ff:fe23:4567:890a")[0].split()[1]
    assert ipaddress.IPv6Address(v6) in ipaddress.ip_network("fe80::/10")

    email = m.mask_text("mail John.Doe@Example.com")[0].split()[1]
    assert re.fullmatch(r"[a-z0-9]+@[a-z0-9]+\.example", email)
    assert m.mask_text("mail john.doe@example.com")[0].split()[1] == email  # case-insensitive identity

    card = "4111 1111 1111 1111"
    fake_card = m.mask_text(f"card {card}")[0][5:]
    assert fake_card != card and _nondigits(fake_card) == _nondigits(card)
    assert luhn.is_valid(fake_card.replace(" ", "")) and fake_card[0] == "4"

    iban = "GB29 NWBK 6016 1331 9268 19"
    fake_iban = m.mask_text(f"iban {iban}")[0][5:]
    assert fake_iban != iban and len(fake_iban) == len(iban) and fake_iban[:2] == "GB"
    std_iban.validate(fake_iban.replace(" ", ""), check_country=False)

    mac = m.mask_text("mac 00:1A:2B:3C:4D:5E")[0][4:]
    assert re.fullmatch(r"([0-9A-F]{2}:){5}[0-9A-F]{2}", mac) and int(mac[:2], 16) & 0b11 == 0b10

    ssn = m.mask_text("SSN 123-45-6789")[0][4:]
    assert re.fullmatch(r"9\d\d-\d\d-\d{4}", ssn)

    for phone in ["+1 (415) 555-0132", "+44 (0)20 7946 0958", "030 1234567", "0049 30 1234567"]:
        fake_phone = m.mask_text(f"call {phone}")[0][5:]
        assert fake_phone != phone and _nondigits(fake_phone) == _nondigits(phone), (phone, fake_phone)
    # one number written two ways -> one fake national number
    a = m.mask_text("call +1 (415) 555-0132")[0]
    b = m.mask_text("call 415.555.0132")[0]
    assert re.sub(r"\D", "", a)[-10:] == re.sub(r"\D", "", b)[-10:]

    acc = m.mask_text("ACC-12345678")[0]
    assert re.fullmatch(r"ACC-\d{8}", acc) and acc != "ACC-12345678"


def test_pseudonyms_depend_on_salt_and_need_one(monkeypatch):
    text = "ip 203.0.113.7 mail a@b.com"
    a = PiiMasker(PiiConfig(mode="pseudonymize", salt="one-salt")).mask_text(text)[0]
    b = PiiMasker(PiiConfig(mode="pseudonymize", salt="two-salt")).mask_text(text)[0]
    assert a != b
    assert PiiMasker(PiiConfig(mode="pseudonymize", salt="one-salt")).mask_text(text)[0] == a  # deterministic
    monkeypatch.delenv("HARNESS_PII_SALT", raising=False)
    with pytest.raises(HarnessError, match="salt"):
        PiiMasker(PiiConfig(mode="pseudonymize"))
    monkeypatch.setenv("HARNESS_PII_SALT", "one-salt")
    assert PiiMasker(PiiConfig(mode="pseudonymize")).mask_text(text)[0] == a


def test_salt_is_secret_but_changes_cache_key():
    a = CleaningConfig(pii={"mode": "pseudonymize", "salt": "s3cret-value"})
    b = CleaningConfig(pii={"mode": "pseudonymize", "salt": "other-value"})
    assert "s3cret-value" not in json.dumps(a.model_dump(mode="json"))
    assert a.cache_key() != b.cache_key()


def test_config_errors_are_one_line_harness_errors():
    with pytest.raises(HarnessError, match="account_patterns"):
        validate(CleaningConfig, {"pii": {"account_patterns": ["ACC-(\\d"]}}, "manifest.yaml")
    with pytest.raises(HarnessError, match="phone_regions"):
        validate(CleaningConfig, {"pii": {"phone_regions": ["XX"]}}, "manifest.yaml")
    with pytest.raises(HarnessError, match="types"):
        validate(CleaningConfig, {"pii": {"types": ["NAME"]}}, "manifest.yaml")
    with pytest.raises(HarnessError):
        validate(CleaningConfig, {"pii": {"mode": "redact", "bogus": 1}}, "manifest.yaml")


def test_all_caps_names_and_firewall_logs(detector):
    assert [(s.type, s.start) for s in detector.detect("HI, I'M MARIA LOPEZ")] == [("PERSON", 8)]
    assert [s.type for s in detector.detect("fw: DROP SRC=10.0.0.1")] == ["IP_ADDRESS"]
    assert detector.detect("firmware 10.0.0.3 released") == []


def test_holdout_v3_recall(detector):
    """Written after the phone change (scored untuned: PHONE 14/15, the miss was the 'Ph:' abbreviation,
    since added). Known false alarm: a UPS tracking number's tail '01 2345 6784' is a valid UK number."""
    result = score(load_labelled(FIXTURES / "holdout_v3.jsonl"), detector.detect, "strict")["by_type"]
    assert result["PHONE"]["recall"] >= 0.99 and result["IP_ADDRESS"]["recall"] >= 0.99
    assert result["PHONE"]["fp"] <= 1


def test_name_mentions_equal_the_whole_word_regex():
    """Name propagation finds mentions with str.find instead of compiling a per-record alternation; same
    spans as `finditer` of that alternation (longest name first, no overlaps, `[\\w'’-]` boundaries)."""
    import random

    from harness.cleaning.pii import _mentions

    rng = random.Random(0)
    names = ["Ann", "Anna", "Anna-Li", "Li", "O'Neil", "Zoë", "Ng"]
    pieces = names + [" ", "-", "'", "’", "_", "x", "é", "1", ".", ",", "\n", "Ann a", "ß", "İ"]
    for _ in range(3000):
        chosen = rng.sample(names, rng.randint(1, 4))
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        alternation = "|".join(re.escape(n) for n in sorted(chosen, key=len, reverse=True))
        want = [m.span() for m in re.finditer(rf"(?<![\w'’-])(?:{alternation})(?![\w'’-])", text)]
        assert _mentions(text, set(chosen)) == want, (text, chosen)


def test_key_window_scan_equals_the_full_scan(detector: PiiDetector):
    """The lower-cased person rules are tried only near their pre-check keys; same matches as a full scan."""
    from harness.cleaning.pii import _PERSON_RULES, _near_keys

    texts = [json.loads(ln)["text"] for f in sorted(FIXTURES.glob("*.jsonl")) for ln in f.read_text().splitlines()]
    texts += ["Best regards,\nJohn Smith and many thanks - Raj", "my name is Anna Lopez; this is Wei Chen. i'm Bo Ng"]
    for rule, keys, lower in _PERSON_RULES:
        if lower:
            for t in texts:
                assert [m.span() for m in _near_keys(rule, keys, t, t.lower())] == \
                    [m.span() for m in rule.finditer(t)], t


def test_scan_gates_never_skip_a_match():
    """A structured scan is skipped when its gate finds nothing: the gate must find something in every text
    the full pattern matches (fixtures, plus random strings dense in the patterns' own characters)."""
    import random

    from harness.cleaning.pii import _IBAN, _IBAN_GATE, _IPV4, _IPV4_GATE, _MAC, _MAC_GATE

    rng = random.Random(0)
    texts = [json.loads(ln)["text"] for f in sorted(FIXTURES.glob("*.jsonl")) for ln in f.read_text().splitlines()]
    alphabet = list("0123456789abcdefABCDEFXYZ.:- ")
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(5, 40))) for _ in range(20000)]
    texts += ["MAC 00:1a:2B:3c:4D:5e", "aabb.ccdd.eeff", "IP 10.0.0.1", "IBAN DE89 3704 0044 0532 0130 00"]
    matched = Counter()
    for pattern, gate in ((_MAC, _MAC_GATE), (_IPV4, _IPV4_GATE), (_IBAN, _IBAN_GATE)):
        for t in texts:
            if pattern.search(t):
                matched[pattern.pattern] += 1
                assert gate.search(t), (pattern.pattern, t)
    assert len(matched) == 3 and min(matched.values()) >= 4
