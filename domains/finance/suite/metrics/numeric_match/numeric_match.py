"""Exact match with numeric normalisation, as a local `evaluate` module (loaded by path, so it works offline).

No library metric reads `(1,234.5)` as -1234.5, knows that `12.3%` answers a percent question or that
`1.2 million` equals `1,200 thousand`; TAT-QA's own scorer does this inside its repository. Rules:
- The answer is the text after the last `=` (a derivation's result), else the whole prediction; its first
  number is read: thousands separators dropped, `(x)` and a leading `-` / `−` are negative, currency signs
  ignored, and a following `%` / `percent` or scale word (thousand / k, million / mn / m, billion / bn / b)
  is kept.
- Scales are reconciled: a prediction with no scale word is read in the reference's scale (the table's, as in
  TAT-QA); one with a different scale word is converted (`1.2 million` = `1,200 thousand`). For a percent
  reference, a bare fraction (`0.1221`) is also read as a percent (12.21).
- Rounding tolerance: a number matches when it lies within half a unit of the reference's last written digit
  (reference `12.21%`: 12.205 to 12.215; `16.00%` accepts `16%`; `12.2%` does not match `12.21%`), or within
  `rel_tol` of it when given.
- A reference that is not a number (a span, or spans joined with `; `) matches on normalised text (lower case,
  punctuation and articles dropped; span sets compared as sets).
"""

from __future__ import annotations

import re
import string

import datasets
import evaluate

_DESCRIPTION = "Exact match for numeric answers: separators, parentheses negatives, percent and scale, rounding."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of generated strings.
    references: list of reference answers (e.g. "1,343 thousand", "12.21%", "-0.45", "the modified method").
    scales: optional list, per item, of the reference's scale when its text has none ("", thousand, million,
        billion, percent: TAT-QA's `scale` field).
    rel_tol: optional relative tolerance on top of the rounding rule (default 0).
Returns:
    exact_match: share of matches (0..1); scores: the per-item 0/1 values.
"""
_CITATION = "Zhu et al. (2021). TAT-QA: A Question Answering Benchmark on a Hybrid of Tabular and Textual Content."

SCALES = {"": 1.0, "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
          "b": 1e9, "percent": 1.0}
_NUMBER = re.compile(
    r"(?P<open>\()?\s*(?P<sign>[-−–])?\s*(?:[$€£¥]|usd|eur|gbp)?\s*(?P<sign2>[-−–])?\s*"
    r"(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<close>\))?\s*"
    r"(?P<unit>%|percent\b|per cent\b|thousands?\b|millions?\b|billions?\b|mn\b|bn\b|k\b|m\b|b\b)?",
    re.IGNORECASE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _unit(raw: str | None) -> str:
    if not raw:
        return ""
    raw = raw.lower().rstrip("s")
    if raw in ("%", "percent", "per cent"):
        return "percent"
    return {"thousand": "thousand", "k": "thousand", "million": "million", "mn": "million", "m": "million",
            "billion": "billion", "bn": "billion", "b": "billion"}[raw]


def parse_number(text: str) -> tuple[float, int, str] | None:
    """(value, decimals written, unit) of the answer's first number, or None when it holds none."""
    answer = text.rsplit("=", 1)[-1]
    m = _NUMBER.search(answer)
    if m is None:
        return None
    digits = m["num"].replace(",", "")
    value = float(digits)
    if m["sign"] or m["sign2"] or (m["open"] and m["close"]):
        value = -value
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return value, decimals, _unit(m["unit"])


def _norm_text(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation) - {";"})
    return " ".join(_ARTICLES.sub(" ", text).split())


def is_number_answer(reference: str) -> bool:
    """A reference is numeric when it is one number with at most a currency, sign, unit or parentheses."""
    if ";" in reference:  # several spans (TAT-QA multi-span), even when each is a number
        return False
    stripped = _NUMBER.sub("", reference.strip(), count=1)
    return parse_number(reference) is not None and not re.search(r"[a-z]{2,}", stripped.lower())


def match(prediction: str, reference: str, scale: str = "", rel_tol: float = 0.0) -> bool:
    """One prediction against one reference under the rules in the module docstring."""
    if not is_number_answer(reference):
        pred = {_norm_text(p) for p in prediction.split(";") if p.strip()}
        gold = {_norm_text(g) for g in reference.split(";") if g.strip()}
        return bool(gold) and pred == gold
    gold = parse_number(reference)
    pred = parse_number(prediction)
    if gold is None or pred is None:
        return False
    g, g_dec, g_unit = gold
    g_unit = g_unit or (scale or "")
    p, _, p_unit = pred
    candidates = []
    if g_unit == "percent":
        if p_unit in ("", "percent"):
            candidates.append(p)
        if p_unit == "":
            candidates.append(p * 100)  # a fraction written for a percent
    elif p_unit in ("", g_unit):
        candidates.append(p)
    elif p_unit != "percent":
        candidates.append(p * SCALES[p_unit] / SCALES[g_unit])
    tolerance = max(0.5 * 10 ** -g_dec, rel_tol * abs(g)) + 1e-9
    return any(abs(c - g) <= tolerance for c in candidates)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class NumericMatch(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, scales=None, rel_tol: float = 0.0):
        scales = scales or [""] * len(references)
        scores = [float(match(p, r, s, rel_tol)) for p, r, s in zip(predictions, references, scales, strict=True)]
        return {"exact_match": sum(scores) / len(scores) if scores else 0.0, "scores": scores}
