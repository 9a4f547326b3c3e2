"""legal domain hooks: generate() feeds the datasets, eval_items() the suite (phrased apart, never overlapping).

A stub: a few made-up products. Replace FACTS (or point the manifest's datasets at files) with real data.
"""

from __future__ import annotations

import random
from typing import Any

COMPANY = "legal"
# product, category, colour, price (dollars)
FACTS = [
    ("lantern", "camping light", "green", 24), ("kettle", "kitchen appliance", "red", 39),
    ("backpack", "travel bag", "blue", 59), ("desk lamp", "office light", "white", 29),
    ("water bottle", "drink container", "orange", 12), ("notebook", "paper product", "yellow", 6),
    ("umbrella", "rain gear", "black", 18), ("headphones", "audio device", "purple", 79),
]
COLOURS = sorted({f[2] for f in FACTS})
DEFAULTS = {"n_notes": 64, "n_chats": 64, "n_pairs": 48}
NOTE_TEMPLATES = [
    "The {company} {product} is a {category}. It is {colour} and costs {price} dollars.",
    "Our {product} ({category}) comes in {colour}. Price: {price} dollars. Made by {company}.",
    "{company} catalogue entry: {product}, a {colour} {category}, {price} dollars.",
]

# Held-out wordings for the perplexity task: the suite asks about the same facts, never in training words.
HELD_OUT_TEMPLATES = [
    "In the {company} range, the {product} is the {colour} {category} priced at {price} dollars.",
    "Looking for a {category}? The {colour} {product} from {company} sells for {price} dollars.",
    "{company} lists its {product} at {price} dollars; this {category} is only made in {colour}.",
]


def _fill(template: str, fact: tuple[str, str, str, int]) -> str:
    product, category, colour, price = fact
    return template.format(company=COMPANY, product=product, category=category, colour=colour, price=price)


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset name (see the manifest's `datasets:`)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown generator params {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    rng = random.Random(f"legal-{seed}")
    notes = [{"text": _fill(rng.choice(NOTE_TEMPLATES), rng.choice(FACTS))} for _ in range(p["n_notes"])]
    chats = []
    for i in range(p["n_chats"]):
        fact = FACTS[i % len(FACTS)]
        if i % 2:
            question, answer = f"What colour is the {fact[0]}?", f"The {fact[0]} is {fact[2]}."
        else:
            question, answer = f"How much does the {fact[0]} cost?", f"The {fact[0]} costs {fact[3]} dollars."
        chats.append({"messages": [{"role": "user", "content": question},
                                   {"role": "assistant", "content": answer}]})
    pairs = []
    for i in range(p["n_pairs"]):
        fact = FACTS[i % len(FACTS)]
        wrong = rng.choice([c for c in COLOURS if c != fact[2]])
        pairs.append({"prompt": f"Tell me the colour of the {fact[0]}.", "chosen": f"It is {fact[2]}.",
                      "rejected": f"It is {wrong}."})
    return {"notes": notes, "chats": chats, "pairs": pairs}


def eval_items() -> dict[str, list[dict[str, Any]]]:
    """Suite items, worded unlike any training record: multiple-choice colours and held-out product notes."""
    facts = []
    for i, (product, _, colour, _) in enumerate(FACTS):
        question = f"Q: Which colour does {COMPANY} make the {product} in?\nA:"
        facts.append({"id": f"facts-{i:03d}", "question": question, "choices": [f" {c}" for c in COLOURS],
                      "gold": COLOURS.index(colour)})
    ppl = [{"id": f"ppl-{len(FACTS) * k + i:03d}", "text": _fill(template, f)}
           for k, template in enumerate(HELD_OUT_TEMPLATES) for i, f in enumerate(FACTS)]
    return {"facts": facts, "ppl": ppl}
