"""support_chat lm-eval suite: data is current, prompts match SFT, metrics work, runs end-to-end."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from harness.domains import load_domain
from harness.prep import read_jsonl

SUITE = Path(__file__).resolve().parents[1] / "domains" / "support_chat" / "suite"  # the suite lives in its domain
TASKS = ("support_chat_intent", "support_chat_preference", "support_chat_ppl", "support_chat_reply")


@pytest.fixture(scope="module")
def utils() -> ModuleType:
    spec = importlib.util.spec_from_file_location("support_chat_suite_utils", SUITE / "utils.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data(name: str) -> list[dict]:
    return read_jsonl(SUITE / "data" / f"{name}.jsonl")


def test_layout_and_committed_data_is_current() -> None:
    for name in ("_support_chat.yaml", *(f"{t}.yaml" for t in TASKS), "utils.py", "generate.py",
                 "metrics/rouge_l/rouge_l.py"):
        assert (SUITE / name).is_file(), name
    result = subprocess.run([sys.executable, str(SUITE / "generate.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_item_counts_and_choices() -> None:
    intent, pref, ppl, reply = data("intent"), data("preference"), data("ppl"), data("reply")
    # intent: 400 items so the shipped gate's 5-point non-inferiority margin is resolvable (gate --plan)
    assert 380 <= len(intent) <= 500 and 150 <= len(pref) <= 300
    assert 60 <= len(ppl) <= 100 and 40 <= len(reply) <= 60
    labels = set(load_domain("support_chat").hooks.intents())
    for row in intent:
        assert len(row["choices"]) == 8 == len(set(row["choices"])) and set(row["choices"]) <= labels
        assert row["choices"][row["gold"]] == row["label"]
    golds = [row["gold"] for row in pref]
    assert 0.35 < sum(golds) / len(golds) < 0.65  # gold position balanced: no position bias to exploit
    assert all(len(row["choices"]) == 2 and row["choices"][0] != row["choices"][1] for row in pref)
    assert all(row["transcript"].startswith("Support chat with ") for row in ppl)
    assert len({r["id"] for r in intent + pref + ppl + reply}) == len(intent) + len(pref) + len(ppl) + len(reply)


def test_prompts_use_the_chat_turns_sft_trains_on() -> None:
    """The suite gives lm-eval the system and user turns (rendered by the model's template, see
    tests/test_prompt_format.py); their wording matches the SFT chats."""
    row = data("intent")[0]
    sft = load_domain("support_chat").hooks.generate(1, n_transcripts=1, n_sft=40, n_dpo=1)["chats"]
    intent_chat = next(r for r in sft if r["meta"]["task"] == "intent")
    first_line = intent_chat["messages"][1]["content"].split("\n")[0]
    assert row["user"].split("\n")[0] == first_line and row["system"].startswith("You are a helpful customer")
    assert [line.split(":")[0] for line in row["user"].split("\n")] == \
        [line.split(":")[0] for line in intent_chat["messages"][1]["content"].split("\n")]


def test_reply_metrics(utils: ModuleType) -> None:
    doc = data("reply")[0]
    perfect = utils.process_reply(doc, [doc["reply"]])
    assert perfect == {"rouge_l": pytest.approx(1.0), "action_match": 1.0}
    empty = utils.process_reply(doc, [""])
    assert empty == {"rouge_l": 0.0, "action_match": 0.0}
    partial = utils.process_reply(doc, [" ".join(doc["reply"].split()[:12])])
    assert 0.0 < partial["rouge_l"] < 1.0


def _tiny_model(folder: Path) -> Path:
    """A random-weight 2-layer Llama with a BPE tokenizer trained on a few strings: no downloads."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<|end|>", "<|system|>", "<|user|>", "<|assistant|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["Customer: my card is lost.\nAgent: Please freeze it in the app."] * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|end|>")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048,
                         eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def test_suite_runs_end_to_end_on_a_tiny_model(tmp_path: Path) -> None:
    import lm_eval
    from lm_eval.tasks import TaskManager

    model = _tiny_model(tmp_path / "tiny")
    out = lm_eval.simple_evaluate(
        model="hf", model_args={"pretrained": str(model), "dtype": "float32"}, device="cpu",
        tasks=["support_chat"], task_manager=TaskManager(include_path=str(SUITE), include_defaults=False),
        log_samples=True, limit=3)
    assert out is not None
    results, samples = out["results"], out["samples"]
    expected = {"support_chat_intent": ("acc", "acc_norm"), "support_chat_preference": ("acc", "acc_norm"),
                "support_chat_ppl": ("word_perplexity", "byte_perplexity", "bits_per_byte"),
                "support_chat_reply": ("rouge_l", "action_match")}
    for task, metrics in expected.items():
        assert len(samples[task]) == 3, task
        for sample in samples[task]:
            assert isinstance(sample["doc_hash"], str) and len(sample["doc_hash"]) >= 16
            assert all(m in sample for m in metrics), (task, sample.keys())
        for m in metrics:
            assert isinstance(results[task][f"{m},none"], float), (task, m)
    assert 0.0 <= results["support_chat"]["acc,none"] <= 1.0
    assert all(0.0 <= s["rouge_l"] <= 1.0 for s in samples["support_chat_reply"])
