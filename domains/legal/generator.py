"""Seeded legal generator: documents (CPT text), chats (SFT), preference pairs (DPO: redlines, and right vs wrong
answers to clause typing, NLI and extraction items), labelled clauses (classification) and the suite's eval items.

Material: contracts in several drafting styles (US, UK, numbered, all-caps headings) with signature blocks,
statutes, court-opinion excerpts with docket numbers, client questions with answers, clause-type labelling,
contract NLI (entailed / contradicted / not mentioned), clause extraction with unanswerable questions
(CUAD / SQuAD-v2 style), plain-language explanations, and redlines (preferred vs risky wording). PII-dense
where legal text is: signatories' names, emails, phones, individual parties in case captions, docket and bar
numbers, so the prep report shows masking at work.

Why train and eval never meet: every template list is split by index (every 4th template is eval-only) and
every slot pool too (every 5th party, law, amount, period...; docket and bar numbers come from disjoint
ranges), so an eval clause, hypothesis, question or document cannot equal a training one
(tests/test_domain_legal.py and tests/test_domain_contract.py check it).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.data.records import classification_prompt, normalize_text, sample_options
from harness.domains import module_file


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


C = _sibling("content")
TYPES: tuple[str, ...] = C.CLAUSE_TYPES
NLI_LABELS = ("entailed", "contradicted", "not mentioned")
NOT_STATED = "not stated"
PAIR_TASKS = ("redline", "clause", "nli", "extract", "plain")
EVAL_EVERY = 4
SLOT_EVAL_EVERY = 5

# Prompts are short on purpose (issue 12): the embedded tokenizer spends ~2.3 characters per token on legal text and
# the default model was pretrained on 128-token blocks, so every boilerplate token pushes the answer further past
# the positions it knows (and costs SFT and eval time). Each task's instruction comes last, next to the answer:
# with it first, the SFT model answered every task's prompt with the same words (it did not see which task it was
# asked, README legal).
SYSTEM = "You are a legal assistant."
CLAUSE_INSTRUCTION = "Classify the type of this contract clause.\nClause: {text}\nOptions: {options}"
NLI_INSTRUCTION = "Excerpt: {premise}\nHypothesis: {hypothesis}\nEntailed, contradicted or not mentioned?"
EXTRACT_INSTRUCTION = "Contract: {context}\nQuestion: {question}\nQuote the contract, or say 'not stated'."
PLAIN_INSTRUCTION = "Clause: {clause}\nExplain this clause in plain language."
CLIENT_INSTRUCTION = "{question}\nClause: {clause}"
REDLINE_INSTRUCTION = "Redline this clause so that it is fair to {a}.\nClause: {clause}"

DEFAULTS: dict[str, Any] = {
    "n_docs": 2400,     # CPT documents
    "n_sft": 2000,      # SFT chats
    "n_dpo": 800,       # redline preference pairs
    "n_clauses": 800,   # labelled clauses (classification)
    "n_options": 4,     # clause-type options per labelling prompt; chance = 1 / n_options
    # preference pairs per task (PAIR_TASKS order): redlines, and right-vs-wrong answers to clause typing, NLI,
    # extraction and plain-language items (answer_pair says why)
    "pair_weights": (1, 1, 1, 1, 1),
    # SFT chats per task: clause type, NLI, extraction, plain language, client Q&A
    "sft_weights": (3, 3, 3, 3, 1),
    "typo_rate": 0.12,
    "lowercase_rate": 0.06,
}


# ---------------------------------------------------------------- splits, slots, noise

def _split(items: list | tuple, split: str, every: int) -> list:
    held = [x for i, x in enumerate(items) if i % every == every - 1]
    return held if split == "eval" else [x for i, x in enumerate(items) if i % every != every - 1]


def _pick(pool: list | tuple, split: str, rng: random.Random) -> Any:
    return rng.choice(_split(pool, split, SLOT_EVAL_EVERY))


def _other(pool: list | tuple, split: str, rng: random.Random, value: str) -> str:
    return rng.choice([v for v in _split(pool, split, SLOT_EVAL_EVERY) if v != value])


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice([w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:], w[:j] + w[j] + w[j:]])
    return " ".join(words)


def _noise(text: str, rng: random.Random, p: dict[str, Any]) -> str:
    if rng.random() < p["typo_rate"]:
        text = _typo(text, rng)
    if rng.random() < p["lowercase_rate"]:
        text = text.lower()
    return text


class Person:
    """A made-up individual (signatory, party, counsel); contact numbers from disjoint ranges per split."""

    def __init__(self, rng: random.Random, split: str) -> None:
        ev = split == "eval"
        self.first, self.last = _pick(C.FIRST, split, rng), _pick(C.LAST, split, rng)
        self.name = f"{self.first} {self.last}"
        self.title = rng.choice(C.TITLES)
        area = rng.choice(["212", "415", "312", "617", "206", "305"])
        self.phone = f"({area}) 555-{rng.randint(100, 199) if ev else rng.randint(200, 999):04d}"
        self.email = f"{self.first[0].lower()}.{self.last.lower()}@{rng.choice(['lawfirm', 'corp', 'legal'])}.example"


class Deal:
    """One contract's parties and values; `*2` values differ from the originals (for contradictions)."""

    def __init__(self, rng: random.Random, split: str) -> None:
        a, b = rng.sample(_split(C.COMPANIES, split, SLOT_EVAL_EVERY), 2)
        if rng.random() < 0.2:  # an individual consultant or employee as the first party
            a = Person(rng, split).name
        self.a, self.b = a, b
        self.days = _pick(C.DAYS, split, rng)
        self.years = _pick(C.YEARS, split, rng)
        self.months = _pick(C.MONTHS, split, rng)
        self.amount = _pick(C.AMOUNTS, split, rng)
        i = rng.randrange(len(C.LAWS))
        while (i % SLOT_EVAL_EVERY == SLOT_EVAL_EVERY - 1) != (split == "eval"):
            i = rng.randrange(len(C.LAWS))
        self.law, self.court = C.LAWS[i], C.COURTS[i]
        self.region = _pick(C.REGIONS, split, rng).replace("{b}", self.b)
        self.days2 = _other(C.DAYS, split, rng, self.days)
        self.years2 = _other(C.YEARS, split, rng, self.years)
        self.months2 = _other(C.MONTHS, split, rng, self.months)
        self.amount2 = _other(C.AMOUNTS, split, rng, self.amount)
        self.law2 = _other(C.LAWS, split, rng, self.law)

    def slots(self) -> dict[str, str]:
        return dict(vars(self))

    def fact(self, ctype: str) -> str:
        return getattr(self, C.FACTS[ctype]["slot"])


def tidy(text: str) -> str:
    """Capitalised, and no doubled full stop where a party ending in "Inc." closes a sentence."""
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    return text[0].upper() + text[1:] if text else text


def fill(template: str, deal: Deal) -> str:
    return tidy(template.format(**deal.slots()))


def clause(rng: random.Random, split: str, ctype: str, deal: Deal) -> str:
    text = fill(rng.choice(_split(C.CLAUSES[ctype], split, EVAL_EVERY)), deal)
    if text[0].isdigit():  # already numbered
        return text
    n, m = rng.randint(2, 24), rng.randint(1, 9)
    numbering = ["", "", f"{n}. ", f"{n}.{m} ", f"Section {n}. ", f"Clause {n}.{m}: ", f"({chr(96 + m)}) "]
    return rng.choice(numbering) + text


def hypothesis(rng: random.Random, split: str, ctype: str, deal: Deal, label: str) -> str:
    key = "contradict" if label == "contradicted" else "entail"
    return fill(rng.choice(_split(C.FACTS[ctype][key], split, EVAL_EVERY)), deal)


def plain(ctype: str, deal: Deal) -> str:
    return fill(C.FACTS[ctype]["plain"], deal)


def chat(user: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
            {"role": "assistant", "content": answer}]


# ---------------------------------------------------------------- documents (CPT text)

def _docket(rng: random.Random, split: str) -> str:
    n = rng.randint(90000, 99999) if split == "eval" else rng.randint(10000, 89999)
    year = rng.randint(15, 25)
    return rng.choice([f"{rng.randint(1, 4)}:{year}-cv-{n:05d}", f"{year}-CV-{n}", f"20{year}-{n % 10000:04d}",
                       f"CV-20{year}-{n:06d}"])


def _bar(rng: random.Random, split: str) -> str:
    return str(rng.randint(900000, 999999) if split == "eval" else rng.randint(100000, 899999))


def contract(rng: random.Random, split: str, p: dict[str, Any]) -> tuple[str, Deal, str]:
    """(document, its deal, its clause body): the body is what decontamination matches, since the heading
    boilerplate ("This Mutual Non-Disclosure Agreement (the "Agreement") is entered into on") is shared by
    design between train and eval contracts."""
    deal = Deal(rng, split)
    types = rng.sample(TYPES, rng.randint(2, 5))
    signer, counsel = Person(rng, split), Person(rng, split)
    title = rng.choice(C.CONTRACTS)
    month = rng.choice(["January", "March", "May", "July", "September", "November"])
    date = f"{month} {rng.randint(1, 28)}, 20{rng.randint(18, 26)}"
    style = rng.randrange(3)
    if style == 0:
        head = (f"{title}\n\nThis {title.title()} (the \"Agreement\") is entered into on {date} between {deal.a} and "
                f"{deal.b}.\n")
        body = "\n".join(f"{i}. {clause(rng, split, t, deal)}" for i, t in enumerate(types, 1))
    elif style == 1:
        head = f"{title} dated {date}\nPARTIES: (1) {deal.a}; (2) {deal.b}.\nIT IS AGREED as follows:\n"
        body = "\n".join(f"{t.upper()}\n{clause(rng, split, t, deal)}" for t in types)
    else:
        head = f"Excerpt from the {title.lower()} between {deal.a} and {deal.b}:\n"
        body = " ".join(clause(rng, split, t, deal) for t in types)
    sign = rng.choice([
        f"\n\nSigned for {deal.b} by {signer.name}, {signer.title}. Email: {signer.email}. Tel: {signer.phone}.",
        f"\n\nBy: {signer.name}\nTitle: {signer.title}\nNotices to: {signer.email}, {signer.phone}",
        f"\n\nCopy to counsel: {counsel.name} ({counsel.email}), Bar No. {_bar(rng, split)}.",
        "",
    ])
    return _noise(tidy(head + body + sign), rng, {**p, "lowercase_rate": 0.0}), deal, tidy(body)


def statute(rng: random.Random, split: str) -> str:
    deal = Deal(rng, split)
    if split == "train":
        sec = f"{rng.randint(1, 60)}-{rng.randint(100, 999)}"
    else:
        sec = f"{rng.randint(61, 99)}.{rng.randint(10, 99)}"
    template = rng.choice(_split(C.STATUTES, split, EVAL_EVERY))
    return tidy(template.format(sec=sec, court=rng.choice(C.OPINION_COURTS), years=deal.years, amount=deal.amount,
                                days=deal.days))


def opinion(rng: random.Random, split: str) -> str:
    plaintiff = Person(rng, split)
    defendant = rng.choice([Person(rng, split).last, _pick(C.COMPANIES, split, rng)])
    lawyer = Person(rng, split)
    return tidy(rng.choice(_split(C.OPINIONS, split, EVAL_EVERY)).format(
        p=rng.choice([plaintiff.last, plaintiff.name]), d=defendant, docket=_docket(rng, split),
        court=rng.choice(C.OPINION_COURTS), year=rng.randint(2005, 2025), topic=rng.choice(C.TOPICS),
        lawyer=lawyer.name, bar=_bar(rng, split)))


def client_question(rng: random.Random, split: str, ctype: str, deal: Deal, p: dict[str, Any]) -> tuple[str, str]:
    question = _noise(fill(rng.choice(_split(C.CLIENT_QUESTIONS[ctype], split, EVAL_EVERY)), deal), rng, p)
    return CLIENT_INSTRUCTION.format(question=question, clause=clause(rng, split, ctype, deal)), \
        f"Under this clause: {plain(ctype, deal)}"


# ---------------------------------------------------------------- task items (shared by SFT and the suite)

def clause_item(rng: random.Random, split: str, ctype: str, n_options: int) -> dict[str, Any]:
    deal = Deal(rng, split)
    text = clause(rng, split, ctype, deal)
    options = sample_options(ctype, TYPES, n_options, rng)
    return {"clause": text, "label": ctype, "options": options,
            "user": classification_prompt(text, options, CLAUSE_INSTRUCTION)}


def nli_item(rng: random.Random, split: str, label: str) -> dict[str, Any]:
    deal = Deal(rng, split)
    ctypes = rng.sample(TYPES, rng.choice([1, 1, 2]))
    premise = " ".join(clause(rng, split, t, deal) for t in ctypes)
    if label == "not mentioned":
        topic = rng.choice([t for t in TYPES if t not in ctypes])
    else:
        topic = ctypes[0]
    hyp = hypothesis(rng, split, topic, deal, label)
    return {"premise": premise, "hypothesis": hyp, "label": label, "topic": topic,
            "user": NLI_INSTRUCTION.format(premise=premise, hypothesis=hyp)}


def extract_item(rng: random.Random, split: str, answerable: bool) -> dict[str, Any]:
    deal = Deal(rng, split)
    ctypes = rng.sample(TYPES, 3)  # two in the contract, the third only asked about when unanswerable
    present = ctypes[:2]
    context = " ".join(clause(rng, split, t, deal) for t in present)
    topic = present[0] if answerable else ctypes[2]
    question = rng.choice(_split(C.FACTS[topic]["question"], split, EVAL_EVERY))
    answer = deal.fact(topic) if answerable else ""
    start = context.find(answer) if answer else -1
    if answer and start < 0:  # a clause wording that does not state the slot verbatim: treat as unanswerable
        answer = ""
    # a wrong answer a reader could give: the other clause's fact (answerable), the first clause's (unanswerable)
    wrong = deal.fact(present[1] if answer else present[0])
    return {"context": context, "question": question, "topic": topic,
            "answers": {"text": [answer] if answer else [], "answer_start": [start] if answer else []},
            "user": EXTRACT_INSTRUCTION.format(context=context, question=question),
            "wrong": wrong if wrong in context and wrong != answer else NOT_STATED if answer else ""}


def plain_item(rng: random.Random, split: str, ctype: str) -> dict[str, Any]:
    deal = Deal(rng, split)
    text = clause(rng, split, ctype, deal)
    other = TYPES[(TYPES.index(ctype) + 1 + len(text) % (len(TYPES) - 1)) % len(TYPES)]  # never ctype
    return {"clause": text, "reference": plain(ctype, deal), "topic": ctype,
            "user": PLAIN_INSTRUCTION.format(clause=text),
            "wrong": plain(other, deal)}  # another type's reading of the same deal (a DPO rejection)


def redline_pair(rng: random.Random, split: str) -> dict[str, Any]:
    ctype, deal = rng.choice(TYPES), Deal(rng, split)
    risky, other = rng.sample(C.RISKY[ctype], 2)
    good = rng.choice(C.PREFERRED[ctype])
    rejected = rng.choice([other, risky, clause(rng, split, ctype, deal)])  # riskier / unchanged / not a redline
    return {"prompt": tidy(REDLINE_INSTRUCTION.format(a=deal.a, clause=fill(risky, deal))),
            "chosen": fill(good, deal), "rejected": fill(rejected, deal),
            "meta": {"task": "redline", "clause_type": ctype, "system": SYSTEM}}


def answer_pair(rng: random.Random, split: str, task: str, n_options: int) -> dict[str, Any] | None:
    """A review answer over a fresh train item: the right clause type / NLI label / extracted span (or "not
    stated") / plain-language reading chosen, a wrong one rejected: a listed distractor type, another NLI label,
    the other clause's fact, another clause type's reading.

    Why: lm-eval scores the multiple-choice tasks by the log-likelihood of each option after the prompt, and a
    DPO pair raises exactly the right option's log-likelihood over a wrong one's; SFT alone only raises the right
    one's, and on the default model that left clause typing and NLI at chance (README, legal). None when an
    extraction item has no wrong span to offer."""
    if task == "clause":
        item = clause_item(rng, split, rng.choice(TYPES), n_options)
        chosen = item["label"]
        rejected = rng.choice([o for o in item["options"] if o != chosen])
    elif task == "nli":
        item = nli_item(rng, split, rng.choice(NLI_LABELS))
        chosen = item["label"]
        rejected = rng.choice([label for label in NLI_LABELS if label != chosen])
    elif task == "plain":
        item = plain_item(rng, split, rng.choice(TYPES))
        chosen, rejected = item["reference"], item["wrong"]
    else:
        item = extract_item(rng, split, rng.random() < 0.67)
        chosen, rejected = (item["answers"]["text"] or [NOT_STATED])[0], item["wrong"]
        if not rejected:
            return None
    return {"prompt": item["user"], "chosen": chosen, "rejected": rejected, "meta": {"task": task, "system": SYSTEM}}


# ---------------------------------------------------------------- train and eval

def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train-split records keyed by dataset: docs (text), chats (chat), pairs (preference), clauses
    (classification)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown legal generator params {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    rng = random.Random(f"legal-train-{seed}")
    docs = []
    for i in range(p["n_docs"]):
        genre = rng.choices(["contract", "statute", "opinion", "client"], weights=[6, 2, 2, 1])[0]
        if genre == "contract":
            text = contract(rng, "train", p)[0]
        elif genre == "statute":
            text = statute(rng, "train")
        elif genre == "opinion":
            text = opinion(rng, "train")
        else:
            ctype = rng.choice(TYPES)
            user, answer = client_question(rng, "train", ctype, Deal(rng, "train"), p)
            text = f"Client: {user}\nLawyer: {answer}"
        docs.append({"id": f"doc-{i:05d}", "text": text, "meta": {"genre": genre}})
    chats = []
    for i in range(p["n_sft"]):
        task = rng.choices(["clause", "nli", "extract", "plain", "client"], weights=p["sft_weights"])[0]
        if task == "clause":
            item = clause_item(rng, "train", rng.choice(TYPES), p["n_options"])
            messages = chat(item["user"], item["label"])
        elif task == "nli":
            item = nli_item(rng, "train", rng.choice(NLI_LABELS))
            messages = chat(item["user"], item["label"])
        elif task == "extract":
            item = extract_item(rng, "train", rng.random() < 0.67)
            messages = chat(item["user"], (item["answers"]["text"] or [NOT_STATED])[0])
        elif task == "plain":
            item = plain_item(rng, "train", rng.choice(TYPES))
            messages = chat(item["user"], item["reference"])
        else:
            ctype = rng.choice(TYPES)
            messages = chat(*client_question(rng, "train", ctype, Deal(rng, "train"), p))
        chats.append({"id": f"sft-{i:05d}", "messages": messages, "meta": {"task": task}})
    pairs: list[dict[str, Any]] = []
    while len(pairs) < p["n_dpo"]:
        task = rng.choices(PAIR_TASKS, weights=p["pair_weights"])[0]
        pair = redline_pair(rng, "train") if task == "redline" else answer_pair(rng, "train", task, p["n_options"])
        if pair is not None:
            pairs.append({"id": f"dpo-{len(pairs):05d}", **pair})
    clauses = []
    for i in range(p["n_clauses"]):
        ctype = TYPES[i % len(TYPES)]
        clauses.append({"id": f"clause-{i:05d}", "text": clause(rng, "train", ctype, Deal(rng, "train")),
                        "label": ctype})
    return {"docs": docs, "chats": chats, "pairs": pairs, "clauses": clauses}


def eval_items(seed: int = 0, *, n_clause: int = 400, n_nli: int = 400, n_extract: int = 90, n_ppl: int = 64,
               n_plain: int = 40, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items (balanced labels / clause types), each text distinct from every other item's."""
    p = {**DEFAULTS, **params}
    rng = random.Random(f"legal-eval-{seed}")
    seen: set[str] = set()

    def fresh(text: str) -> bool:
        key = normalize_text(text)
        if key in seen:
            return False
        seen.add(key)
        return True

    out: dict[str, list[dict[str, Any]]] = {"clause": [], "nli": [], "extract": [], "ppl": [], "plain": []}
    while len(out["clause"]) < n_clause:
        item = clause_item(rng, "eval", TYPES[len(out["clause"]) % len(TYPES)], p["n_options"])
        if fresh(item["clause"]):
            out["clause"].append({"id": f"clause-{len(out['clause']):04d}", "system": SYSTEM,
                                  "choices": item["options"], "gold": item["options"].index(item["label"]),
                                  "decontam": [item["clause"]], **item})
    while len(out["nli"]) < n_nli:
        item = nli_item(rng, "eval", NLI_LABELS[len(out["nli"]) % 3])
        if fresh(item["premise"] + "|" + item["hypothesis"]):
            out["nli"].append({"id": f"nli-{len(out['nli']):04d}", "system": SYSTEM, "choices": list(NLI_LABELS),
                               "gold": NLI_LABELS.index(item["label"]),
                               "decontam": [item["premise"], item["hypothesis"]], **item})
    while len(out["extract"]) < n_extract:
        item = extract_item(rng, "eval", len(out["extract"]) % 3 != 2)  # a third unanswerable
        if fresh(item["context"] + "|" + item["question"]):
            item.pop("wrong")
            out["extract"].append({"id": f"extract-{len(out['extract']):04d}", "system": SYSTEM,
                                   "decontam": [item["context"]], **item})
    while len(out["ppl"]) < n_ppl:
        genre = ["contract", "contract", "statute", "opinion"][len(out["ppl"]) % 4]
        if genre == "contract":
            text, _, body = contract(rng, "eval", p)
        else:
            text = body = statute(rng, "eval") if genre == "statute" else opinion(rng, "eval")
        if fresh(text):
            out["ppl"].append({"id": f"ppl-{len(out['ppl']):04d}", "genre": genre, "document": text,
                               "decontam": [body]})
    while len(out["plain"]) < n_plain:
        item = plain_item(rng, "eval", TYPES[len(out["plain"]) % len(TYPES)])
        item.pop("wrong")
        if fresh(item["clause"]):
            out["plain"].append({"id": f"plain-{len(out['plain']):04d}", "system": SYSTEM,
                                 "decontam": [item["clause"]], **item})
    return out
