"""Recipes train for real on a micro Llama built here (no downloads, no other engineers' code).

The fixture model: random-init LlamaForCausalLM (hidden 64, 2 layers) + a byte-level BPE tokenizer trained on
the synthetic data below, wrapped in PreTrainedTokenizerFast with the embedded model's chat template
(docs/ARCHITECTURE.md: `<|role|>\\n...<|end|>\\n`, `{% generation %}` around assistant turns, eos `<|end|>`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains tiny models for real (minutes on 2 CPU cores)

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\\n' }}{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}{{ '\\n' }}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]

INTENTS = {
    "refund": ["i want my money back", "please refund my order", "refund the charge", "return and refund"],
    "shipping": ["where is my parcel", "when will it ship", "track my delivery", "package is late"],
    "account": ["reset my password", "cannot log in", "change my email", "delete my account"],
}
GOOD = "thanks for reaching out, happy to help with that"
BAD = "no. figure it out yourself"


def cpt_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        intent = rng.choice(sorted(INTENTS))
        phrase = rng.choice(INTENTS[intent])
        out.append(f"customer says {phrase}. agent tags the ticket as {intent}. agent replies {GOOD}.")
    return out


def sft_records(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        intent = rng.choice(sorted(INTENTS))
        phrase = rng.choice(INTENTS[intent])
        out.append({"messages": [
            {"role": "system", "content": "classify the intent"},
            {"role": "user", "content": phrase},
            {"role": "assistant", "content": intent},
        ], "meta": {"intent": intent}})
    return out


def dpo_records(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"prompt": rng.choice(INTENTS[rng.choice(sorted(INTENTS))]), "chosen": GOOD, "rejected": BAD}
            for _ in range(n)]


def intent_pairs(n: int, seed: int) -> list[dict]:
    """Pairs a reward model can only rank by reading the prompt: the chosen reply names the message's intent,
    the rejected one another intent (the same reply words otherwise)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        intent, other = rng.sample(sorted(INTENTS), 2)
        out.append({"prompt": rng.choice(INTENTS[intent]), "chosen": f"this is about {intent}",
                    "rejected": f"this is about {other}"})
    return out


def classification_records(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"text": rng.choice(INTENTS[intent]), "label": intent}
            for intent in (rng.choice(sorted(INTENTS)) for _ in range(n))]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def build_micro_model(path: Path) -> Path:
    """Tiny Llama + BPE tokenizer with the embedded chat template, saved as an HF folder."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    corpus = cpt_texts(200, 0) + [m["content"] for r in sft_records(200, 0) for m in r["messages"]]
    corpus += [GOOD, BAD]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|end|>", pad_token="<|pad|>",
                                        additional_special_tokens=SPECIAL_TOKENS[2:])
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         tie_word_embeddings=True, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_micro_model(tmp_path_factory.mktemp("micro") / "model")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("data")
    write_jsonl(d / "cpt_train.jsonl", [{"text": t, "meta": {"k": 1}} for t in cpt_texts(300, 1)])
    write_jsonl(d / "cpt_val.jsonl", [{"text": t} for t in cpt_texts(24, 2)])
    write_jsonl(d / "sft_train.jsonl", sft_records(300, 1))
    write_jsonl(d / "sft_val.jsonl", sft_records(24, 2))
    write_jsonl(d / "dpo_train.jsonl", dpo_records(200, 1))
    write_jsonl(d / "dpo_val.jsonl", dpo_records(24, 2))
    write_jsonl(d / "rm_train.jsonl", intent_pairs(300, 1))
    write_jsonl(d / "rm_val.jsonl", intent_pairs(48, 2))
    write_jsonl(d / "cls_train.jsonl", classification_records(300, 1))
    write_jsonl(d / "cls_val.jsonl", classification_records(48, 2))
    return d


def assert_loadable_stage(out, parent: Path) -> None:
    """The stage folder is complete: a loadable full model, tokenizer, manifest with a true fingerprint."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.fingerprint import hash_dir

    model = AutoModelForCausalLM.from_pretrained(out.model_path)
    tokenizer = AutoTokenizer.from_pretrained(out.model_path)
    assert tokenizer.eos_token == "<|end|>" and tokenizer.chat_template
    assert sum(p.numel() for p in model.parameters()) == out.n_params
    manifest = json.loads(out.manifest_path.read_text())
    assert manifest["fingerprint"] == out.fingerprint == hash_dir(out.model_path)
    assert manifest["parent_model"] == str(parent) and manifest["method"] == out.method
    assert manifest["config"]["max_steps"] > 0
    assert not (out.model_path.parent / "_trainer").exists()


# -- configs ----------------------------------------------------------------------------------------------------
def test_recipe_configs_load_and_reject_bad_yaml(tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.methods import discover
    from harness.recipes import config_class, load_recipe_config

    assert {"cpt", "sft", "dpo"} <= set(discover())
    for stage in ("cpt", "sft", "dpo"):  # shipped demo recipes validate
        shipped = Path(__file__).resolve().parents[1] / "domains" / "support_chat" / "recipes" / f"{stage}.yaml"
        cfg = load_recipe_config(stage, shipped, {"seed": 7})
        assert isinstance(cfg, config_class(stage)) and cfg.seed == 7 and cfg.max_steps > 0

    good = tmp_path / "sft.yaml"
    good.write_text("max_steps: 5\nlora:\n  r: 4\n")
    cfg = load_recipe_config("sft", good, {"lora": {"alpha": 8}})
    assert (cfg.max_steps, cfg.lora.r, cfg.lora.alpha, cfg.lora.enabled) == (5, 4, 8, True)
    cases = {"max_steps: [\n": "not valid YAML", "bogus: 1\n": "'bogus'", "learning_rate: fast\n": "'learning_rate'",
             "lora:\n  rank: 4\n": "'lora.rank'", "loss_type: nope\n": "'loss_type"}
    for text, needle in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(HarnessError) as err:
            load_recipe_config("dpo", bad)
        assert needle in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(HarnessError, match="unknown method 'rlhf'"):
        load_recipe_config("rlhf")


def test_bad_inputs_are_one_line_errors(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.recipes import cpt, dpo

    cfg = cpt.CPTConfig(max_steps=1)
    with pytest.raises(HarnessError, match="not found"):
        cpt.run(cfg, model_path=str(tiny_llama), train_path=tmp_path / "none.jsonl", validation_path=None,
                output_dir=tmp_path / "o1", progress=False)
    with pytest.raises(HarnessError, match="'text'"):  # SFT chats are not CPT text
        cpt.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "sft_train.jsonl", validation_path=None,
                output_dir=tmp_path / "o2", progress=False)
    with pytest.raises(HarnessError, match="'chosen'"):
        dpo.run(dpo.DPORecipeConfig(max_steps=1), model_path=str(tiny_llama), validation_path=None,
                train_path=data_dir / "cpt_train.jsonl", output_dir=tmp_path / "o3", progress=False)
    with pytest.raises(HarnessError, match="cannot load model"):
        cpt.run(cfg, model_path=str(tmp_path / "nowhere"), train_path=data_dir / "cpt_train.jsonl",
                validation_path=None, output_dir=tmp_path / "o4", progress=False)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(HarnessError, match="holds files"):
        cpt.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "cpt_train.jsonl", validation_path=None,
                output_dir=precious, progress=False)
    assert (precious / "notes.txt").exists()


# -- CPT --------------------------------------------------------------------------------------------------------
def test_cpt_full_finetune_learns_and_logs_to_store(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.recipes import cpt
    from harness.store import Store

    store = Store(tmp_path / "h.duckdb")
    run_id = store.start_run("train", stage="cpt")
    cfg = cpt.CPTConfig(max_steps=24, learning_rate=3e-3, max_length=128, per_device_batch_size=8,
                        eval_steps=10, logging_steps=5)
    out = cpt.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "cpt_train.jsonl",
                  validation_path=data_dir / "cpt_val.jsonl", output_dir=tmp_path / "cpt", store=store,
                  run_id=run_id, progress=False)

    assert out.method == "full" and out.adapter_path is None and out.global_steps == 24
    assert out.trainable_params == out.n_params
    assert out.train_loss_last < out.train_loss_first - 1.0
    assert out.eval_loss_last < out.eval_loss_first - 1.0
    assert_loadable_stage(out, tiny_llama)

    rows = store.query("SELECT step, split, loss, learning_rate, tokens_seen, metrics_json FROM train_logs "
                       "WHERE run_id = ? ORDER BY split, step", [run_id])
    val = [r for r in rows if r["split"] == "validation"]
    train = [r for r in rows if r["split"] == "train"]
    assert [r["step"] for r in val] == [0, 10, 20, 24]  # before training, every eval_steps, after the last step
    assert [r["step"] for r in train] == [1, 5, 10, 15, 20, 24]
    assert val[0]["loss"] == pytest.approx(out.eval_loss_first) and val[-1]["loss"] == pytest.approx(out.eval_loss_last)
    assert all(r["learning_rate"] is not None for r in train)
    assert train[-1]["tokens_seen"] > train[0]["tokens_seen"] > 0
    assert "mean_token_accuracy" in json.loads(train[-1]["metrics_json"])


# -- SFT --------------------------------------------------------------------------------------------------------
def test_sft_masks_everything_but_assistant_turns(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.device import plan_device
    from harness.recipes import sft

    cfg = sft.SFTRecipeConfig(max_steps=1)
    trainer, resolved = sft.setup(cfg, model_path=str(tiny_llama), train_path=data_dir / "sft_train.jsonl",
                                  validation_path=None, work_dir=tmp_path / "w", plan=plan_device(),
                                  progress=False)
    assert resolved == {"loss_mask": "assistant"}
    tok = trainer.processing_class
    records = sft_records(300, 1)
    for i in range(5):
        ids, labels = trainer.train_dataset[i]["input_ids"], trainer.train_dataset[i]["labels"]
        learned = [t for t, label in zip(ids, labels, strict=True) if label != -100]
        assert tok.decode(learned) == records[i]["messages"][-1]["content"] + "<|end|>"
        assert tok.decode(ids).startswith("<|system|>\nclassify the intent<|end|>\n<|user|>\n")


def test_sft_falls_back_to_last_turn_without_generation_markers(tiny_llama: Path, data_dir: Path,
                                                                 tmp_path: Path) -> None:
    import shutil

    from harness.device import plan_device
    from harness.errors import HarnessError
    from harness.recipes import sft

    plain = tmp_path / "plain"
    shutil.copytree(tiny_llama, plain)
    config_file = plain / "tokenizer_config.json"
    template = CHAT_TEMPLATE.replace("{% generation %}", "").replace("{% endgeneration %}", "")
    if (plain / "chat_template.jinja").exists():
        (plain / "chat_template.jinja").write_text(template)
    else:
        data = json.loads(config_file.read_text())
        data["chat_template"] = template
        config_file.write_text(json.dumps(data))
    two_turns = write_jsonl(tmp_path / "two.jsonl", [{"messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"},
        {"role": "user", "content": "refund please"}, {"role": "assistant", "content": "refund"}]}] * 4)

    trainer, resolved = sft.setup(sft.SFTRecipeConfig(max_steps=1), model_path=str(plain), train_path=two_turns,
                                  validation_path=None, work_dir=tmp_path / "w", plan=plan_device(),
                                  progress=False)
    assert resolved == {"loss_mask": "last_turn"}
    row = trainer.train_dataset[0]
    learned = [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
    assert trainer.processing_class.decode(learned).startswith("refund<|end|>")  # only the final reply
    with pytest.raises(HarnessError, match="generation"):
        sft.setup(sft.SFTRecipeConfig(loss_mask="assistant"), model_path=str(plain), train_path=two_turns,
                  validation_path=None, work_dir=tmp_path / "w2", plan=plan_device(), progress=False)


def test_sft_lora_learns_saves_adapter_and_merged_model(tiny_llama: Path, data_dir: Path,
                                                         tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from harness.recipes import sft

    cfg = sft.SFTRecipeConfig(max_steps=40, learning_rate=3e-3, per_device_batch_size=8, logging_steps=10,
                              lora={"r": 8, "alpha": 16})
    out = sft.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "sft_train.jsonl",
                  validation_path=data_dir / "sft_val.jsonl", output_dir=tmp_path / "sft", progress=False)

    assert out.method == "lora" and 0 < out.trainable_params < out.n_params / 2
    # random-init tied embeddings keep logits small (entropy near uniform), so LoRA alone moves the loss
    # moderately; the argmax (token accuracy on the assistant tokens) moves a lot
    assert out.eval_loss_last < out.eval_loss_first - 0.5
    assert out.eval_last["mean_token_accuracy"] > out.eval_first["mean_token_accuracy"] + 0.5
    assert (out.adapter_path / "adapter_config.json").exists()
    assert_loadable_stage(out, tiny_llama)

    # merged weights == base + adapter
    ids = torch.tensor([[5, 17, 42, 99, 3, 250]])
    merged = AutoModelForCausalLM.from_pretrained(out.model_path).eval()
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama), out.adapter_path).eval()
    base = AutoModelForCausalLM.from_pretrained(tiny_llama).eval()
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, adapted(ids).logits, atol=1e-4)
        assert not torch.allclose(merged(ids).logits, base(ids).logits, atol=1e-3)


# -- DPO --------------------------------------------------------------------------------------------------------
def test_dpo_lora_moves_rewards_and_logs_them(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.recipes import dpo
    from harness.store import Store

    store = Store(tmp_path / "h.duckdb")
    run_id = store.start_run("train", stage="dpo")
    cfg = dpo.DPORecipeConfig(max_steps=16, learning_rate=2e-3, per_device_batch_size=8, eval_steps=8,
                              logging_steps=4, beta=0.1)
    out = dpo.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "dpo_train.jsonl",
                  validation_path=data_dir / "dpo_val.jsonl", output_dir=tmp_path / "dpo", store=store,
                  run_id=run_id, progress=False)

    assert out.method == "lora" and out.adapter_path is not None
    assert out.eval_first["rewards/margins"] == pytest.approx(0.0, abs=1e-4)  # adapter starts at zero
    assert out.eval_loss_first == pytest.approx(0.6931, abs=1e-3)  # -log(sigmoid(0))
    assert out.eval_last["rewards/accuracies"] > 0.9 and out.eval_last["rewards/margins"] > 0.5
    assert out.eval_loss_last < 0.5
    assert_loadable_stage(out, tiny_llama)
    assert json.loads(out.manifest_path.read_text())["resolved"] == {"chat_format": "chat"}

    rows = store.query("SELECT step, split, metrics_json FROM train_logs WHERE run_id = ? ORDER BY step", [run_id])
    val = [json.loads(r["metrics_json"]) for r in rows if r["split"] == "validation"]
    train = [json.loads(r["metrics_json"]) for r in rows if r["split"] == "train"]
    assert len(val) == 3 and val[-1]["rewards/accuracies"] == pytest.approx(out.eval_last["rewards/accuracies"])
    assert all("rewards/margins" in m for m in train)


# -- full fine-tuning for SFT and DPO (`lora.enabled: false`) ---------------------------------------------------
def test_sft_and_dpo_full_finetune_learn(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.recipes import dpo, sft

    cfg = sft.SFTRecipeConfig(max_steps=30, learning_rate=3e-3, per_device_batch_size=8, logging_steps=10,
                              lora={"enabled": False})
    out = sft.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "sft_train.jsonl",
                  validation_path=data_dir / "sft_val.jsonl", output_dir=tmp_path / "sft", progress=False)
    assert out.method == "full" and out.adapter_path is None and out.trainable_params == out.n_params
    assert out.eval_loss_last < out.eval_loss_first - 1.0  # every weight moves: more than LoRA's 0.5 above
    assert out.eval_last["mean_token_accuracy"] > out.eval_first["mean_token_accuracy"] + 0.5

    # full DPO: TRL holds a frozen copy of the parent as the reference (no adapters to disable)
    cfg = dpo.DPORecipeConfig(max_steps=12, learning_rate=1e-3, per_device_batch_size=8, eval_steps=6,
                              logging_steps=4, lora={"enabled": False})
    out = dpo.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "dpo_train.jsonl",
                  validation_path=data_dir / "dpo_val.jsonl", output_dir=tmp_path / "dpo", progress=False)
    assert out.method == "full" and out.trainable_params == out.n_params
    assert out.eval_first["rewards/margins"] == pytest.approx(0.0, abs=1e-4)  # policy == reference at start
    assert out.eval_last["rewards/accuracies"] > 0.9 and out.eval_last["rewards/margins"] > 0.5
    assert_loadable_stage(out, tiny_llama)


# -- KTO, ORPO, SimPO ---------------------------------------------------------------------------------------------
def test_kto_learns_from_pairs_split_into_unpaired_replies(tiny_llama: Path, data_dir: Path,
                                                           tmp_path: Path) -> None:
    from harness.recipes import kto

    cfg = kto.KTORecipeConfig(max_steps=16, learning_rate=2e-3, eval_steps=8, logging_steps=4)
    out = kto.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "dpo_train.jsonl",
                  validation_path=data_dir / "dpo_val.jsonl", output_dir=tmp_path / "kto", progress=False)
    resolved = json.loads(out.manifest_path.read_text())["resolved"]
    assert resolved == {"chat_format": "chat", "n_train_replies": 400}  # 200 pairs → 200 up + 200 down
    assert out.eval_first["rewards/margins"] == pytest.approx(0.0, abs=1e-3)  # adapter starts at zero
    # seen at 16 steps: margin 0 → 1.41, loss 0.50 → 0.33 (chosen reward up, rejected down)
    assert out.eval_last["rewards/margins"] > 0.7
    assert out.eval_last["rewards/chosen"] > 0 > out.eval_last["rewards/rejected"]
    assert out.eval_loss_last < out.eval_loss_first - 0.1
    rows = kto.unpaired_records([{"prompt": "p", "completion": "c", "label": "false"}], "x", chat=False)
    assert rows[0] == {"prompt": "p", "completion": "c", "label": False}


def test_orpo_and_simpo_prefer_chosen_without_a_reference(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.recipes import orpo, simpo

    common = {"max_steps": 16, "learning_rate": 2e-3, "eval_steps": 8, "logging_steps": 4}
    out = orpo.run(orpo.ORPORecipeConfig(**common), model_path=str(tiny_llama),
                   train_path=data_dir / "dpo_train.jsonl", validation_path=data_dir / "dpo_val.jsonl",
                   output_dir=tmp_path / "orpo", progress=False)
    # seen: log-odds of the chosen reply 0.01 → 0.40; SFT part (nll of chosen) 5.99 → 5.61
    assert out.eval_last["log_odds_chosen"] > out.eval_first["log_odds_chosen"] + 0.2
    assert out.eval_last["nll_loss"] < out.eval_first["nll_loss"] - 0.2
    assert out.eval_last["rewards/accuracies"] > 0.9

    out = simpo.run(simpo.SimPORecipeConfig(**common), model_path=str(tiny_llama),
                    train_path=data_dir / "dpo_train.jsonl", validation_path=data_dir / "dpo_val.jsonl",
                    output_dir=tmp_path / "simpo", progress=False)
    # seen: margin 0.02 → 1.68 (beta 2 × length-normalised log-prob), loss 0.97 → 0.27
    assert out.eval_last["rewards/margins"] > out.eval_first["rewards/margins"] + 0.8
    assert out.eval_last["rewards/accuracies"] > 0.9 and out.eval_loss_last < out.eval_loss_first - 0.3
    assert out.eval_last["nll_loss"] == 0.0  # cpo_alpha 0: pure SimPO, no SFT term
    assert_loadable_stage(out, tiny_llama)


# -- reward model and classification head (their own evaluation) -------------------------------------------------
def _ref(path: Path, model_id: str):
    from harness.models.refs import ModelRef

    return ModelRef(str(path), str(path), model_id, "stage")


def test_reward_model_ranks_held_out_pairs_and_stores_per_pair_rows(tiny_llama: Path, data_dir: Path,
                                                                    tmp_path: Path) -> None:
    from harness.recipes import reward
    from harness.store import Store

    cfg = reward.RewardRecipeConfig(max_steps=30, learning_rate=1e-3, eval_steps=15, logging_steps=10)
    paths = (data_dir / "rm_train.jsonl", data_dir / "rm_val.jsonl")
    out = reward.run(cfg, model_path=str(tiny_llama), train_path=paths[0], validation_path=paths[1],
                     output_dir=tmp_path / "rm", progress=False)
    store = Store(tmp_path / "rm.duckdb")
    before = reward.evaluate(store, _ref(tiny_llama, "base"), domain="toy", stage="rm", paths=paths, limit=None)
    after = reward.evaluate(store, _ref(out.model_path, "rm"), domain="toy", stage="rm", paths=paths, limit=None)
    b = {r["metric"]: r for r in before.rows}
    a = {r["metric"]: r for r in after.rows}
    # the pairs differ only in which intent the reply names: ranking them needs the prompt. Seen on 48 held-out
    # pairs: accuracy 0.42 (fresh head) → 0.79 (stderr ~0.06), margin 0.00 → 1.92
    assert a["pairwise_accuracy"]["n"] == 48 and a["pairwise_accuracy"]["value"] > 0.65
    assert a["pairwise_accuracy"]["value"] > b["pairwise_accuracy"]["value"] + 0.2
    assert a["margin"]["value"] > 1.0 > abs(b["margin"]["value"])
    assert a["pairwise_accuracy"]["value"] == pytest.approx(out.eval_last["accuracy"], abs=0.03)  # = TRL's own
    rows = store.query("SELECT metric, count(*) AS n FROM eval_samples WHERE run_id = ? GROUP BY metric ORDER BY "
                       "metric", [after.run_id])
    assert [(r["metric"], r["n"]) for r in rows] == [("margin", 48), ("pairwise_accuracy", 48)]
    task = store.query("SELECT task, primary_metric, chance FROM eval_tasks WHERE run_id = ?", [after.run_id])[0]
    assert task == {"task": "toy_reward_pairs", "primary_metric": "pairwise_accuracy", "chance": 0.5}


def test_classification_head_learns_intents_with_accuracy_and_macro_f1(tiny_llama: Path, data_dir: Path,
                                                                       tmp_path: Path) -> None:
    from harness.recipes import classifier
    from harness.store import Store

    cfg = classifier.ClassifierRecipeConfig(max_steps=30, learning_rate=1e-3, eval_steps=15, logging_steps=10)
    paths = (data_dir / "cls_train.jsonl", data_dir / "cls_val.jsonl")
    out = classifier.run(cfg, model_path=str(tiny_llama), train_path=paths[0], validation_path=paths[1],
                         output_dir=tmp_path / "cls", progress=False)
    assert json.loads(out.manifest_path.read_text())["resolved"] == {"labels": sorted(INTENTS)}
    assert out.eval_loss_last < out.eval_loss_first - 0.5  # seen: 1.14 → 0.21
    store = Store(tmp_path / "cls.duckdb")
    summary = classifier.evaluate(store, _ref(out.model_path, "cls"), domain="toy", stage="cls", paths=paths,
                                  limit=None)
    got = {r["metric"]: r for r in summary.rows}
    assert got["acc"]["n"] == 48 and got["acc"]["value"] > 0.9 and got["macro_f1"]["value"] > 0.9  # chance 1/3
    samples = store.query("SELECT prediction, target, value FROM eval_samples WHERE run_id = ?", [summary.run_id])
    assert len(samples) == 48 and all((s["prediction"] == s["target"]) == (s["value"] == 1.0) for s in samples)
    task = store.query("SELECT primary_metric, chance FROM eval_tasks WHERE run_id = ?", [summary.run_id])[0]
    assert task["primary_metric"] == "acc" and task["chance"] == pytest.approx(1 / 3)
    assert classifier.macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx((2 / 3 + 2 / 3) / 2)


# -- early stopping ------------------------------------------------------------------------------------------------
def test_early_stopping_stops_and_records_step_and_reason(tiny_llama: Path, data_dir: Path, tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.recipes import cpt
    from harness.store import Store

    store = Store(tmp_path / "h.duckdb")
    run_id = store.start_run("train", stage="cpt")
    # drops under 0.5 per 4 steps count as none: the validation curve flattens long before max_steps
    cfg = cpt.CPTConfig(max_steps=60, learning_rate=3e-3, max_length=128, eval_steps=4, logging_steps=4,
                        early_stopping_patience=1, early_stopping_threshold=0.5)
    out = cpt.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "cpt_train.jsonl",
                  validation_path=data_dir / "cpt_val.jsonl", output_dir=tmp_path / "cpt", store=store,
                  run_id=run_id, progress=False)
    stop = out.early_stop
    assert stop is not None and out.global_steps == stop["step"] < 60
    assert stop["best_step"] < stop["step"] and "did not improve by more than 0.5" in stop["reason"]
    manifest = json.loads(out.manifest_path.read_text())
    assert manifest["result"]["early_stop"] == stop
    row = store.query("SELECT step, loss, metrics_json FROM train_logs WHERE run_id = ? AND split = 'early_stop'",
                      [run_id])[0]
    assert row["step"] == stop["step"] and json.loads(row["metrics_json"])["reason"] == stop["reason"]
    with pytest.raises(HarnessError, match="early_stopping_patience needs a validation set"):
        cpt.run(cpt.CPTConfig(max_steps=2, early_stopping_patience=1), model_path=str(tiny_llama),
                train_path=data_dir / "cpt_train.jsonl", validation_path=None, output_dir=tmp_path / "c2",
                progress=False)


# -- QLoRA (4-bit NF4) and 8-bit LoRA through bitsandbytes ------------------------------------------------------
@pytest.mark.parametrize("quantize", ["nf4", "int8"])
def test_quantized_lora_learns_and_merges_into_a_full_precision_base(tiny_llama: Path, data_dir: Path,
                                                                     tmp_path: Path, quantize: str) -> None:
    pytest.importorskip("bitsandbytes")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from harness.recipes import sft

    cfg = sft.SFTRecipeConfig(max_steps=30, learning_rate=3e-3, per_device_batch_size=8, logging_steps=10,
                              lora={"r": 8, "alpha": 16, "quantize": quantize})
    out = sft.run(cfg, model_path=str(tiny_llama), train_path=data_dir / "sft_train.jsonl",
                  validation_path=data_dir / "sft_val.jsonl", output_dir=tmp_path / quantize, progress=False)
    assert out.method == "lora" and 0 < out.trainable_params < out.n_params / 2
    # the frozen base is quantized, the adapter is not: the effect is LoRA's (loss -0.5, accuracy +0.5 at 40 steps)
    assert out.eval_loss_last < out.eval_loss_first - 0.4
    assert out.eval_last["mean_token_accuracy"] > out.eval_first["mean_token_accuracy"] + 0.4

    saved = json.loads((out.model_path / "config.json").read_text())
    assert "quantization_config" not in saved  # merged into a full-precision reload, not the 4/8-bit weights
    merged = AutoModelForCausalLM.from_pretrained(out.model_path).eval()
    assert all(p.dtype == torch.float32 for p in merged.parameters())
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama), out.adapter_path).eval()
    ids = torch.tensor([[5, 17, 42, 99, 3, 250]])
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, adapted(ids).logits, atol=1e-4)


def test_quantize_needs_lora() -> None:
    from pydantic import ValidationError

    from harness.recipes import reward, sft

    with pytest.raises(ValidationError, match="quantize needs lora.enabled"):
        sft.SFTRecipeConfig(lora={"enabled": False, "quantize": "nf4"})
    with pytest.raises(ValidationError, match="causal-LM recipes"):
        reward.RewardRecipeConfig(lora={"enabled": True, "quantize": "int8"})
