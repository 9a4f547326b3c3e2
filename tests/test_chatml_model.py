"""A chat template the harness did not write: ChatML as SmolLM2-135M-Instruct ships it (no `{% generation %}`
markers, a default system prompt, bos = `<|im_start|>`, eos = pad = `<|im_end|>`), on a tiny random Llama built
here (no SmolLM2 in CI; benchmarks/bench_smollm2.py runs the real one). Which tokens carry SFT labels, that
DPO/KTO/ORPO/SimPO train on the real template, LoRA's targets on Llama, padding side and eos, and the suites' prompts
rendered through lm-eval."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

CHATML = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
          "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
          "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SYSTEM = "You are a helpful customer support agent."
INTENTS = {"refund": ["i want my money back", "refund the charge"], "shipping": ["where is my parcel", "late box"]}
LLAMA_LINEAR = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def _chats(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        intent = rng.choice(sorted(INTENTS))
        out.append({"messages": [{"role": "system", "content": SYSTEM},
                                 {"role": "user", "content": rng.choice(INTENTS[intent])},
                                 {"role": "assistant", "content": f"this is about {intent}"}]})
    return out


def _pairs(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        intent, other = rng.sample(sorted(INTENTS), 2)
        out.append({"prompt": rng.choice(INTENTS[intent]), "chosen": f"this is about {intent}",
                    "rejected": f"this is about {other}", "meta": {"system": SYSTEM}})
    return out


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chatml_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random 2-layer Llama + byte-level BPE with SmolLM2's special tokens and ChatML template."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("chatml") / "model"
    corpus = [m["content"] for r in _chats(60, 0) for m in r["messages"]] + ["system user assistant"] * 4
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        pad_token="<|im_end|>", unk_token="<|endoftext|>")
    tokenizer.chat_template = CHATML
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_sft_on_chatml_labels_the_final_reply_and_its_eos_only(chatml_llama: Path, tmp_path: Path) -> None:
    from harness.device import plan_device
    from harness.errors import HarnessError
    from harness.recipes import sft

    rows = [{"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"},
                          {"role": "assistant", "content": "hello there"},
                          {"role": "user", "content": "refund the charge"},
                          {"role": "assistant", "content": "this is about refund"}]}, *_chats(7, 1)]
    train = _jsonl(tmp_path / "chats.jsonl", rows)
    trainer, resolved = sft.setup(sft.SFTRecipeConfig(max_steps=1), model_path=str(chatml_llama), train_path=train,
                                  validation_path=None, work_dir=tmp_path / "w", plan=plan_device(), progress=False)
    assert resolved == {"loss_mask": "last_turn"}  # no {% generation %} markers, and not a template TRL patches
    tok = trainer.processing_class
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(3)])  # padded with <|im_end|> (pad == eos)
    for i, row in enumerate(rows[:3]):
        ids, labels = batch["input_ids"][i].tolist(), batch["labels"][i].tolist()
        text = tok.decode([t for t, m in zip(ids, batch["attention_mask"][i].tolist(), strict=True) if m])
        # the system message is the record's: ChatML's default "SmolLM" system prompt is not injected
        assert text.startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n")
        learned = tok.decode([t for t, label in zip(ids, labels, strict=True) if label != -100])
        # the final reply and the <|im_end|> that ends it (the model learns to stop; TRL adds no second eos);
        # not the system / user turns, not the earlier reply ("hello there"), not the padding
        assert learned == row["messages"][-1]["content"] + "<|im_end|>\n"
    pad_positions = [j for j, m in enumerate(batch["attention_mask"][2].tolist()) if not m]
    assert all(batch["labels"][2][j] == -100 for j in pad_positions)
    with pytest.raises(HarnessError, match="generation"):
        sft.setup(sft.SFTRecipeConfig(loss_mask="assistant"), model_path=str(chatml_llama), train_path=train,
                  validation_path=None, work_dir=tmp_path / "w2", plan=plan_device(), progress=False)


@pytest.mark.slow
def test_preference_methods_train_on_chatml_with_lora_on_every_llama_projection(chatml_llama: Path,
                                                                                tmp_path: Path) -> None:
    from peft import PeftConfig
    from transformers import AutoTokenizer

    from harness.device import plan_device
    from harness.methods import get_method

    train, val = _jsonl(tmp_path / "p.jsonl", _pairs(48, 1)), _jsonl(tmp_path / "pv.jsonl", _pairs(8, 2))
    for name in ("dpo", "kto", "orpo", "simpo"):
        method = get_method(name)
        cfg = method.config(max_steps=4, per_device_batch_size=4, learning_rate=1e-3, logging_steps=1,
                            max_eval_samples=8)
        trainer, _ = method.module.setup(cfg, model_path=str(chatml_llama), train_path=train, validation_path=val,
                                         work_dir=tmp_path / f"w-{name}", plan=plan_device(), progress=False)
        # the rendered prompt is the model's ChatML with the pair's system turn, the reply ends with one eos
        row = trainer.train_dataset[0]
        tok = trainer.processing_class
        prompt_ids = row.get("prompt_input_ids") or row["prompt_ids"]
        assert tok.decode(prompt_ids).startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n")
        assert tok.decode(prompt_ids).endswith("<|im_start|>assistant\n")
        reply_ids = row.get("chosen_input_ids") or row.get("chosen_ids") or row.get("completion_input_ids") \
            or row["completion_ids"]
        reply = tok.decode(reply_ids).rsplit("<|im_start|>assistant\n", 1)[-1]  # ORPO/SimPO: prompt + reply
        assert reply.count("<|im_end|>") == 1 and reply.rstrip().endswith("<|im_end|>"), (name, reply)
        targets = {n.split(".")[-2] for n, _ in trainer.model.named_modules() if n.endswith("lora_A")}
        assert targets == LLAMA_LINEAR  # all-linear = every attention and MLP projection, never lm_head

        out = method.run(cfg, model_path=str(chatml_llama), train_path=train, validation_path=val,
                         output_dir=tmp_path / name, progress=False)
        assert out.global_steps == 4 and math.isfinite(out.train_loss_last)
        saved = AutoTokenizer.from_pretrained(out.model_path)
        assert saved.chat_template == CHATML and saved.eos_token == saved.pad_token == "<|im_end|>"
        saved_targets = PeftConfig.from_pretrained(out.adapter_path).target_modules
        assert {m.rsplit(".", 1)[-1] for m in saved_targets} == LLAMA_LINEAR
