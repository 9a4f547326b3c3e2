"""The feedback loops on the embedded micro model, trained and scored for real: RLHF (GRPO, RLOO against a
reward model trained here), RLAIF (a judge's pairwise log-probabilities, both orders) and distillation (GKD from
an SFT'd teacher into a narrower student with the same tokenizer)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains micro models for real

INTENTS = {
    "refund": ["i want my money back", "please refund my order", "refund the charge", "return and refund"],
    "shipping": ["where is my parcel", "when will it ship", "track my delivery", "package is late"],
    "account": ["reset my password", "cannot log in", "change my email", "delete my account"],
}
GOOD = "thanks for reaching out, i am happy to help you with that today"
BAD = "no. figure it out yourself"


def _phrases(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(INTENTS[rng.choice(sorted(INTENTS))])} (ticket {rng.randint(100, 999)})" for _ in range(n)]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def feedback_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("feedback")
    _write(d / "pairs_train.jsonl", [{"prompt": p, "chosen": GOOD, "rejected": BAD} for p in _phrases(1, 200)])
    _write(d / "pairs_val.jsonl", [{"prompt": p, "chosen": GOOD, "rejected": BAD} for p in _phrases(2, 40)])
    _write(d / "prompts_train.jsonl", [{"prompt": p} for p in _phrases(3, 200)])
    _write(d / "prompts_val.jsonl", [{"prompt": p} for p in _phrases(4, 32)])
    chats = lambda seed, n: [{"messages": [{"role": "user", "content": p},  # noqa: E731
                                           {"role": "assistant", "content": GOOD}]} for p in _phrases(seed, n)]
    _write(d / "chats_train.jsonl", chats(5, 200))
    _write(d / "chats_val.jsonl", chats(6, 24))
    return d


@pytest.fixture(scope="module")
def reward_model(micro_model: Path, feedback_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reward model on the micro model that prefers the helpful reply (trained for real, ~30 steps)."""
    from harness.recipes import reward

    cfg = reward.RewardRecipeConfig(max_steps=30, learning_rate=1e-3, logging_steps=10)
    out = reward.run(cfg, model_path=str(micro_model), train_path=feedback_data / "pairs_train.jsonl",
                     validation_path=None, output_dir=tmp_path_factory.mktemp("rm") / "rm", progress=False)
    return out.model_path
