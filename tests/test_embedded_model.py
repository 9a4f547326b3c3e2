"""The embedded base model: corpus, tokenizer + chat template, build, cache and determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError
from safetensors.torch import load_file

from harness.errors import HarnessError
from harness.models import general_corpus as gc
from harness.models.build_identity import NUMERICS
from harness.models.embedded import (
    CHAT_TEMPLATE,
    PRESETS,
    EmbeddedModelConfig,
    build_embedded_model,
    embedded_model_dir,
    model_identity,
    read_model_meta,
    train_tokenizer,
)

CONVERSATION = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "What is 2 + 3?"},
    {"role": "assistant", "content": "2 + 3 = 5."},
    {"role": "user", "content": "And the day after Monday?"},
    {"role": "assistant", "content": "Tuesday."},
]


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(gc.generate_corpus(300, 0), 512)


def test_corpus_is_deterministic_prefix_stable_and_general() -> None:
    docs = gc.generate_corpus(60, 3)
    assert docs == gc.generate_corpus(60, 3)
    assert gc.generate_corpus(20, 3) == docs[:20]
    assert gc.generate_corpus(60, 4) != docs
    text = " ".join(gc.generate_corpus(2000, 0)).lower()
    for word in ("customer", "refund", "invoice", "bank", "account", "telecom", "patient", "diagnosis",
                 "lawsuit", "error", "order number", "subscription"):
        assert not re.search(rf"\b{word}", text), word
    for fact in ("the capital of france is paris", "the day after monday is tuesday", "7 + 5 = 12",
                 "1 kilometre is 1000 metres", "the opposite of hot is cold"):
        assert fact in text, fact


def test_tokenizer_round_trips_and_has_special_tokens(tokenizer) -> None:
    for text in ("Anna walked to the park. 7 + 5 = 12.", "Größe 😀 naïve\n\ttabs", "  leading spaces"):
        assert tokenizer.decode(tokenizer.encode(text)) == text
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token, tokenizer.unk_token) == (
        "<|bos|>", "<|end|>", "<|pad|>", "<|unk|>")
    for special in ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>"):
        assert len(tokenizer.encode(special)) == 1, special
    assert tokenizer.encode("hello")[0] != tokenizer.bos_token_id  # no automatic BOS (lm-eval adds its own)


def test_chat_template_renders_and_masks_assistant_turns(tokenizer) -> None:
    from trl.chat_template_utils import has_generation_markers, is_chat_template_stop_token_trained

    text = tokenizer.apply_chat_template(CONVERSATION, tokenize=False)
    assert text == ("<|system|>\nAnswer briefly.<|end|>\n<|user|>\nWhat is 2 + 3?<|end|>\n<|assistant|>\n"
                    "2 + 3 = 5.<|end|>\n<|user|>\nAnd the day after Monday?<|end|>\n<|assistant|>\nTuesday.<|end|>\n")
    out = tokenizer.apply_chat_template(CONVERSATION, tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=True)
    masked = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(masked) == "2 + 3 = 5.<|end|>Tuesday.<|end|>"
    assert has_generation_markers(tokenizer.chat_template)
    assert is_chat_template_stop_token_trained(tokenizer)

    prompt = tokenizer.apply_chat_template(CONVERSATION[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|user|>\nWhat is 2 + 3?<|end|>\n<|assistant|>\n")
    prompt_ids = tokenizer.apply_chat_template(CONVERSATION[:2], add_generation_prompt=True, return_dict=True)
    full_ids = tokenizer.apply_chat_template(CONVERSATION[:3], return_dict=True)
    assert full_ids["input_ids"][: len(prompt_ids["input_ids"])] == prompt_ids["input_ids"]
    with pytest.raises(Exception, match="unknown chat role"):
        tokenizer.apply_chat_template([{"role": "tool", "content": "x"}], tokenize=False)


def test_config_validation_and_unknown_preset() -> None:
    assert {"default", "micro"} <= set(PRESETS)
    with pytest.raises(ValidationError):
        EmbeddedModelConfig(hidden_size=100, num_heads=3)
    with pytest.raises(ValidationError):
        EmbeddedModelConfig(block_size=1024, max_seq_len=512)
    with pytest.raises(ValidationError):
        EmbeddedModelConfig(learnig_rate=1e-3)  # extra="forbid" catches typos
    with pytest.raises(HarnessError, match="unknown embedded model preset"):
        build_embedded_model("huge")


def test_micro_model_is_a_loadable_hf_folder_that_learned(micro_model: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert micro_model == embedded_model_dir("micro")
    assert micro_model.name.startswith("embedded-micro-")
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "generation_config.json", "harness_model.json"):
        assert (micro_model / name).exists(), name
    tok = AutoTokenizer.from_pretrained(micro_model)
    model = AutoModelForCausalLM.from_pretrained(micro_model, dtype=torch.float32)
    assert tok.chat_template == CHAT_TEMPLATE
    assert model.config.vocab_size == len(tok)
    assert model.generation_config.eos_token_id == tok.eos_token_id == tok.convert_tokens_to_ids("<|end|>")

    meta = read_model_meta(micro_model)
    assert meta["fingerprint"] in micro_model.name
    assert meta["config"] == PRESETS["micro"].model_dump(mode="json")
    assert meta["params"] == sum(p.numel() for p in model.parameters())
    assert meta["final_train_loss"] < meta["initial_train_loss"] - 1.5, meta["loss_log"]
    # the folder says what its name covers and which (pinned) thread count trained it
    assert meta["identity"] == model_identity()
    assert meta["torch_threads"] == NUMERICS["intra_op_threads"] and meta["device"] == "cpu"

    # The model prefers a true fact to a false one it saw far less often (learned, not just unigrams).
    def nll(text: str) -> float:
        ids = torch.tensor([[tok.bos_token_id, *tok.encode(text)]])
        with torch.no_grad():
            return float(model(input_ids=ids, labels=ids).loss)

    assert nll("The day after Monday is Tuesday.") < nll("Tuesday Monday after is day the The.")


def test_cache_is_reused_without_retraining(micro_model: Path) -> None:
    weights = micro_model / "model.safetensors"
    before = (weights.stat().st_mtime_ns, (micro_model / "harness_model.json").read_text())
    again = build_embedded_model("micro", progress=False)
    assert again == micro_model
    assert (weights.stat().st_mtime_ns, (again / "harness_model.json").read_text()) == before
    assert not list(micro_model.parent.glob(".tmp-*"))


@pytest.mark.slow  # trains
def test_trl_assistant_only_loss_trains_only_on_assistant_turns(micro_model: Path, tmp_path: Path) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    tok = AutoTokenizer.from_pretrained(micro_model)
    model = AutoModelForCausalLM.from_pretrained(micro_model, dtype=torch.float32)
    rows = [{"messages": [{"role": "user", "content": f"What is {a} + 1?"},
                          {"role": "assistant", "content": f"{a + 1}."}]} for a in range(8)]
    args = SFTConfig(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=4, assistant_only_loss=True,
                     bf16=False, fp16=False, use_cpu=True, report_to="none", save_strategy="no", max_length=64,
                     disable_tqdm=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
    row = trainer.train_dataset[0]
    trained = [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
    assert tok.decode(trained) == "1.<|end|>"
    assert trainer.train().training_loss > 0


def _build_in_subprocess(cache: str) -> tuple[str, int]:
    import os

    os.environ["HARNESS_CACHE_DIR"] = cache
    folder = build_embedded_model("micro", progress=False)
    return str(folder), (folder / "model.safetensors").stat().st_mtime_ns


@pytest.mark.slow  # builds the micro model again (30-40 s)
def test_concurrent_builds_train_once_and_the_same_seed_gives_identical_weights(micro_model: Path,
                                                                                tmp_path: Path,
                                                                                monkeypatch) -> None:
    """Two processes build into an empty cache: one trains, the other waits and reuses its folder; that build
    (other processes, same seed) has exactly the session's micro model weights and tokenizer. One rebuild
    checks both (each costs 30-40 s).

    The rebuilding processes start with another torch thread count than the session's build (OMP_NUM_THREADS):
    issue 13's two `default` builds of one fingerprint differed (max |dw| 0.097) because one process had 1 thread
    and the other 2, and an unpinned micro build differs too (1 vs 2 threads: max |dw| 1.5e-4). So this fails
    whenever a folder's name does not pin or cover the threads its weights depend on."""
    import multiprocessing

    session_threads = read_model_meta(micro_model)["caller_threads"]
    other_threads = 1 if session_threads != 1 else 2
    monkeypatch.setenv("OMP_NUM_THREADS", str(other_threads))  # read by torch when the spawned workers import it
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_build_in_subprocess, [str(tmp_path)] * 2)
    assert results[0] == results[1]  # the second waited on the lock, then reused the first one's folder
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.endswith(".lock")] == [
        Path(results[0][0]).name]

    rebuilt = Path(results[0][0])
    assert rebuilt != micro_model and rebuilt.name == micro_model.name
    assert read_model_meta(rebuilt)["caller_threads"] == other_threads != session_threads
    a, b = load_file(micro_model / "model.safetensors"), load_file(rebuilt / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert json.loads((rebuilt / "tokenizer.json").read_text()) == json.loads(
        (micro_model / "tokenizer.json").read_text())
    other = PRESETS["micro"].model_copy(update={"seed": 1})
    assert embedded_model_dir(other).name != embedded_model_dir("micro").name
