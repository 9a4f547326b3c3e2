"""Seeded text perturbations (typos, casing, whitespace, paraphrase, distractors) and option shuffling.

Each document gets its own random stream seeded by (seed, task, doc index, kind), so a perturbed copy of a
suite is the same on every run and item i of the copy is item i of the clean suite (paired on doc id)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["typos", "casing", "whitespace", "paraphrase", "distractor", "shuffle_options"]
TEXT_KINDS: tuple[str, ...] = ("typos", "casing", "whitespace", "paraphrase", "distractor")
# Document fields a prompt is usually built from; others (targets, references, ids) are left alone.
DEFAULT_FIELDS = ("message", "user", "context", "question", "line", "prompt", "query", "input", "headline")

SYNONYMS = {
    "want": "would like", "need": "require", "help": "assist", "please": "kindly", "problem": "issue",
    "cancel": "stop", "buy": "purchase", "get": "receive", "fix": "repair", "send": "forward",
    "money": "funds", "phone": "mobile", "account": "profile", "order": "purchase", "quick": "fast",
    "big": "large", "small": "little", "start": "begin", "end": "finish", "show": "display",
    "tell": "inform", "check": "verify", "wrong": "incorrect", "answer": "reply", "often": "frequently",
    "hi": "hello", "thanks": "thank you", "can't": "cannot", "won't": "will not", "what": "which",
}
TEMPLATES = ("{text}", "Quick question: {text}", "{text} Thanks in advance.", "Hello there. {text}",
             "{text} Please get back to me.")
DISTRACTORS = ("By the way, the weather has been lovely this week.",
               "My cousin recommended this place to me last year.",
               "I am writing this from my kitchen table.",
               "Unrelated, but the number 42 keeps showing up everywhere.",
               "I also had coffee with a friend this morning.")


class PerturbationSpec(BaseModel):
    """Which perturbations to apply, how strongly, to which fields, with which seed."""

    model_config = ConfigDict(extra="forbid")
    kinds: list[Kind] = Field(min_length=1, description="Applied in this order to each chosen field.")
    seed: int = Field(0, description="Seed of every per-document random stream.")
    rate: float = Field(0.15, gt=0, le=1, description="Share of words a typo or a synonym swap touches.")
    fields: list[str] | None = Field(None, description="Document fields to perturb (default: the usual prompt "
                                     f"fields present in the document: {', '.join(DEFAULT_FIELDS)}).")

    def tag(self) -> str:
        from harness.fingerprint import fingerprint

        return fingerprint(self.model_dump(mode="json"))[:8]


def _rng(spec: PerturbationSpec, key: str, index: int, kind: str) -> random.Random:
    return random.Random(f"{spec.seed}:{key}:{index}:{kind}")


def typos(text: str, rng: random.Random, rate: float) -> str:
    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 4 or rng.random() >= rate:
            return word
        i = rng.randrange(1, len(word) - 2)
        op = rng.choice(("swap", "drop", "double"))
        if op == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if op == "drop":
            return word[:i] + word[i + 1:]
        return word[:i] + word[i] + word[i:]
    return re.sub(r"[A-Za-z]+", one, text)


def casing(text: str, rng: random.Random, rate: float) -> str:
    style = rng.choice(("lower", "upper", "words"))
    if style == "lower":
        return text.lower()
    if style == "upper":
        return text.upper()
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0).swapcase() if rng.random() < 0.5 else m.group(0), text)


def whitespace(text: str, rng: random.Random, rate: float) -> str:
    out = re.sub(r" ", lambda _: "  " if rng.random() < 0.3 else " ", text)
    return ("  " if rng.random() < 0.5 else "") + out + (" \n" if rng.random() < 0.5 else "  ")


def paraphrase(text: str, rng: random.Random, rate: float) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        new = SYNONYMS.get(word.lower())
        if new is None or rng.random() >= max(rate, 0.5):
            return word
        return new.capitalize() if word[0].isupper() else new
    text = re.sub(r"[A-Za-z']+", swap, text)
    return rng.choice(TEMPLATES).format(text=text)


def distractor(text: str, rng: random.Random, rate: float) -> str:
    extra = rng.choice(DISTRACTORS)
    return f"{extra} {text}" if rng.random() < 0.5 else f"{text} {extra}"


TEXT_FUNCS: dict[str, Callable[[str, random.Random, float], str]] = {
    "typos": typos, "casing": casing, "whitespace": whitespace, "paraphrase": paraphrase, "distractor": distractor}


def perturb_text(text: str, spec: PerturbationSpec, key: str, index: int) -> str:
    for kind in spec.kinds:
        if kind in TEXT_FUNCS:
            text = TEXT_FUNCS[kind](text, _rng(spec, key, index, kind), spec.rate)
    return text


def perturb_doc(doc: dict[str, Any], spec: PerturbationSpec, key: str, index: int, *,
                choice_field: str | None = None, target_field: str | None = None) -> dict[str, Any]:
    """A perturbed copy of one document: text kinds on the prompt fields; `shuffle_options` permutes the
    choice list and moves an integer target with it."""
    out = dict(doc)
    fields = spec.fields if spec.fields is not None else [f for f in DEFAULT_FIELDS if f in doc]
    for name in fields:
        if isinstance(out.get(name), str) and name not in (choice_field, target_field):
            out[name] = perturb_text(out[name], spec, key, index)
    choices, target = out.get(choice_field or ""), out.get(target_field or "")
    if "shuffle_options" in spec.kinds and isinstance(choices, list) and isinstance(target, int) \
            and not isinstance(target, bool) and 0 <= target < len(choices):
        order = list(range(len(choices)))
        _rng(spec, key, index, "shuffle_options").shuffle(order)
        out[choice_field] = [choices[i] for i in order]
        out[target_field] = order.index(target)
    return out


def perturb_dataset_dict(dsets: Any, spec_json: dict[str, Any], key: str, *, choice_field: str | None = None,
                         target_field: str | None = None) -> Any:
    """lm-eval `custom_dataset` wrapper: the same splits and row order, every row perturbed."""
    import datasets

    spec = PerturbationSpec.model_validate(spec_json)
    out = {}
    for split, rows in dsets.items():
        out[split] = datasets.Dataset.from_list([
            perturb_doc(dict(row), spec, key, i, choice_field=choice_field, target_field=target_field)
            for i, row in enumerate(rows)])
    return datasets.DatasetDict(out)
