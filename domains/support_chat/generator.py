"""Seeded support-chat generator: transcripts (CPT), chats (SFT), preference pairs (DPO), eval items.

Why the split works: every intent's customer templates are partitioned by index (every 4th template is
eval-only) and slot pools are partitioned too (eval names, items, order numbers, amounts ... never occur in
train), so an eval customer message cannot equal a train message (tests/test_support_chat_domain.py checks
this on the generated data).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.data.records import classification_prompt, normalize_text, sample_options
from harness.domains import module_file


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


content = _sibling("content")
BUSINESSES: dict[str, dict[str, str]] = content.BUSINESSES
INTENTS: list[dict] = content.INTENTS
INTENT_BY_LABEL: dict[str, dict] = {i["label"]: i for i in INTENTS}

EVAL_EVERY = 4  # template index % EVAL_EVERY == EVAL_EVERY - 1 -> eval-only
SLOT_EVAL_EVERY = 5  # slot pool index % 5 == 4 -> eval-only
SLOT_RE = re.compile(r"\{(\w+)\}")
OPTIONAL_RE = re.compile(r"\[([^\[\]|]*)\|([^\[\]]*)\]")

DEFAULTS: dict[str, Any] = {
    "n_transcripts": 3000,  # CPT texts
    "n_sft": 2000,  # SFT chats, of which intent_fraction are intent-labelling examples
    "n_dpo": 1000,  # preference pairs
    "n_intents": 1500,  # labelled customer messages for the classification-head stage
    "intent_fraction": 0.25,
    "multi_turn_fraction": 0.2,  # share of SFT reply chats that carry a follow-up turn
    "typo_rate": 0.15,
    "lowercase_rate": 0.1,
    "n_options": 8,  # intent choices shown per item (gold + distractors); chance = 1 / n_options
    "category_rate": 0.8,  # share of transcripts exported with their ticket category line (as helpdesks do)
}


def intents() -> list[str]:
    return [i["label"] for i in INTENTS]


def businesses() -> list[str]:
    return list(BUSINESSES)


def system_prompt(business: str) -> str:
    name = BUSINESSES[business]["business"]
    return f"You are a helpful customer support agent for {name}. Be empathetic, correct and give clear steps."


def _templates(intent: dict, split: str) -> list[str]:
    temps = intent["templates"]
    held = [t for i, t in enumerate(temps) if i % EVAL_EVERY == EVAL_EVERY - 1]
    return held if split == "eval" else [t for t in temps if t not in held]


def _pool(name: str, split: str) -> tuple[str, ...]:
    values = content.SLOT_POOLS[name]
    keep = (lambda i: i % SLOT_EVAL_EVERY == SLOT_EVAL_EVERY - 1) if split == "eval" else \
        (lambda i: i % SLOT_EVAL_EVERY != SLOT_EVAL_EVERY - 1)
    return tuple(v for i, v in enumerate(values) if keep(i))


def _slot_value(name: str, split: str, rng: random.Random) -> str:
    """Numbers come from disjoint ranges per split; words from disjoint pools."""
    ev = split == "eval"
    if name == "order":
        return f"#{rng.randint(800000, 999999) if ev else rng.randint(100000, 799999)}"
    if name == "amount":
        cents = rng.choice((".25", ".75") if ev else (".00", ".99", ".49"))
        return f"${rng.randint(5, 480)}{cents}"
    if name == "last4":
        return f"{rng.randint(7000, 9999) if ev else rng.randint(1000, 6999)}"
    if name == "days":
        return str(rng.randint(15, 21) if ev else rng.randint(3, 14))
    return rng.choice(_pool(name, split))


def _fill(template: str, values: dict[str, str]) -> str:
    return SLOT_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _render_optional(text: str, values: dict[str, str]) -> str:
    """`[A|B]` -> A if all of A's slots are known, else B."""
    def pick(m: re.Match[str]) -> str:
        first, second = m.group(1), m.group(2)
        return first if all(s in values for s in SLOT_RE.findall(first)) else second
    return OPTIONAL_RE.sub(pick, text)


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]  # swap
    elif kind == 1:
        w = w[:j] + w[j + 1:]  # drop
    else:
        w = w[:j] + w[j] + w[j:]  # double
    words[i] = w
    return " ".join(words)


@dataclass
class Message:
    business: str
    intent: str
    text: str
    slots: dict[str, str]  # sampled slots used in the message (incl. name if mentioned)
    template_id: str


def _sample_message(rng: random.Random, split: str, params: dict[str, Any],
                    intent: str | None = None, business: str | None = None) -> Message:
    spec = INTENT_BY_LABEL[intent] if intent else rng.choice(INTENTS)
    biz = business or rng.choice(spec["businesses"])
    templates = _templates(spec, split)
    t_idx = rng.randrange(len(templates))
    template = templates[t_idx]
    slots = {s: _slot_value(s, split, rng) for s in SLOT_RE.findall(template) if s not in BUSINESSES[biz]}
    core = _fill(template, {**BUSINESSES[biz], **slots})
    if rng.random() < params["typo_rate"]:
        core = _typo(core, rng)
    opener, closer = rng.choice(content.OPENERS), rng.choice(content.CLOSERS)
    if opener.endswith(",") and not template.startswith(("{", "I ", "I'")):
        core = core[:1].lower() + core[1:]  # "Hi, how do I ..." rather than "Hi, How do I ..."
    if "{name}" in opener + closer:
        slots["name"] = _slot_value("name", split, rng)
    text = " ".join(p for p in (_fill(opener, slots), core, _fill(closer, slots)) if p)
    if rng.random() < params["lowercase_rate"]:
        text = text.lower()
    return Message(biz, spec["label"], text, slots, f"{spec['label']}/{split}/{t_idx}")


def action_text(intent: str, business: str, slots: dict[str, str]) -> str:
    spec = INTENT_BY_LABEL[intent]
    action = spec["action"][business] if isinstance(spec["action"], dict) else spec["action"]
    return _fill(_render_optional(action, slots), {**BUSINESSES[business], **slots})


def agent_reply(msg: Message, rng: random.Random, *, closing: bool = True) -> str:
    """Empathetic, correct, actionable: greeting + empathy + the intent's concrete steps (+ closing)."""
    spec = INTENT_BY_LABEL[msg.intent]
    greet = rng.choice(content.GREETINGS_NAMED if "name" in msg.slots else content.GREETINGS_ANON)
    parts = [_fill(greet, msg.slots), rng.choice(spec["empathy"]), action_text(msg.intent, msg.business, msg.slots)]
    if closing:
        parts.append(rng.choice(content.CLOSINGS))
    return " ".join(p for p in parts if p)


def bad_reply(msg: Message, rng: random.Random, kind: str) -> str:
    """Dispreferred replies: curt, wrong intent (another intent's steps), or polite but unhelpful."""
    biz = BUSINESSES[msg.business]
    if kind == "curt":
        return rng.choice(content.CURT_REPLIES)
    if kind == "unhelpful":
        return _fill(rng.choice(content.UNHELPFUL_REPLIES), biz)
    others = [i["label"] for i in INTENTS if msg.business in i["businesses"] and i["label"] != msg.intent]
    wrong = rng.choice(others)
    greet = _fill(rng.choice(content.GREETINGS_NAMED if "name" in msg.slots else content.GREETINGS_ANON),
                  msg.slots)
    return " ".join([greet, rng.choice(INTENT_BY_LABEL[wrong]["empathy"]),
                     action_text(wrong, msg.business, msg.slots)])


def transcript(rng: random.Random, split: str, params: dict[str, Any]) -> tuple[str, Message]:
    """A raw multi-turn chat in `Customer: ... / Agent: ...` form, as CPT text."""
    msg = _sample_message(rng, split, params)
    biz = BUSINESSES[msg.business]
    spec = INTENT_BY_LABEL[msg.intent]
    lines = [f"Support chat with {biz['business']}"]
    if rng.random() < params.get("category_rate", DEFAULTS["category_rate"]):
        lines.append(f"Category: {msg.intent}")
    if rng.random() < 0.3:
        lines += [f"Customer: {rng.choice(content.CHAT_OPENERS)}",
                  f"Agent: {_fill(rng.choice(content.CHAT_WELCOMES), biz)}"]
    lines += [f"Customer: {msg.text}", f"Agent: {agent_reply(msg, rng, closing=False)}"]
    for q, a in rng.sample(spec["followups"], k=rng.randint(0, len(spec["followups"]))):
        lines += [f"Customer: {q}", f"Agent: {a}"]
    if rng.random() < 0.7:
        lines += [f"Customer: {rng.choice(content.THANKS)}",
                  f"Agent: {_fill(rng.choice(content.GOODBYES), biz)}"]
    return "\n".join(lines), msg


def _meta(msg: Message, **extra: Any) -> dict[str, Any]:
    return {"business": msg.business, "intent": msg.intent, "template": msg.template_id, "message": msg.text,
            **extra}


def _intent_chat(msg: Message, rng: random.Random, n_options: int) -> tuple[str, list[str]]:
    """Intent-labelling prompt; about half the distractors come from the same business (hard ones)."""
    own = [i["label"] for i in INTENTS if msg.business in i["businesses"] and i["label"] != msg.intent]
    hard = rng.sample(own, k=min(len(own), (n_options - 1) // 2))
    options = sample_options(msg.intent, [lab for lab in intents() if lab not in hard], n_options - len(hard), rng)
    options += hard
    rng.shuffle(options)
    return intent_prompt(msg.text, options), options


# The intent instruction, shared by SFT data, the eval suite and the manifest's `prompts.instruction` (so a
# user's classification file, e.g. Banking77, is rendered exactly as the suite asks).
INTENT_INSTRUCTION = ("Classify the intent of this customer message.\nMessage: {text}\nOptions: {options}\n"
                      "Answer with one option.")


def intent_prompt(text: str, options: list[str]) -> str:
    return classification_prompt(text, options, INTENT_INSTRUCTION)


def eval_messages(rng: random.Random, n: int, params: dict[str, Any], seen: set[str]) -> list[Message]:
    """`n` eval-split customer messages cycling through the intents (balanced), none normalising to a
    message in `seen` (updated), in shuffled order."""
    out: list[Message] = []
    labels = intents()
    for _ in range(n * 50):
        if len(out) == n:
            break
        msg = _sample_message(rng, "eval", params, intent=labels[len(out) % len(labels)])
        key = normalize_text(msg.text)
        if key not in seen:
            seen.add(key)
            out.append(msg)
    rng.shuffle(out)
    return out


def eval_items(seed: int = 0, *, n_intent: int = 180, n_preference: int = 180, n_ppl: int = 64,
               n_reply: int = 48, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Suite items from held-out templates and slot values (see suite/generate.py).

    Each task's customer messages are balanced over intents and distinct from every other task's.
    """
    p = {**DEFAULTS, **params}
    rng = random.Random(f"support_chat-eval-{seed}")
    seen: set[str] = set()
    intent_msgs = eval_messages(rng, n_intent, p, seen)
    pref_msgs = eval_messages(rng, n_preference, p, seen)
    reply_msgs = eval_messages(rng, n_reply, p, seen)
    out: dict[str, list[dict[str, Any]]] = {"intent": [], "preference": [], "ppl": [], "reply": []}
    for i, msg in enumerate(intent_msgs):
        user, options = _intent_chat(msg, rng, p["n_options"])
        out["intent"].append({"id": f"intent-{i:04d}", "business": msg.business,
                              "system": system_prompt(msg.business), "user": user, "message": msg.text,
                              "choices": options, "gold": options.index(msg.intent), "label": msg.intent,
                              "decontam": [msg.text]})
    for i, msg in enumerate(pref_msgs):
        chosen = agent_reply(msg, rng, closing=False)
        # Only length-comparable rejected replies (no curt ones), so raw log-likelihood (acc) is not a
        # length contest; curt replies are still in the DPO training pairs.
        kind = rng.choice(["wrong_intent", "unhelpful"])
        rejected = bad_reply(msg, rng, kind)
        gold = rng.randrange(2)
        choices = [rejected, chosen] if gold else [chosen, rejected]
        out["preference"].append({"id": f"pref-{i:04d}", "business": msg.business, "intent": msg.intent,
                                  "system": system_prompt(msg.business), "user": msg.text, "message": msg.text,
                                  "choices": choices, "gold": gold, "rejected_kind": kind,
                                  "decontam": [msg.text]})
    for i, msg in enumerate(reply_msgs):
        spec = INTENT_BY_LABEL[msg.intent]
        out["reply"].append({"id": f"reply-{i:04d}", "business": msg.business, "intent": msg.intent,
                             "system": system_prompt(msg.business), "user": msg.text, "message": msg.text,
                             "reply": agent_reply(msg, rng, closing=False), "keywords": list(spec["keywords"]),
                             "decontam": [msg.text]})
    while len(out["ppl"]) < n_ppl:
        text, msg = transcript(rng, "eval", p)
        if normalize_text(msg.text) in seen:
            continue
        seen.add(normalize_text(msg.text))
        out["ppl"].append({"id": f"ppl-{len(out['ppl']):04d}", "business": msg.business, "intent": msg.intent,
                           "transcript": text, "decontam": [msg.text]})
    return out


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train-split records keyed by the manifest's dataset names: transcripts (text), chats (chat), pairs
    (preference), intents (classification), all from train templates."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown support_chat generator params {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    rng = random.Random(f"support_chat-train-{seed}")
    cpt = []
    for i in range(p["n_transcripts"]):
        text, msg = transcript(rng, "train", p)
        cpt.append({"id": f"cpt-{i:05d}", "text": text, "meta": _meta(msg)})
    sft = []
    for i in range(p["n_sft"]):
        msg = _sample_message(rng, "train", p)
        system = {"role": "system", "content": system_prompt(msg.business)}
        if rng.random() < p["intent_fraction"]:
            user, _ = _intent_chat(msg, rng, p["n_options"])
            messages = [system, {"role": "user", "content": user}, {"role": "assistant", "content": msg.intent}]
            task = "intent"
        else:
            messages = [system, {"role": "user", "content": msg.text},
                        {"role": "assistant", "content": agent_reply(msg, rng)}]
            task = "reply"
            if rng.random() < p["multi_turn_fraction"]:
                q, a = rng.choice(INTENT_BY_LABEL[msg.intent]["followups"])
                messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        sft.append({"id": f"sft-{i:05d}", "messages": messages, "meta": _meta(msg, task=task)})
    dpo = []
    for i in range(p["n_dpo"]):
        msg = _sample_message(rng, "train", p)
        kind = rng.choice(["curt", "wrong_intent", "unhelpful"])
        dpo.append({"id": f"dpo-{i:05d}", "prompt": msg.text, "chosen": agent_reply(msg, rng),
                    "rejected": bad_reply(msg, rng, kind),
                    "meta": _meta(msg, system=system_prompt(msg.business), rejected_kind=kind)})
    # own stream, so adding labelled messages leaves the other datasets exactly as they were
    rng = random.Random(f"support_chat-train-intents-{seed}")
    labelled = []
    for i in range(p["n_intents"]):
        msg = _sample_message(rng, "train", p)
        labelled.append({"id": f"int-{i:05d}", "text": msg.text, "label": msg.intent, "meta": _meta(msg)})
    return {"transcripts": cpt, "chats": sft, "pairs": dpo, "intents": labelled}
