"""Financial tables as the model reads them, and numeric questions over them.

One text form for every table that reaches a model (generated statements, TAT-QA / FinQA tables read from
files): a Markdown pipe table, the first row as the header, a `| --- |` separator, one line per row, cells
stripped, line breaks inside a cell replaced by a space, `|` escaped, ragged rows padded. Numbers keep the
writing of their source (thousands separators, negatives in parentheses), because that is what a filing shows
and what the answer has to be read from.

Answers are written `answer_text(value, scale)`: `12.21%` (percent), `1,343 thousand`, `571.6 million`, or the
bare number; the suite's numeric metric accepts any equivalent writing (see suite/metrics/numeric_match).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

REVENUE = ["Revenue", "Net sales", "Total revenues"]
PROFITS = {"Gross profit": "gross margin", "Operating income": "operating margin", "Net income": "net margin"}
OTHERS = ["Selling, general and administrative", "Research and development", "Operating cash flow",
          "Capital expenditures", "Total assets", "Total liabilities", "Cash and cash equivalents", "Inventories",
          "Accounts receivable", "Long-term debt", "Interest expense", "Deferred revenue"]
SIGNED = "Other income (expense), net"
QTYPES = ("value", "change", "growth", "margin", "average", "ratio")
DERIVED_QTYPES = QTYPES[1:]  # every type with a calculation to show


def render_table(rows: list[list[Any]]) -> str:
    """The one text form of a table: Markdown pipes, header row, separator, one line per row."""
    cells = [[" ".join(str(c if c is not None else "").split()).replace("|", "\\|") for c in row] for row in rows]
    cells = [r for r in cells if r]
    if not cells:
        return ""
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join([lines[0], "| " + " | ".join(["---"] * width) + " |", *lines[1:]])


def format_number(value: float, decimals: int | None = None) -> str:
    """Thousands separators; `decimals` fixed, or as written (ints without, floats with their digits)."""
    if decimals is None:
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,}"
    return f"{value:,.{decimals}f}"


def table_cell(value: float, decimals: int) -> str:
    """A cell as a statement prints it: negatives in parentheses."""
    text = format_number(abs(value), decimals)
    return f"({text})" if value < 0 else text


def answer_text(value: float | str, scale: str = "", decimals: int | None = None) -> str:
    """The answer as the model should write it: number plus scale (`%` for percent)."""
    if isinstance(value, str):
        number = value
    else:
        number = format_number(value, decimals)
    if scale == "percent":
        return f"{number}%"
    return f"{number} {scale}" if scale else number


@dataclass
class Table:
    company: str
    years: tuple[int, int]  # (y0, y1): the older year first; columns print the newer first
    scale: str  # thousand | million
    decimals: int
    rows: dict[str, tuple[float, float]] = field(default_factory=dict)  # item -> (y0 value, y1 value)

    def render(self) -> str:
        y0, y1 = self.years
        body = [[item, table_cell(v1, self.decimals), table_cell(v0, self.decimals)]
                for item, (v0, v1) in self.rows.items()]
        return render_table([[f"(in {self.scale}s)", str(y1), str(y0)], *body])


def random_table(rng: random.Random, company: str, y0: int, y1: int) -> Table:
    """Revenue, one profit line, one or two other lines, sometimes a signed line (negatives in parentheses)."""
    scale = rng.choice(["thousand", "million"])
    decimals = 0 if scale == "thousand" else 1
    unit = 1.0 if scale == "thousand" else 0.01  # millions: smaller figures with one decimal
    t = Table(company, (y0, y1), scale, decimals)

    def pair(lo: float, hi: float) -> tuple[float, float]:
        a = round(rng.uniform(lo, hi) * unit, decimals)
        b = round(a * (1 + rng.uniform(-0.3, 0.4)), decimals)
        return a, b

    revenue = pair(8_000, 95_000)
    t.rows[rng.choice(REVENUE)] = revenue
    profit = rng.choice(list(PROFITS))
    share = rng.uniform(0.05, 0.45)
    t.rows[profit] = (round(revenue[0] * share, decimals), round(revenue[1] * share * rng.uniform(0.8, 1.2), decimals))
    for item in rng.sample(OTHERS, 1 if rng.random() < 0.75 else 2):
        t.rows[item] = pair(500, 40_000)
    if rng.random() < 0.2:
        t.rows[SIGNED] = (round(rng.uniform(-900, 900) * unit, decimals), round(rng.uniform(-900, 900) * unit,
                                                                                    decimals))
    return t


@dataclass
class Question:
    qtype: str
    question: str
    value: float
    scale: str
    answer: str
    derivation: str
    wrong: list[str]


def question(t: Table, rng: random.Random, qtype: str | None = None) -> Question:
    """One analyst question over the table, its numeric answer and the calculation that gives it."""
    qtype = qtype or rng.choice(QTYPES)
    y0, y1 = t.years
    items = list(t.rows)
    item = rng.choice([i for i in items if i != SIGNED] if qtype == "growth" else items)
    v0, v1 = t.rows[item]
    year = rng.choice(t.years)
    d = t.decimals
    f = lambda x, n=d: format_number(x, n)  # noqa: E731
    if qtype == "value":
        v = v1 if year == y1 else v0
        ans = answer_text(v, t.scale, d)
        return Question(qtype, f"What was {item.lower()} in {year}?", v, t.scale, ans, ans,
                        [answer_text(v0 if year == y1 else v1, t.scale, d), answer_text(v, "", d)])
    if qtype == "change":
        v = round(v1 - v0, d)
        ans = answer_text(v, t.scale, d)
        return Question(qtype, f"What was the change in {item.lower()} from {y0} to {y1}?", v, t.scale, ans,
                        f"{f(v1)} - {f(v0)} = {ans}",
                        [f"{f(v0)} - {f(v1)} = {answer_text(-v, t.scale, d)}", f"{f(v1)} - {f(v0)} = {f(v)} %"])
    if qtype == "growth":
        v = round((v1 - v0) / v0 * 100, 2)
        wrong = round((v1 - v0) / v1 * 100, 2)
        return Question(qtype, f"What was the percentage change in {item.lower()} from {y0} to {y1}?", v, "percent",
                        answer_text(v, "percent", 2), f"({f(v1)} - {f(v0)}) / {f(v0)} * 100 = {f(v, 2)}%",
                        [f"({f(v1)} - {f(v0)}) / {f(v1)} * 100 = {f(wrong, 2)}%",
                         f"{f(v1)} - {f(v0)} = {f(round(v1 - v0, d))}%"])
    if qtype == "margin":
        revenue = next(i for i in items if i in REVENUE)
        profit = next(i for i in items if i in PROFITS)
        r, p = t.rows[revenue][year == y1], t.rows[profit][year == y1]
        v = round(p / r * 100, 2)
        return Question(qtype, f"What was the {PROFITS[profit]} in {year}?", v, "percent",
                        answer_text(v, "percent", 2), f"{f(p)} / {f(r)} * 100 = {f(v, 2)}%",
                        [f"{f(r)} / {f(p)} * 100 = {f(round(r / p * 100, 2), 2)}%",
                         f"{f(p)} / {f(r)} = {f(v / 100, 4)}"])
    if qtype == "average":
        v = round((v0 + v1) / 2, 2)
        ans = answer_text(v, t.scale, 2 if not float(v * 10 ** d).is_integer() else d)
        return Question(qtype, f"What was the average {item.lower()} for {y0} and {y1}?", v, t.scale, ans,
                        f"({f(v1)} + {f(v0)}) / 2 = {ans}",
                        [f"{f(v1)} + {f(v0)} = {answer_text(round(v0 + v1, d), t.scale, d)}",
                         f"({f(v1)} - {f(v0)}) / 2 = {answer_text(round((v1 - v0) / 2, 2), t.scale, 2)}"])
    # ratio of two different lines in one year
    a, b = rng.sample([i for i in items if i != SIGNED], 2)
    va, vb = t.rows[a][year == y1], t.rows[b][year == y1]
    v = round(va / vb, 2)
    return Question("ratio", f"What was the ratio of {a.lower()} to {b.lower()} in {year}?", v, "",
                    answer_text(v, "", 2), f"{f(va)} / {f(vb)} = {f(v, 2)}",
                    [f"{f(vb)} / {f(va)} = {f(round(vb / va, 2), 2)}", f"{f(va)} - {f(vb)} = {f(round(va - vb, d))}"])


def wrong_derivation(item: dict[str, Any], rng: random.Random) -> str:
    """A plausible wrong answer for a preference pair: wrong base year, wrong sign, wrong operation or scale."""
    return rng.choice(item["wrong"])
