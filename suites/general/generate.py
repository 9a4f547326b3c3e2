"""Regenerate suites/general/data/*.jsonl from the fact tables of harness.models.general_corpus.

Deterministic (its own seed, different from the training corpus). The multiple-choice tasks ask about
facts the embedded base model was taught, with the answer at the end in one of the corpus' phrasings
and three same-type distractors, so accuracy measures retained general knowledge (chance = 0.25). The
perplexity docs are fresh everyday narratives checked not to occur verbatim in the training corpus.

    .venv/bin/python suites/general/generate.py
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from harness.models import general_corpus as gc  # noqa: E402

SEED = "general-suite-v1"
ITEMS_PER_TASK = 160
PPL_DOCS = 80

Item = tuple[str, str, list[str]]  # context, answer, distractor pool


def _numbers(answer: int, *extra: int) -> list[str]:
    pool = {answer - 2, answer - 1, answer + 1, answer + 2, answer + 10, answer * 2, *extra}
    return [str(n) for n in sorted(pool) if n >= 0 and n != answer]


def arithmetic_items() -> list[Item]:
    items: list[Item] = []
    for a in range(11):
        for b in range(11):
            c = a + b
            for ctx in (f"{a} + {b} =", f"{a} plus {b} is", f"Q: What is {a} + {b}? A:"):
                items.append((ctx, str(c), _numbers(c, a * b)))
            for ctx in (f"{c} - {b} =", f"{c} minus {b} is", f"Q: What is {c} - {b}? A:"):
                items.append((ctx, str(a), _numbers(a, c + b)))
            if c <= 20:
                near = [gc.NUMBER_WORDS[n] for n in (c - 1, c + 1, c - 2, c + 2, c - 3, c + 3) if 0 <= n <= 20]
                items.append((f"{gc.NUMBER_WORDS[a]} plus {gc.NUMBER_WORDS[b]} is", gc.NUMBER_WORDS[c], near))
    for a in gc.TIMES_TABLES:
        for b in range(1, 11):
            c = a * b
            for ctx in (f"{a} times {b} is", f"{a} x {b} =", f"Q: What is {a} times {b}? A:"):
                items.append((ctx, str(c), _numbers(c, a + b, c + a, c - a)))
    for n in range(31):
        items.append((f"The number after {n} is", str(n + 1), _numbers(n + 1, n)))
        items.append((f"Double {n} is", str(2 * n), _numbers(2 * n, n, n + 2)))
    return items


def dates_items() -> list[Item]:
    items: list[Item] = []
    days, months = gc.DAYS, gc.MONTHS
    for i, d in enumerate(days):
        others = lambda *keep: [x for x in days if x not in keep]  # noqa: E731
        nxt, prev, nxt2 = days[(i + 1) % 7], days[(i - 1) % 7], days[(i + 2) % 7]
        items += [(f"The day after {d} is", nxt, others(nxt, d)),
                  (f"Q: What day comes after {d}? A:", nxt, others(nxt, d)),
                  (f"If today is {d}, tomorrow is", nxt, others(nxt, d)),
                  (f"After {d} comes", nxt, others(nxt, d)),
                  (f"The day before {d} is", prev, others(prev, d)),
                  (f"Q: What day comes before {d}? A:", prev, others(prev, d)),
                  (f"If today is {d}, yesterday was", prev, others(prev, d)),
                  (f"Two days after {d} is", nxt2, others(nxt2, d))]
    for i, m in enumerate(months):
        nxt, prev = months[(i + 1) % 12], months[(i - 1) % 12]
        pool_n = [x for x in months if x not in (nxt, m)]
        pool_p = [x for x in months if x not in (prev, m)]
        n = gc.DAYS_IN_MONTH[m]
        other_n = [str(x) for x in (28, 29, 30, 31) if x != n]
        items += [(f"The month after {m} is", nxt, pool_n), (f"After {m} comes", nxt, pool_n),
                  (f"Q: Which month comes after {m}? A:", nxt, pool_n),
                  (f"The month before {m} is", prev, pool_p),
                  (f"The {gc.ORDINALS[i]} month of the year is", m, [x for x in months if x != m]),
                  (f"{m} has", f"{n} days", [f"{x} days" for x in other_n]),
                  (f"Q: How many days are in {m}? A:", str(n), other_n)]
    items += [("Q: How many days are in a week? A:", "7", ["5", "10", "12"]),
              ("Q: How many months are in a year? A:", "12", ["7", "10", "52"]),
              ("Q: How many days are in a leap year? A:", "366", ["365", "360", "364"]),
              ("A normal year has", "365 days", ["366 days", "360 days", "300 days"]),
              ("A leap year has", "366 days", ["365 days", "360 days", "300 days"])]
    return items


def units_items() -> list[Item]:
    items: list[Item] = []
    factors = sorted({f for _, _, f in gc.UNITS})
    for big, small, f in gc.UNITS:
        for k in gc.UNIT_MULTIPLES:
            n = k * f
            wrong = sorted({k * g for g in factors if g != f} | {n * 10, (k + 1) * f} | ({n // 10} if n % 10 == 0
                                                                                          else set()))
            wrong = [w for w in wrong if w != n and w > 0]
            bigs = gc.plural(big, k)
            items.append((f"{k} {bigs} is", f"{n} {gc.plural(small, n)}",
                           [f"{w} {gc.plural(small, w)}" for w in wrong]))
            items.append((f"Q: How many {gc.plural(small)} are in {k} {bigs}? A:", str(n), [str(w) for w in wrong]))
            if k == 1:
                items.append((f"{gc.cap(gc.article(big))} is equal to", f"{f} {gc.plural(small, f)}",
                              [f"{w} {gc.plural(small, w)}" for w in wrong]))
    return items


def facts_items() -> list[Item]:
    items: list[Item] = []
    cities = list(gc.CAPITALS.values())
    for country, city in gc.CAPITALS.items():
        pool = [c for c in cities if c != city]
        items += [(f"The capital of {country} is", city, pool),
                  (f"Q: What is the capital of {country}? A:", city, pool)]
    continents = sorted(set(gc.CONTINENTS.values()))
    for country, cont in gc.CONTINENTS.items():
        items.append((f"{gc.cap(country)} is a country in", cont, [c for c in continents if c != cont]))
    for subject, colour in gc.COLOURS.items():
        if " " in colour:
            continue
        pool = [c for c in gc.COLOUR_NAMES if c != colour]
        items += [(f"{gc.cap(subject)} is", colour, pool), (f"Q: What colour is {subject}? A:", colour, pool)]
    sounds = sorted(set(gc.ANIMAL_SOUNDS.values()))
    for animal, sound in gc.ANIMAL_SOUNDS.items():
        items.append((f"Q: What sound does {gc.article(animal)} make? A:", sound, [s for s in sounds if s != sound]))
    young = sorted(set(gc.ANIMAL_YOUNG.values()))
    for animal, baby in gc.ANIMAL_YOUNG.items():
        items.append((f"A young {animal} is called", gc.article(baby),
                      [gc.article(y) for y in young if y != baby]))
    for animal, legs in gc.ANIMAL_LEGS.items():
        items.append((f"Q: How many legs does {gc.article(animal)} have? A:", str(legs),
                      [str(n) for n in (0, 2, 4, 6, 8) if n != legs]))
    homes = sorted(set(gc.ANIMAL_HOMES.values()))
    for animal, home in gc.ANIMAL_HOMES.items():
        items.append((f"{gc.cap(gc.article(animal))} lives in", gc.article(home),
                      [gc.article(h) for h in homes if h != home]))
    words = sorted(set(gc.OPPOSITES) | set(gc.OPPOSITES.values()))
    for a, b in gc.OPPOSITES.items():
        for w, o in ((a, b), (b, a)):
            items.append((f"The opposite of {w} is", o, [x for x in words if x not in (w, o)]))
    for shape, n in gc.SHAPE_SIDES.items():
        items.append((f"Q: How many sides does {gc.article(shape)} have? A:", str(n),
                      [str(x) for x in (3, 4, 5, 6, 8, 10) if x != n]))
    for start, answer, distractors in gc.SCIENCE_FACTS:
        items.append((start, answer, distractors))
    return items


def to_rows(task: str, items: list[Item], rng: random.Random, n: int) -> list[dict]:
    chosen = rng.sample(items, min(n, len(items)))
    rows = []
    for i, (context, answer, pool) in enumerate(chosen):
        pool = sorted(set(pool) - {answer})
        if len(pool) < 3:
            raise ValueError(f"{task}: '{context}' has fewer than 3 distractors")
        choices = [answer, *rng.sample(pool, 3)]
        rng.shuffle(choices)
        rows.append({"id": f"{task}-{i:03d}", "context": context, "choices": choices,
                     "label": choices.index(answer)})
    return rows


def ppl_rows(rng: random.Random, n: int) -> list[dict]:
    """Fresh narratives; none may appear verbatim in the default preset's training corpus."""
    from harness.models.embedded import PRESETS

    cfg = PRESETS["default"]
    training = "\n".join(gc.generate_corpus(cfg.corpus_docs, cfg.seed))
    rows: list[dict] = []
    while len(rows) < n:
        name, pron = rng.choice(gc.PEOPLE)
        text = " ".join(gc.narrative_sentence(rng, name, pron) for _ in range(rng.randint(4, 7)))
        if text in training or any(r["text"] == text for r in rows):
            continue
        rows.append({"id": f"general_ppl-{len(rows):03d}", "text": text})
    return rows


TASKS: dict[str, Callable[[], list[Item]]] = {
    "arithmetic": arithmetic_items, "dates": dates_items, "units": units_items, "facts": facts_items,
}


def main() -> None:
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    for task, make in TASKS.items():
        rng = random.Random(f"{SEED}-{task}")
        rows = to_rows(f"general_{task}", make(), rng, ITEMS_PER_TASK)
        _write(out / f"{task}.jsonl", rows)
    _write(out / "ppl.jsonl", ppl_rows(random.Random(f"{SEED}-ppl"), PPL_DOCS))


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{path.relative_to(HERE.parents[1])}: {len(rows)} rows")


if __name__ == "__main__":
    main()
