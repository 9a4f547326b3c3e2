"""Seeded finance generator: filings and earnings calls (CPT text), chats (SFT), preference pairs (DPO),
headline sentiment labels (classification) and the suite's eval items.

Material: 10-K / 10-Q / annual-report excerpts with small statement tables, earnings-call remarks and analyst
Q&A, news headlines with sentiment (Financial PhraseBank-style sentences among them), compliance Q&A, and
payment / card / KYC correspondence that carries IBANs, card numbers and account numbers on purpose so the
prep report shows masking. Analyst questions over a table have numeric answers (a value, a change, a growth
rate, a margin, an average, a ratio) in the table's scale (thousands, millions) or in percent.

Questions are phrased from the same templates in both splits (as analysts ask the same things of every
table); what an eval item holds that no training text does is its table (eval years, values) and context
(eval company), so that is what the suite items give decontamination (`decontam`).

Why train and eval never meet: every template list is split by index (every 4th template is eval-only),
every slot pool too (every 5th company, analyst, driver... is eval-only), and eval tables are dated 2022-2025
while training tables are dated 2010-2021, so no eval table, question or headline equals a training one
(tests/test_domain_finance.py and tests/test_domain_contract.py check it).
"""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.data.records import classification_prompt, normalize_text, sample_options
from harness.domains import module_file

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


C = _sibling("content")
T = _sibling("tables")

SENTIMENTS = ("negative", "neutral", "positive")
EVAL_EVERY = 4
SLOT_EVAL_EVERY = 5
YEARS = {"train": (2010, 2021), "eval": (2022, 2025)}

SYSTEM = "You are a careful financial analyst. Be exact with numbers and follow compliance rules."
SENTIMENT_INSTRUCTION = ("Classify the sentiment of this financial news headline.\nHeadline: {text}\n"
                         "Options: {options}\nAnswer with one option.")
QA_INSTRUCTION = "Answer from the table and text with the number and its unit."
DERIVATION_INSTRUCTION = "Answer from the table: show the calculation and its result."
COMPLIANCE_INSTRUCTION = "Compliance question: {question}"

DEFAULTS: dict[str, Any] = {
    "n_docs": 2400,      # CPT documents
    "n_sft": 2000,       # SFT chats
    "n_dpo": 800,        # preference pairs
    "n_headlines": 900,  # labelled headlines (classification head)
    "typo_rate": 0.1,
    "lowercase_rate": 0.05,
}


# ---------------------------------------------------------------- splits and slots

def _split(items: list | tuple, split: str, every: int) -> list:
    held = [x for i, x in enumerate(items) if i % every == every - 1]
    return held if split == "eval" else [x for i, x in enumerate(items) if i % every != every - 1]


def _pick(pool: list | tuple, split: str, rng: random.Random) -> Any:
    return rng.choice(_split(pool, split, SLOT_EVAL_EVERY))


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice([w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:]])
    return " ".join(words)


def _noise(text: str, rng: random.Random, p: dict[str, Any]) -> str:
    if rng.random() < p["typo_rate"]:
        text = _typo(text, rng)
    if rng.random() < p["lowercase_rate"]:
        text = text.lower()
    return text


# ---------------------------------------------------------------- PII-bearing identifiers (valid on purpose)

def iban(rng: random.Random) -> str:
    """A checksum-valid IBAN (GB / NL / IE / DE layouts), printed in groups of four as banks do."""
    from stdnum import iban as stdnum_iban

    country = rng.choice(["GB", "NL", "IE", "DE"])
    digits = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
    bank = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(4))
    bban = {"GB": bank + digits(14), "NL": bank + digits(10), "IE": bank + digits(14), "DE": digits(18)}[country]
    compact = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def card(rng: random.Random) -> str:
    """A Luhn-valid 16-digit card number in 4-4-4-4 groups (Visa / Mastercard prefixes)."""
    from stdnum import luhn

    body = rng.choice(["4", "51", "53", "55"])
    body += "".join(str(rng.randrange(10)) for _ in range(15 - len(body)))
    number = body + luhn.calc_check_digit(body)
    return " ".join(number[i:i + 4] for i in range(0, 16, 4))


class Slots:
    """Everything a template may name, drawn from the split's pools."""

    def __init__(self, rng: random.Random, split: str) -> None:
        self.rng, self.split = rng, split
        self.co, self.tk, self.sector = _pick(C.COMPANIES, split, rng)
        lo, hi = YEARS[split]
        self.y1 = rng.randint(lo + 1, hi)
        self.y0 = self.y1 - 1
        self.q = rng.choice(C.QUARTERS)
        self.cur = rng.choice(C.CURRENCIES)
        self.analyst = _pick(C.ANALYSTS, split, rng)
        self.bank = _pick(C.BANKS, split, rng)
        self.exec = _pick(C.EXECS, split, rng)

    def values(self, **extra: Any) -> dict[str, Any]:
        rng = self.rng
        item, (lo, hi), _ = rng.choice(C.LINE_ITEMS)
        v0 = rng.randint(lo, hi)
        up = rng.random() < 0.6
        v1 = round(v0 * (1 + (1 if up else -1) * rng.uniform(0.01, 0.35)))
        pct = f"{abs(v1 - v0) / v0 * 100:.1f}"
        return {
            "co": self.co, "tk": self.tk, "y0": self.y0, "y1": self.y1, "q": self.q, "cur": self.cur,
            "analyst": self.analyst, "bank": self.bank, "exec": self.exec, "item": item, "item_lower": item.lower(),
            "v0": f"{v0:,}", "v1": f"{v1:,}", "pct": pct, "scale_word": rng.choice(["thousand", "million"]),
            "dir_word": "an increase" if up else "a decrease", "dir_verb": "rose" if up else "fell",
            "margin_word": rng.choice(["stable", "slightly higher", "under pressure", "ahead of plan"]),
            "driver": _pick(C.DRIVERS_UP if up else C.DRIVERS_DOWN, self.split, rng),
            "reason": _pick(C.REASONS, self.split, rng), "city": _pick(C.CITIES, self.split, rng),
            "month": rng.choice(C.MONTHS), "date": f"{rng.choice(C.MONTHS)} {rng.randint(1, 28)}",
            "n": rng.randint(2, 90) * 10, "n2": rng.randint(3, 40), "up": up, **extra,
        }


# ---------------------------------------------------------------- documents (CPT text)

def filing(s: Slots, split: str) -> str:
    pool = _split(C.FILING + C.CALL, split, EVAL_EVERY)
    template = s.rng.choice(pool)
    table = T.random_table(s.rng, s.co, s.y0, s.y1) if "{table}" in template else None
    v = s.values(table=table.render() if table else "")
    if table is not None:
        v["scale_word"] = table.scale + "s"
    return template.format(**v)


def headline(s: Slots, split: str, label: str) -> str:
    v = s.values()
    text = s.rng.choice(_split(C.HEADLINES[label], split, EVAL_EVERY)).format(**v)
    return text[0].upper() + text[1:]


def compliance(s: Slots, split: str) -> tuple[str, str]:
    question, answer = s.rng.choice(_split(C.COMPLIANCE, split, EVAL_EVERY))
    v = {"cur": s.cur, "co": s.co, "tk": s.tk, "big": f"{s.rng.randint(11, 95) * 1000:,}",
         "small": f"{s.rng.randint(120, 950)}"}
    return question.format(**v), answer


def correspondence(s: Slots) -> str:
    rng = s.rng
    c = card(rng)
    v = {"cust": _pick(C.CUSTOMERS, s.split, rng), "acct": f"{rng.randint(10_000_000, 99_999_999)}",
         "iban": iban(rng), "card": c, "card_last4": c[-4:], "cur": s.cur, "small": f"{rng.randint(40, 9_900):,}",
         "big": f"{rng.randint(20, 900) * 1000:,}", "inv": f"INV-{rng.randint(100000, 999999)}",
         "phone": f"+44 20 7946 {rng.randint(0, 999):04d}", "sort": f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-"
         f"{rng.randint(10, 99)}", "city": _pick(C.CITIES, s.split, rng)}
    return rng.choice(C.CORRESPONDENCE).format(**v)


def document(rng: random.Random, split: str, p: dict[str, Any]) -> tuple[str, str]:
    kind = rng.choices(["filing", "worked", "news", "compliance", "correspondence"], weights=[5, 3, 2, 2, 2])[0]
    s = Slots(rng, split)
    if kind == "filing":
        text = filing(s, split)
    elif kind == "worked":  # an analyst's worked question over a table, as in a research note
        item = qa_item(rng, split)
        text = f"{item['table']}\n{item['context']}\nQ: {item['question']}\nA: {item['derivation']}"
    elif kind == "news":
        heads = [headline(Slots(rng, split), split, rng.choice(SENTIMENTS)) for _ in range(rng.randint(3, 6))]
        text = "Market wrap:\n" + "\n".join(f"- {h}" for h in heads)
    elif kind == "compliance":
        q, a = compliance(s, split)
        text = f"Compliance desk FAQ\nQ: {q}\nA: {a}"
    else:
        text = correspondence(s)
    return _noise(text, rng, p), kind


# ---------------------------------------------------------------- analyst questions over a table

def qa_item(rng: random.Random, split: str, qtype: str | None = None) -> dict[str, Any]:
    """A table with a short text and one question whose answer is a number (value, scale, derivation)."""
    s = Slots(rng, split)
    table = T.random_table(rng, s.co, s.y0, s.y1)
    q = T.question(table, rng, qtype)
    context = f"{s.co} ({s.tk}), fiscal {s.y1}; dollars in {table.scale}s."
    rendered = table.render()
    return {"company": s.co, "table": rendered, "context": context, "question": q.question, "answer": q.answer,
            "value": q.value, "scale": q.scale, "derivation": q.derivation, "qtype": q.qtype, "wrong": q.wrong}


def qa_prompt(table: str, context: str, question: str) -> str:
    return f"{QA_INSTRUCTION}\n{table}\n{context}\nQuestion: {question}"


def derivation_prompt(table: str, question: str) -> str:
    return f"{DERIVATION_INSTRUCTION}\n{table}\nQuestion: {question}"


def sentiment_prompt(text: str, options: list[str]) -> str:
    return classification_prompt(text, options, SENTIMENT_INSTRUCTION)


def chat(user: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
            {"role": "assistant", "content": answer}]


# ---------------------------------------------------------------- train data

def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by the manifest's dataset names: docs (text), chats (chat), pairs (preference),
    headlines (classification)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown finance generator params {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    rng = random.Random(f"finance-train-{seed}")
    docs = []
    for i in range(p["n_docs"]):
        text, kind = document(rng, "train", p)
        docs.append({"id": f"doc-{i:05d}", "text": text, "meta": {"genre": kind}})
    chats = []
    for i in range(p["n_sft"]):
        u = rng.random()
        if u < 0.3:
            it = qa_item(rng, "train")
            user, answer, task = qa_prompt(it["table"], it["context"], it["question"]), it["answer"], "tableqa"
        elif u < 0.55:
            it = qa_item(rng, "train", rng.choice(T.DERIVED_QTYPES))
            user, answer, task = derivation_prompt(it["table"], it["question"]), it["derivation"], "derivation"
        elif u < 0.8:
            label = SENTIMENTS[i % 3]
            text = _noise(headline(Slots(rng, "train"), "train", label), rng, p)
            options = sample_options(label, SENTIMENTS, 3, rng)
            user, answer, task = sentiment_prompt(text, options), label, "sentiment"
        else:
            q, a = compliance(Slots(rng, "train"), "train")
            user, answer, task = COMPLIANCE_INSTRUCTION.format(question=q), a, "compliance"
        chats.append({"id": f"sft-{i:05d}", "messages": chat(user, answer), "meta": {"task": task}})
    pairs = []
    for i in range(p["n_dpo"]):
        u = rng.random()
        if u < 0.6:
            it = qa_item(rng, "train", rng.choice(T.DERIVED_QTYPES))
            wrong = T.wrong_derivation(it, rng)
            prompt, chosen, rejected = derivation_prompt(it["table"], it["question"]), it["derivation"], wrong
        elif u < 0.8:
            label = rng.choice(SENTIMENTS)
            text = headline(Slots(rng, "train"), "train", label)
            options = sample_options(label, SENTIMENTS, 3, rng)
            prompt, chosen = sentiment_prompt(text, options), label
            rejected = rng.choice([lab for lab in SENTIMENTS if lab != label])
        else:
            q, a = compliance(Slots(rng, "train"), "train")
            prompt, chosen, rejected = COMPLIANCE_INSTRUCTION.format(question=q), a, rng.choice(C.COMPLIANCE_BAD)
        pairs.append({"id": f"dpo-{i:05d}", "prompt": prompt, "chosen": chosen, "rejected": rejected,
                      "meta": {"system": SYSTEM}})
    headlines = []
    for i in range(p["n_headlines"]):
        label = SENTIMENTS[i % 3]
        headlines.append({"id": f"head-{i:05d}", "text": _noise(headline(Slots(rng, "train"), "train", label), rng, p),
                          "label": label})
    return {"docs": docs, "chats": chats, "pairs": pairs, "headlines": headlines}


# ---------------------------------------------------------------- suite items

def eval_items(seed: int = 0, *, n_sentiment: int = 402, n_tableqa: int = 400, n_ppl: int = 64,
               n_derivation: int = 60, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items (eval pools and years only): sentiment exactly balanced over the three labels,
    table questions cycling through the question types, filing excerpts for perplexity."""
    rng = random.Random(f"finance-eval-{seed}")
    seen: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {"sentiment": [], "tableqa": [], "ppl": [], "derivation": []}

    def fresh(text: str) -> bool:
        key = normalize_text(text)
        if key in seen:
            return False
        seen.add(key)
        return True

    while len(out["sentiment"]) < n_sentiment:
        label = SENTIMENTS[len(out["sentiment"]) % 3]
        text = headline(Slots(rng, "eval"), "eval", label)
        if not fresh(text):
            continue
        options = sample_options(label, SENTIMENTS, 3, rng)
        out["sentiment"].append({"id": f"sentiment-{len(out['sentiment']):04d}", "system": SYSTEM,
                                 "user": sentiment_prompt(text, options), "headline": text, "label": label,
                                 "choices": options, "gold": options.index(label), "decontam": [text]})
    while len(out["tableqa"]) < n_tableqa:
        it = qa_item(rng, "eval", T.QTYPES[len(out["tableqa"]) % len(T.QTYPES)])
        if not fresh(it["table"] + it["question"]):
            continue
        out["tableqa"].append({"id": f"tableqa-{len(out['tableqa']):04d}", "system": SYSTEM,
                               "user": qa_prompt(it["table"], it["context"], it["question"]),
                               **{k: it[k] for k in ("question", "answer", "scale", "qtype", "derivation")},
                               "decontam": [f"{it['table']}\n{it['context']}"]})
    while len(out["ppl"]) < n_ppl:
        text = filing(Slots(rng, "eval"), "eval")
        if fresh(text):
            out["ppl"].append({"id": f"ppl-{len(out['ppl']):04d}", "filing": text, "decontam": [text]})
    while len(out["derivation"]) < n_derivation:
        it = qa_item(rng, "eval", T.DERIVED_QTYPES[len(out["derivation"]) % len(T.DERIVED_QTYPES)])
        if not fresh(it["table"] + it["question"]):
            continue
        out["derivation"].append({"id": f"derivation-{len(out['derivation']):04d}", "system": SYSTEM,
                                  "user": derivation_prompt(it["table"], it["question"]),
                                  **{k: it[k] for k in ("question", "answer", "scale", "qtype", "derivation")},
                                  "decontam": [it["table"]]})
    for rows in out.values():
        rng.shuffle(rows)
    return out
