"""PII detection and masking for training records, offline and deterministic.

Validation comes from maintained libraries: `phonenumbers` (libphonenumber metadata) decides what is a
phone number, `python-stdnum` checks IBANs (ISO 13616 mod-97 + per-country BBAN layout) and card Luhn
digits, `ipaddress` checks IPs. The regexes only propose candidates. Presidio was tried and not used:
it runs offline with its NoOpNlpEngine, but still needs spaCy (and its ~15 dependencies) installed, its
e-mail recogniser calls tldextract (which may try to fetch the public-suffix list), and its phone
recogniser alone took ~1.4 ms per 230-char text (one libphonenumber scan per region) against ~0.2 ms
for this whole detector; its recognisers would add nothing the validators above do not already give.

Two modes: `redact` (typed placeholders such as `<EMAIL>`) and `pseudonymize` (a keyed HMAC of the
value seeds a fake of the same type and shape, so one IP maps to the same fake IP everywhere, private
ranges stay private and shared subnets stay shared).
"""

from __future__ import annotations

import hmac
import ipaddress
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b, sha256
from typing import Any

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn

from harness.cleaning.config import ALL_PII_TYPES, PiiConfig
from harness.cleaning.fields import check_kind, content_fields, is_well_formed, map_content
from harness.cleaning.names import FAKE_FIRST, FAKE_LAST, FIRST_NAMES, NOT_NAMES

STRUCTURED_TYPES = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "SSN", "IP_ADDRESS", "MAC_ADDRESS")
# Tie-break for equally long overlapping candidates: checksum-validated and user-configured types first.
PRIORITY = {"IBAN": 9, "CREDIT_CARD": 8, "EMAIL": 7, "ACCOUNT_ID": 6, "MAC_ADDRESS": 5, "IP_ADDRESS": 4,
            "SSN": 3, "PHONE": 2, "PERSON": 1}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A detected entity: [start, end) in the text, its type, and a normalised key (same entity written
    differently, e.g. `415.555.0132` and `+1 415 555 0132`, gets the same key and so the same pseudonym)."""

    start: int
    end: int
    type: str
    key: str = ""


# --------------------------------------------------------------------------------------------- patterns
_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9_](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
_HEX = "[0-9A-Fa-f]"
_MAC = re.compile(
    rf"(?<![\w:.-])(?:{_HEX}{{2}}([:-])(?:{_HEX}{{2}}\1){{4}}{_HEX}{{2}}|{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}})"
    rf"(?![\w:-]|\.{_HEX})"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d|[-+][A-Za-z])")
_IP_CONTEXT = re.compile(r"(?i)\b(?:ip|ipv6|address|addr|unspecified|loopback|bind|bound|listen(?:ing)?|"
                         r"host|src|dst|from|to)\b[^\n]{0,30}$")
_VERSION_CONTEXT = re.compile(r"(?i)\b(?:version|ver|release|build|firmware|rev|revision)\s*[:=#]?\s*$")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:])")
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
_SSN_CONTEXT = re.compile(
    r"(?i)\b(?:ssn|ss#|social security(?:\s+(?:number|no\.?|#))?)\s*(?:is|:|#|=)?\s*"
    r"(?P<id>(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4})(?!\d)"
)
_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){11,22}(?![\w])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){8,34}(?![A-Za-z0-9])")
_PHONE = re.compile(r"(?<![\w+@.])(?:\+|\(\+?)?\d(?:[\d().\-/]| (?=[\d(]))*\d")
_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|ph|mob|tel|telephone|call|calling|called|mobile|cell|cellphone|fax|sms|text|whatsapp|reach|"
    r"dial|ring|contact|landline|hotline|helpline|voicemail|(?:office|home|work|direct|main) (?:number|line))"
    r"\b[^\n\d]{0,24}$"
)
# arithmetic, not a phone (financial/statistical text, e.g. TAT-QA derivations): a decimal fraction
# ("0.98-12.72"), a bracketed sum or difference ("(397-361)/361"), a bracket beside a division or product,
# a year range ("2019-2020"); and, around the candidate, a product/division/equals/percent sign
_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])")
_EXPRESSION = re.compile(r"\(\s*\d[\d.,]*\s*[-+]\s*\d[\d.,]*\s*\)|\)\s*[/*×÷]|[/*×÷]\s*\(")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-–/]\s*(?:19|20)\d\d")
_OPERATOR_AFTER = re.compile(r"\)*\s*(?:[*×÷=%]|/\s*\()")
_OPERATOR_BEFORE = re.compile(r"(?:[*×÷]|\)\s*/)\s*\(*\s*$")
# a reference noun right before a number says it is not a phone, even next to "call": "call about order #4412398712"
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)(?:#|\b(?:order|invoice|inv|ref|reference|ticket|case|po|sku|serial|batch|lot|acct|account|tracking|"
    r"parcel|shipment|item|part|model|imei)\b)[ \t]*[:#.]?[ \t]*#?$"
)
# writing that only phone numbers use: international prefix, "(0)" trunk marker, a bracketed NANP area code
_PHONE_FORMAT = re.compile(r"^\(?\+|^00[1-9]|\(0\)|^(?:\+?1[ .-]?)?\([2-9]\d\d\)")
_LOCAL_7 = re.compile(r"[2-9]\d\d[-.]\d{4}")  # US 7-digit local number ("call 555-0142"), context only
_DATE_LIKE = re.compile(r"(?<!\d)(?:(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
                        r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)\d\d)(?!\d)")
_IPV4_LIKE = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_CARD_SHAPE = re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}")
_IMEI_SHAPE = re.compile(r"\d{2}([ -])\d{6}\1\d{6}\1\d{1,2}")
_NANP_FORMAT = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}|(?:1)?\d{10}")
_HAS_DIGIT = re.compile(r"\d")
# Gates: a substring every match of a structured pattern contains, as a pattern that starts with a character
# class (so `re` skips ahead in C to the next possible start instead of trying the pattern's look-behind at
# every position). A text without the gate's substring cannot match; one with it gets the full scan.
_MAC_GATE = re.compile(rf"{_HEX}{{2}}(?:[:-]{_HEX}{{2}}[:-]|{_HEX}{{2}}\.{_HEX}{{4}}\.)")  # XX:XX: or XXXX.XXXX.
_IPV4_GATE = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")  # the dots of a dotted quad with a digit either side
_IBAN_GATE = re.compile(r"[A-Z]{2}\d\d")  # country code + check digits
# seven digits with only phone/card/SSN separators between them: every phone candidate worth checking (7+
# digits), card (12+) and SSN (9) contains such a run, so without one those three scans are skipped
_DIGIT_RUN_7 = re.compile(r"\d(?:[().\-/ ]*\d){6}")

_UP = "A-ZÀ-ÖØ-Þ"
_LO = "a-zß-öø-ÿ"
_NAME_TOKEN = rf"(?:Mc[{_UP}][{_LO}]+|[{_UP}][{_LO}]*['’][{_UP}][{_LO}]+|[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?)"
_NAME_SEQ = rf"{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN}){{0,2}}"
# (rule, cheap substring pre-check, whether the pre-check runs on the lower-cased text): the pre-check
# skips a regex scan on the many texts that cannot match it (~3x faster PERSON detection).
_PERSON_RULE_SPECS: list[tuple[re.Pattern[str], tuple[str, ...], bool]] = [
    # titles: the title stays, the name is masked ("Dr. <PERSON>")
    (re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Nurse|Officer|Agent)\.?[ \t]+(?P<n>{_NAME_SEQ})"),
     ("Mr", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Nurse", "Officer", "Agent"), False),
    # greetings at the start of a line or sentence
    (re.compile(rf"(?:^|(?<=[.!?:;])[ \t])[ \t]*(?:Hi|Hello|Hey|Dear|Good (?:morning|afternoon|evening)|Thanks"
                rf"|Thank you|Cheers|Welcome|Morning|Greetings)[,!]?[ \t]+(?P<n>{_NAME_SEQ})", re.M),
     ("Hi", "Hello", "Hey", "Dear", "Good", "Thank", "Cheers", "Welcome", "Morning", "Greetings"), False),
    # sign-offs followed by a name: "Regards, Anna" / "Best regards,\nJohn Smith" / "Thanks - Raj"
    (re.compile(rf"\b(?i:regards|best|sincerely|cheers|thanks|thank you|yours truly|yours|warmly|best wishes|"
                rf"many thanks|take care|signed)(?:,[ \t]*(?:\r?\n[ \t]*)?|[.!]?[ \t]*\r?\n[ \t]*|[ \t]+-+[ \t]*)"
                rf"(?P<n>{_NAME_SEQ})"),
     ("regards", "best", "sincerely", "cheers", "thank", "yours", "warmly", "take care", "signed"), True),
    (re.compile(rf"(?:^|\n)[ \t]*(?:--|—|–)[ \t]*(?P<n>{_NAME_SEQ})[ \t]*(?=$|\n)"), ("--", "—", "–"), False),
    # self-introductions and role labels
    (re.compile(rf"\b(?i:my name is|name is|this is|it's|it is|i am|i'm|name:|from:|to:|talked (?:to|with)|met with|"
                rf"patient:?|pt:|customer:|caller:|contact:|spoke (?:to|with)|speaking with|transferred to|"
                rf"assigned to|signed by|seen by|referred (?:to|by)|attending:?|physician:?|escalated to|cc:|"
                rf"submitted by|reported by|approved by|signed:|author:|owner:)[ \t]+(?P<n>{_NAME_SEQ})"),
     ("name", "this is", "it's", "it is", "i am", "i'm", "from:", "to:", "talked", "met with", "patient", "pt:",
      "customer:", "caller:", "contact:", "spoke", "speaking", "transferred", "assigned", "signed", "seen by",
      "referred", "attending", "physician", "escalated", "cc:", "submitted", "reported", "approved", "author:",
      "owner:"), True),
]
# the pre-checks as one substring alternation each (one C-level scan instead of a Python loop over keys)
_PERSON_RULES: list[tuple[re.Pattern[str], re.Pattern[str], bool]] = [
    (rule, re.compile("|".join(re.escape(k) for k in keys)), lower) for rule, keys, lower in _PERSON_RULE_SPECS]
_CAPS_TOKEN = re.compile(r"\b[A-Z]{2,}(?:['’-][A-Z]{2,})?\b")
_CAPS_PAIR = re.compile(r"\b[A-Z]{2,}[ \t]+[A-Z]{2,}")
_NAME_TOKEN_RE = re.compile(_NAME_TOKEN)


# ------------------------------------------------------------------------------------------- validators
def _card_ok(digits: str) -> bool:
    if not 13 <= len(digits) <= 19 or not luhn.is_valid(digits):
        return False
    first = digits[0]
    if first in "456":
        return True
    if first == "3":
        return digits[1] in "045678"  # Diners 30/36/38/39, Amex 34/37, JCB 35
    if first == "2":
        return 2221 <= int(digits[:4]) <= 2720  # Mastercard 2-series
    return False


def _iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 + the country's BBAN layout. Not stdnum's national checks: they also require the
    bank code to be in stdnum's registry, which misses real (e.g. merged) Belgian banks."""
    if not 15 <= len(compact) <= 34:
        return False
    try:
        std_iban.validate(compact, check_country=False)
    except Exception:  # stdnum raises its ValidationError subclasses
        return False
    return True


@lru_cache(maxsize=64)
def _national_prefix(region: str) -> str | None:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return meta.national_prefix if meta else None


@lru_cache(maxsize=64)
def _is_nanp(region: str) -> bool:
    return phonenumbers.country_code_for_region(region) == 1


@lru_cache(maxsize=1 << 16)
def _phone_key(candidate: str, regions: tuple[str, ...], has_context: bool) -> str | None:
    """E.164 form (or the digits) when `candidate` is a phone number for the configured regions, else None.

    For masking a miss is a leak: where a word ("call", "phone", "contact"...) or the writing ("+44 ...",
    "(0)20 ...", "(237) 555-0142") says phone, a number libphonenumber calls *possible* (right length for
    the country, e.g. an unassigned US area code or a short UK number) is accepted. Elsewhere validity
    (assigned ranges) stays the precision aid that keeps order numbers and amounts unmasked.

    Cached: a pure function of its arguments, called for every token window of every number (the same
    numbers and windows recur across rows), and the libphonenumber parse is its cost."""
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15:
        return None
    if _DATE_LIKE.search(candidate) or _IPV4_LIKE.search(candidate) or _SSN.fullmatch(candidate):
        return None
    if _DECIMAL.search(candidate) or _EXPRESSION.search(candidate) or _YEAR_RANGE.fullmatch(candidate):
        return None
    lenient = has_context or _PHONE_FORMAT.search(candidate) is not None
    ok = phonenumbers.is_possible_number if lenient else phonenumbers.is_valid_number
    body = candidate.lstrip("(")
    if body.startswith("+") or body.startswith("00"):
        num = _parse_phone("+" + body[2:] if body.startswith("00") else body, None)
        return _e164(num) if num is not None and ok(num) else None
    if candidate.isdigit() and not has_context:
        return None  # a bare digit run is an order number until a word says it is a phone
    for region in regions:
        nanp = _is_nanp(region)
        prefix = None if nanp else _national_prefix(region)
        if nanp and has_context and _LOCAL_7.fullmatch(candidate):
            num = _parse_phone(candidate, region)
            return digits if num is not None and phonenumbers.is_possible_number(num) else None
        if (nanp and not _NANP_FORMAT.fullmatch(candidate)) or (prefix and not body.startswith(prefix)):
            continue
        num = _parse_phone(candidate, region)
        # no trunk prefix (IT, ES...): a possible-length check accepts almost anything, so validity only
        if num is None or not (ok if (nanp or prefix) else phonenumbers.is_valid_number)(num):
            continue
        if not prefix and not nanp and not candidate.isdigit():
            # no trunk prefix (IT, ES...): almost any 9-10 digits validate, so the digit grouping must
            # also be the one libphonenumber formats that number with
            canonical = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
            if re.findall(r"\d+", canonical) != re.findall(r"\d+", candidate):
                continue
        return _e164(num)
    return None


def _parse_phone(s: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        return None


def _e164(num: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _tokens(s: str, sep: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces of `s` between single `sep` characters."""
    out, pos = [], 0
    for piece in s.split(sep):
        out.append((pos, pos + len(piece)))
        pos += len(piece) + 1
    return out


# ------------------------------------------------------------------------------------------- detector
class PiiDetector:
    """Finds PII spans; `detect` returns non-overlapping spans (longest wins, then the more specific type)."""

    def __init__(self, types: Iterable[str] = ALL_PII_TYPES, account_patterns: Sequence[str] = (),
                 phone_regions: Sequence[str] = ("US", "GB", "DE", "FR")) -> None:
        self.types = frozenset(types)
        self.account_patterns = [re.compile(p) for p in account_patterns]
        self.phone_regions = tuple(phone_regions)

    @classmethod
    def from_config(cls, cfg: PiiConfig) -> PiiDetector:
        return cls(cfg.types, cfg.account_patterns, cfg.phone_regions)

    def detect(self, text: str) -> list[PiiSpan]:
        return resolve_overlaps(self.candidates(text))

    def candidates(self, text: str) -> list[PiiSpan]:
        t = self.types
        out: list[PiiSpan] = []
        has_digit = _HAS_DIGIT.search(text) is not None
        if "EMAIL" in t and "@" in text:
            out += [PiiSpan(m.start(), m.end(), "EMAIL", m.group().casefold()) for m in _EMAIL.finditer(text)]
        if "MAC_ADDRESS" in t and _MAC_GATE.search(text):
            for m in _MAC.finditer(text):
                out.append(PiiSpan(m.start(), m.end(), "MAC_ADDRESS", re.sub(r"[^0-9a-f]", "", m.group().lower())))
        if "IP_ADDRESS" in t:
            if _IPV4_GATE.search(text):
                out += self._ipv4(text)
            if ":" in text:
                out += self._ipv6(text)
        if has_digit:
            long_run = _DIGIT_RUN_7.search(text) is not None  # SSNs, cards and phones all need one
            if long_run and "SSN" in t:
                out += [PiiSpan(m.start(), m.end(), "SSN", re.sub(r"\D", "", m.group())) for m in _SSN.finditer(text)]
                out += [PiiSpan(m.start("id"), m.end("id"), "SSN", m.group("id")) for m in _SSN_CONTEXT.finditer(text)]
            if long_run and "CREDIT_CARD" in t:
                out += self._cards(text)
            if "IBAN" in t and _IBAN_GATE.search(text):
                out += self._ibans(text)
            if long_run and "PHONE" in t:
                out += self._phones(text)
        if "ACCOUNT_ID" in t:
            for pattern in self.account_patterns:
                for m in pattern.finditer(text):
                    g = "id" if "id" in pattern.groupindex and m.group("id") else 0
                    if m.end(g) > m.start(g):
                        out.append(PiiSpan(m.start(g), m.end(g), "ACCOUNT_ID", m.group(g)))
        if "PERSON" in t:
            out += self._persons(text)
        return out

    # each finder returns candidate spans of one type
    def _ipv4(self, text: str) -> list[PiiSpan]:
        out = []
        for m in _IPV4.finditer(text):
            if any(int(o) > 255 for o in m.group().split(".")):
                continue
            if _VERSION_CONTEXT.search(text, max(0, m.start() - 24), m.start()):
                continue  # "version 1.2.3.4", "v10.0.0.1" are releases, not hosts
            key = ".".join(str(int(o)) for o in m.group().split("."))  # "010.0.0.1" and "10.0.0.1" alike
            out.append(PiiSpan(m.start(), m.end(), "IP_ADDRESS", key))
        return out

    def _ipv6(self, text: str) -> list[PiiSpan]:
        out = []
        for m in _IPV6.finditer(text):
            raw = m.group()
            if not re.search(r"[0-9A-Fa-f]", raw) and not (
                    raw == "::" and _IP_CONTEXT.search(text, max(0, m.start() - 40), m.start())):
                continue  # a bare "::" is C++/Haskell/reST syntax unless an address word precedes it
            try:
                addr = ipaddress.IPv6Address(raw)
            except ValueError:
                continue
            out.append(PiiSpan(m.start(), m.end(), "IP_ADDRESS", str(addr)))
        return out

    def _cards(self, text: str) -> list[PiiSpan]:
        out = []
        for m in _CARD.finditer(text):
            s = m.group()
            if _IMEI_SHAPE.fullmatch(s):
                continue  # IMEIs are Luhn-valid too; their 2-6-6-1 grouping is not a card's
            toks = [(a, b) for a, b in _tokens(re.sub(r"[ -]", " ", s), " ")]
            found = self._best_window(s, toks, lambda w: _card_ok(re.sub(r"\D", "", w)), max_tokens=6)
            for a, b in found:
                out.append(PiiSpan(m.start() + a, m.start() + b, "CREDIT_CARD", re.sub(r"\D", "", s[a:b])))
        return out

    def _ibans(self, text: str) -> list[PiiSpan]:
        out, pos = [], 0
        while (m := _IBAN.search(text, pos)) is not None:
            s = m.group()
            toks = _tokens(s, " ")
            for k in range(len(toks), 0, -1):  # longest token prefix that validates
                compact = s[: toks[k - 1][1]].replace(" ", "")
                if _iban_ok(compact):
                    out.append(PiiSpan(m.start(), m.start() + toks[k - 1][1], "IBAN", compact))
                    pos = m.start() + toks[k - 1][1]
                    break
            else:
                pos = m.start() + 1
        return out

    def _phones(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _PHONE.finditer(text):
            s = m.group()
            if sum(map(str.isdigit, s)) < 7:
                continue  # every window would have under 7 digits: `_phone_key` rejects it (cheap early exit)
            if _CARD_SHAPE.fullmatch(s):
                continue  # a card-shaped number that failed Luhn is a typo'd card or a reference, not a phone
            if _OPERATOR_AFTER.match(text, m.end()) or _OPERATOR_BEFORE.search(text, max(0, m.start() - 8), m.start()):
                continue  # a term of a formula: "((397-361)/361) * 100"
            toks = _tokens(s, " ")
            # a phone word before this number, or a phone just before it with only a few words between
            # ("my cell is 237-555-0101 and my wife's is 237-555-0102"), says phone
            near = bool(out) and m.start() - out[-1].end <= 30 and not _HAS_DIGIT.search(text, out[-1].end, m.start()) \
                and "\n" not in text[out[-1].end:m.start()]
            ctx = ((near or _PHONE_CONTEXT.search(text, max(0, m.start() - 40), m.start()) is not None)
                   and _NOT_PHONE_CONTEXT.search(text, max(0, m.start() - 24), m.start()) is None)

            def valid(w: str, ctx: bool = ctx) -> bool:
                return _phone_key(w, self.phone_regions, ctx) is not None

            for a, b in self._best_window(s, toks, valid, max_tokens=7):
                key = _phone_key(s[a:b], self.phone_regions, ctx) or s[a:b]
                out.append(PiiSpan(m.start() + a, m.start() + b, "PHONE", key))
        return out

    @staticmethod
    def _best_window(s: str, toks: list[tuple[int, int]], ok: Callable[[str], bool],
                     max_tokens: int) -> list[tuple[int, int]]:
        """Left to right, the longest run of whole tokens that `ok` accepts (digit groups split by spaces)."""
        found, i = [], 0
        while i < len(toks):
            for j in range(min(len(toks), i + max_tokens), i, -1):
                a, b = toks[i][0], toks[j - 1][1]
                w = s[a:b].strip("(") if s[a] == "(" and ")" not in s[a:b] else s[a:b]
                if ok(w):
                    found.append((b - len(w), b))
                    i = j
                    break
            else:
                i += 1
        return found

    def _persons(self, text: str) -> list[PiiSpan]:
        out = []
        low = text.lower()
        for rule, keys, lower in _PERSON_RULES:
            if keys.search(low if lower else text) is None:
                continue
            for m in _near_keys(rule, keys, text, low) if lower else rule.finditer(text):
                start = m.start("n")
                toks = [(t.start() + start, t.end() + start) for t in _NAME_TOKEN_RE.finditer(m.group("n"))]
                while toks and text[toks[0][0]:toks[0][1]] in NOT_NAMES:
                    toks.pop(0)
                kept = []
                for a, b in toks:
                    if text[a:b] in NOT_NAMES:
                        break
                    kept.append((a, b))
                if kept:
                    out.append(self._person(text, kept[0][0], kept[-1][1]))
        # a known given name followed by capitalised words: "Maria Lopez", "Wei Chen Li"; token positions
        # only when some token passes `_given_name_runs`'s first test (findall: no match objects to build)
        if not FIRST_NAMES.isdisjoint(map(str.title, _NAME_TOKEN_RE.findall(text))):
            out += self._given_name_runs(text, [(t.start(), t.end()) for t in _NAME_TOKEN_RE.finditer(text)])
        if _CAPS_PAIR.search(text):  # "MARIA LOPEZ" in all-caps text: only via the given-name list
            out += self._given_name_runs(text, [(t.start(), t.end()) for t in _CAPS_TOKEN.finditer(text)])
        return out

    def _given_name_runs(self, text: str, toks: list[tuple[int, int]]) -> list[PiiSpan]:
        out = []
        for i, (a, b) in enumerate(toks):
            if text[a:b].title() not in FIRST_NAMES:
                continue
            end, j = b, i + 1
            while j < len(toks) and j <= i + 2 and text[end:toks[j][0]] in (" ", "\t") \
                    and text[toks[j][0]:toks[j][1]].title() not in NOT_NAMES:
                end, j = toks[j][1], j + 1
            if end > b:
                out.append(self._person(text, a, end))
        return out

    @staticmethod
    def _person(text: str, a: int, b: int) -> PiiSpan:
        return PiiSpan(a, b, "PERSON", " ".join(text[a:b].split()).casefold())


_KEY_LEAD = 8  # more than any phrase has before its pre-check key ("many thanks" -> "thank": 5 characters)


def _near_keys(rule: re.Pattern[str], keys: re.Pattern[str], text: str, low: str) -> Iterable[re.Match[str]]:
    """`rule.finditer(text)` for a `\\b<phrase>` rule, tried only where a match can start: within
    _KEY_LEAD characters before (or inside) a hit of its key pre-check on the lower-cased text. Same
    matches, same order (left to right, non-overlapping); a full scan when lower-casing changed the length."""
    if len(low) != len(text):
        yield from rule.finditer(text)
        return
    pos = 0  # the next position to try: one past the last tried, or the end of the last match
    for k in keys.finditer(low):  # key hits come left to right, so their windows do too
        for i in range(max(pos, k.start() - _KEY_LEAD), k.end()):
            if i < pos:
                continue
            m = rule.match(text, i)
            if m is None:
                pos = i + 1
            else:
                yield m
                pos = m.end()


def _is_name_char(ch: str) -> bool:
    """`[\\w'’-]`: what may not touch a propagated name on either side (`\\w` is `isalnum() or _`)."""
    return ch.isalnum() or ch in "_'’-"


def _mentions(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of whole-word occurrences of `names`, as `re.finditer` of
    `(?<![\\w'’-])(?:<names, longest first>)(?![\\w'’-])` finds them (left to right, the longest name at a
    position, no overlaps), without compiling that per-record pattern (~0.2 ms each, more than the scan)."""
    longest: dict[int, int] = {}
    for name in names:
        i = text.find(name)
        while i >= 0:
            j = i + len(name)
            if (i == 0 or not _is_name_char(text[i - 1])) and (j == len(text) or not _is_name_char(text[j])):
                longest[i] = max(longest.get(i, j), j)
            i = text.find(name, i + 1)
    out: list[tuple[int, int]] = []
    for i in sorted(longest):
        if not out or i >= out[-1][1]:
            out.append((i, longest[i]))
    return out


def resolve_overlaps(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Keep the longest span where candidates overlap; equal lengths go to the more specific type."""
    unique = set(spans)
    if len(unique) < 2:  # most texts: nothing to resolve
        return list(unique)
    chosen: list[PiiSpan] = []
    for span in sorted(unique, key=lambda s: (-(s.end - s.start), -PRIORITY.get(s.type, 0), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


# -------------------------------------------------------------------------------------- pseudonymizer
_SPECIAL_V4 = [ipaddress.ip_network(n) for n in
               ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10")]
_SPECIAL_V6 = [ipaddress.ip_network(n) for n in ("::1/128", "fe80::/10", "fc00::/7")]


class Pseudonymizer:
    """Keyed, consistent fake values. The HMAC key is the salt, so pseudonyms cannot be reversed by
    brute-forcing small spaces (phones, SSNs) without it; the same key gives the same fakes in every run."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt
        self._cache: dict[tuple[str, str], str] = {}
        self._given: set[str] = set()  # tokens seen as given names, so a later bare "Maria" stays a given name
        self._prf = blake2b(key=sha256(b"harness-pii-ip:" + salt).digest(), digest_size=1)

    def _rng(self, kind: str, key: str) -> random.Random:
        digest = hmac.new(self._salt, f"{kind}\x00{key}".encode(), sha256).digest()
        return random.Random(int.from_bytes(digest, "big"))

    def fake(self, span: PiiSpan, original: str) -> str:
        fn = getattr(self, f"_fake_{span.type.lower()}")
        cache_key = (span.type, original)
        if cache_key not in self._cache:
            self._cache[cache_key] = fn(span.key or original, original)
        return self._cache[cache_key]

    @staticmethod
    def _refill(original: str, digits: str, keep: int = 0) -> str:
        """Write `digits` into the digit positions of `original` after the first `keep` digits."""
        out, i, it = [], 0, iter(digits)
        for ch in original:
            if ch.isdigit():
                out.append(ch if i < keep else next(it))
                i += 1
            else:
                out.append(ch)
        return "".join(out)

    def _fake_email(self, key: str, original: str) -> str:
        local, _, domain = key.rpartition("@")
        user = self._rng("EMAIL", key).getrandbits(40)
        dom = self._rng("EMAIL_DOMAIN", domain).getrandbits(24)
        return f"user{user:010x}@d{dom:06x}.example"  # RFC 2606 reserved TLD: never a real mailbox

    def _fake_phone(self, key: str, original: str) -> str:
        rng = self._rng("PHONE", key)
        n_digits = sum(c.isdigit() for c in original)
        keep = 0
        body = original.lstrip("(")
        if key.startswith("+"):
            try:
                cc = str(phonenumbers.parse(key, None).country_code)
            except phonenumbers.NumberParseException:
                cc = ""
            if body.startswith("+"):
                keep = len(cc) + (1 if body[1 + len(cc):].lstrip(" (").startswith("0") else 0)
            elif body.startswith("00"):
                keep = 2 + len(cc)
            elif body.startswith("0"):
                keep = 1  # national trunk prefix
            elif cc == "1" and re.sub(r"\D", "", original).startswith("1") and n_digits == 11:
                keep = 1
        new = [str(rng.randint(2, 9))] + [str(rng.randint(0, 9)) for _ in range(max(0, n_digits - keep - 1))]
        return self._refill(original, "".join(new), keep)

    def _fake_credit_card(self, key: str, original: str) -> str:
        rng = self._rng("CREDIT_CARD", key)
        body = key[0] + "".join(str(rng.randint(0, 9)) for _ in range(len(key) - 2))
        return self._refill(original, body + luhn.calc_check_digit(body))

    def _fake_iban(self, key: str, original: str) -> str:
        rng = self._rng("IBAN", key)
        bban = "".join(str(rng.randint(0, 9)) if c.isdigit() else chr(rng.randint(65, 90)) for c in key[4:])
        check = std_iban.calc_check_digits(key[:2] + "00" + bban)
        compact = key[:2] + check + bban
        out, it = [], iter(compact)
        for ch in original:
            out.append(ch if ch == " " else next(it))
        return "".join(out)

    def _fake_ssn(self, key: str, original: str) -> str:
        rng = self._rng("SSN", key)
        # the 900-999 area is never issued as an SSN: a pseudonym can never be a real person's number
        digits = f"{rng.randint(900, 999)}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        return self._refill(original, digits)

    def _prf_bit(self, prefix: str) -> int:
        h = self._prf.copy()
        h.update(prefix.encode())
        return h.digest()[0] & 1

    def _fake_ip_address(self, key: str, original: str) -> str:
        """Prefix-preserving (Crypto-PAn style): addresses sharing a k-bit prefix share one in the fake,
        so subnets, scans and lateral movement still look the same; private/link-local stay in range."""
        addr = ipaddress.ip_address(key)
        width = addr.max_prefixlen
        bits = format(int(addr), f"0{width}b")
        keep = 0
        for net in _SPECIAL_V4 if addr.version == 4 else _SPECIAL_V6:
            if addr in net:
                keep = net.prefixlen
                break
        out = list(bits[:keep])
        for i in range(keep, width):
            out.append(str(int(bits[i]) ^ self._prf_bit(f"{addr.version}:{bits[:i]}")))
        fake = ipaddress.ip_address(int("".join(out), 2)) if addr.version == 4 else \
            ipaddress.IPv6Address(int("".join(out), 2))
        return str(fake)

    def _fake_mac_address(self, key: str, original: str) -> str:
        rng = self._rng("MAC", key)
        octets = [rng.randint(0, 255) for _ in range(6)]
        octets[0] = (octets[0] | 0x02) & 0xFE  # locally administered, unicast: never a vendor-assigned MAC
        hexs = "".join(f"{o:02x}" for o in octets)
        if not any(c.islower() for c in original):
            hexs = hexs.upper()
        out, it = [], iter(hexs)
        for ch in original:
            out.append(next(it) if ch not in ":-." else ch)
        return "".join(out)

    def _fake_person(self, key: str, original: str) -> str:
        """Token by token, so "Maria Lopez" and a later bare "Maria" get the same fake given name."""
        toks = original.split()
        out = []
        for i, tok in enumerate(toks):
            low = tok.casefold()
            if len(toks) > 1 and i < len(toks) - 1:
                self._given.add(low)
            given = i < len(toks) - 1 or (len(toks) == 1 and (tok in FIRST_NAMES or low in self._given))
            rng = self._rng("PERSON_GIVEN" if given else "PERSON_FAMILY", low)
            out.append(rng.choice(FAKE_FIRST if given else FAKE_LAST))
        return " ".join(out)

    def _fake_account_id(self, key: str, original: str) -> str:
        rng = self._rng("ACCOUNT_ID", key)
        return "".join(str(rng.randint(0, 9)) if c.isdigit() else c for c in original)


# --------------------------------------------------------------------------------------------- masking
class PiiMasker:
    """Detect + replace; keeps a pseudonym cache so a value maps to one fake per dataset.

    Names found by a context rule are propagated within a record: after "Hi, I'm Maria Lopez", a later
    "Sorry Maria" in any field of the same record is masked too (whole-word match of the name's tokens).
    """

    def __init__(self, cfg: PiiConfig) -> None:
        self.cfg = cfg
        self.detector = PiiDetector.from_config(cfg)
        self.pseudonymizer = Pseudonymizer(cfg.resolved_salt()) if cfg.mode == "pseudonymize" else None

    def mask_text(self, text: str) -> tuple[str, Counter[str]]:
        out, counts = self.mask_fields([text])
        return out[0], counts

    def mask_fields(self, texts: Sequence[str]) -> tuple[list[str], Counter[str]]:
        """Mask several strings that belong to one record (name propagation works across them)."""
        spans = self.record_spans(texts)
        return self.apply(texts, spans)

    def record_spans(self, texts: Sequence[str]) -> list[list[PiiSpan]]:
        """The spans `mask_fields` replaces, per text. Stateless (no pseudonym cache), so it can run in
        worker processes while the order-dependent replacement stays in one process."""
        spans = [self.detector.detect(t) for t in texts]
        if "PERSON" in self.detector.types:
            names = {tok for t, ss in zip(texts, spans, strict=True) for s in ss if s.type == "PERSON"
                     for tok in t[s.start:s.end].split() if len(tok) > 1 and tok not in NOT_NAMES}
            if names:
                spans = [resolve_overlaps(ss + [PiiSpan(a, b, "PERSON", t[a:b].casefold())
                                                for a, b in _mentions(t, names)])
                         for t, ss in zip(texts, spans, strict=True)]
        return spans

    def apply(self, texts: Sequence[str], spans: Sequence[Sequence[PiiSpan]]) -> tuple[list[str], Counter[str]]:
        """Replace `spans` (from `record_spans`) in order; pseudonymize mode updates the pseudonym cache."""
        counts: Counter[str] = Counter()
        out = []
        for text, ss in zip(texts, spans, strict=True):
            counts.update(s.type for s in ss)
            out.append(self._replace(text, ss) if ss else text)
        return out, counts

    def _replace(self, text: str, spans: Sequence[PiiSpan]) -> str:
        parts, pos = [], 0
        for s in spans:
            parts.append(text[pos:s.start])
            original = text[s.start:s.end]
            parts.append(self.pseudonymizer.fake(s, original) if self.pseudonymizer else f"<{s.type}>")
            pos = s.end
        parts.append(text[pos:])
        return "".join(parts)


def mask_records(records: Sequence[dict[str, Any]], kind: str,
                 cfg: PiiConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Mask PII in every content field of every record (no row is dropped). Returns (records, report)."""
    check_kind(kind)
    counts: Counter[str] = Counter()
    report: dict[str, Any] = {"mode": cfg.mode, "rows_with_pii": 0, "counts_by_type": {}}
    if not cfg.enabled:
        return list(records), report
    masker = PiiMasker(cfg)
    out = []
    for rec in records:
        if not is_well_formed(rec, kind):
            out.append(rec)
            continue
        fields = content_fields(rec, kind)
        masked, row_counts = masker.mask_fields(fields)
        if row_counts:
            it = iter(masked)
            rec = map_content(rec, kind, lambda _old, it=it: next(it))
            report["rows_with_pii"] += 1
            counts.update(row_counts)
        out.append(rec)
    report["counts_by_type"] = {t: counts.get(t, 0) for t in ALL_PII_TYPES if t in cfg.types}
    return out, report
