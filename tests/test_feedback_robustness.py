"""Adversarial training closes a measured robustness gap (issue 16, item 7), on the embedded micro model.

A classification head on the micro model learns three toy intents from lower-case messages and is well above
chance; the micro tokenizer is case-sensitive, so the same messages with their casing perturbed lose much of
that accuracy (the gap). The head trained on the same rows plus perturbed copies (`harness robustness augment`,
another seed than the evaluation's) must lose significantly less on the same perturbed items (paired test of
the per-item gaps). Both heads, every evaluation and both gaps are real: trained and scored here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains two micro classification heads

INTENTS = {
    "refund": ["i want my money back", "please refund my order", "refund the charge", "return it and refund me"],
    "shipping": ["where is my parcel", "when will it ship", "track my delivery", "the package is late"],
    "account": ["reset my password", "i cannot log in", "change my email address", "delete my account"],
}


def _rows(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        label = rng.choice(sorted(INTENTS))
        out.append({"text": f"{rng.choice(INTENTS[label])} (ticket {rng.randint(100, 999)})", "label": label})
    return out


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_adversarial_training_shrinks_the_robustness_gap(micro_model: Path, tmp_path: Path) -> None:
    from harness.models.refs import resolve_model
    from harness.recipes import classifier
    from harness.robustness.gap import gap_change, robustness_gap
    from harness.robustness.perturb import PerturbationSpec, perturb_text
    from harness.robustness.run import augment_file
    from harness.store import Store

    train = _write(tmp_path / "train.jsonl", _rows(1, 240))
    held_out = _rows(2, 80)
    spec = PerturbationSpec(kinds=["casing"], seed=0)  # what the evaluation applies
    clean_file = _write(tmp_path / "clean.jsonl", held_out)
    perturbed = [{**r, "text": perturb_text(r["text"], spec, "toy_intent", i)} for i, r in enumerate(held_out)]
    perturbed_file = _write(tmp_path / "perturbed.jsonl", perturbed)
    # casing: lower (a no-op on these), upper or per-word swaps, chosen per item; labels untouched
    assert sum(a["text"] != b["text"] for a, b in zip(held_out, perturbed, strict=True)) >= 40

    augmented = tmp_path / "train_adv.jsonl"
    n, extra = augment_file(train, augmented, PerturbationSpec(kinds=["casing"], seed=1), 1.0)
    assert (n, extra) == (240, 240)

    store = Store(tmp_path / "robust.duckdb")
    runs = {}
    for name, data in [("plain", train), ("augmented", augmented)]:
        cfg = classifier.ClassifierRecipeConfig(max_steps=100, learning_rate=3e-3, logging_steps=50)
        out = classifier.run(cfg, model_path=str(micro_model), train_path=data, validation_path=None,
                             output_dir=tmp_path / name, progress=False)
        head = resolve_model(str(out.model_path), progress=False)
        clean = classifier.evaluate(store, head, domain="toy", stage=name, paths=(clean_file, None), limit=None)
        pert = classifier.evaluate(store, head, domain="toy", stage=name, paths=(perturbed_file, None), limit=None)
        runs[name] = (clean.run_id, pert.run_id)

    plain = next(r for r in robustness_gap(store, *runs["plain"]) if r.metric == "acc")
    adv = next(r for r in robustness_gap(store, *runs["augmented"]) if r.metric == "acc")
    assert plain.n == adv.n == 80
    # the clean head is far above chance (1/3) and perturbing costs it accuracy: a gap to close
    assert plain.clean > 0.8 and plain.gap > 0.15 and plain.ci_low > 0 and plain.p_value < 0.01
    change = gap_change(store, runs["plain"], runs["augmented"], task="toy_intent_head", metric="acc")
    print(f"plain {plain}\naugmented {adv}\n{change}")  # shown with -s
    assert change.n == 80 and change.gap_before == pytest.approx(plain.gap)
    assert change.gap_after == pytest.approx(adv.gap)
    # adversarial training: the gap shrinks significantly on the same items, without costing clean accuracy.
    # Seen (100 steps): plain 1.000 -> 0.675, gap 0.325 [0.237, 0.438]; augmented 1.000 -> 0.900, gap 0.100
    # [0.037, 0.175]; reduction 0.225 [0.100, 0.350], McNemar p = 0.0014. With 60 steps there was no effect
    # (both gaps 0.1875, p = 1): the assertion can fail.
    assert change.reduction > 0.1 and change.ci_low > 0 and change.p_value < 0.05
    assert adv.clean >= plain.clean - 0.05

    # `harness robustness gap` on a head: the perturbed copy of a suite's classifier task, scored by the head's
    # own evaluation (these toy labels are not support_chat's intents: the path, not the accuracy, is checked)
    from harness.device import plan_device
    from harness.robustness.run import run_robustness

    result = run_robustness(store, head, "support_chat", PerturbationSpec(kinds=["casing", "typos"], seed=0),
                            limit=12, device=plan_device("cpu"), tasks=["support_chat_intent"])
    assert [(r.task, r.metric, r.n) for r in result.rows] == [("support_chat_intent", "acc", 12)]
    tasks = {r["run_id"]: r["task"] for r in store.query(
        "SELECT run_id, task FROM eval_results WHERE run_id IN (?, ?) AND metric = 'acc'",
        [result.clean_run, result.perturbed_run])}
    assert tasks[result.clean_run] == "support_chat_intent"
    assert tasks[result.perturbed_run] == f"support_chat_intent_adv_{result.suite.group.rsplit('_', 1)[1]}"
