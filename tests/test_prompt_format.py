"""Suites carry no chat markup: lm-eval renders `description` (system) + `doc_to_text` (user) with the model's own
chat template. Checked with lm-eval's own prompt construction, on every converted suite, for the embedded template
(the prompts it always had) and for ChatML (SmolLM2's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.evaluation.prompt_format import ANY, CHAT, PLAIN, batches, declared_format, effective_format
from harness.models.embedded import CHAT_TEMPLATE

ROOT = Path(__file__).resolve().parents[1]
CHAT_SUITES = {"support_chat": ROOT / "domains/support_chat/suite", "medical": ROOT / "domains/medical/suite",
               "security_logs": ROOT / "domains/security_logs/suite"}
# SmolLM2-135M-Instruct's template (ChatML with a default system prompt), as its GGUF file carries it.
CHATML = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
          "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
          "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def _render(template: str):
    """lm-eval's chat_template callable, as HFLM.apply_chat_template builds it: the tokenizer renders the chat."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"<unk>": 0}, "<unk>")))
    tokenizer.chat_template = template

    def chat_template(history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        return tokenizer.apply_chat_template(history, tokenize=False, add_generation_prompt=add_generation_prompt)

    return chat_template


def _tasks(suite: str):
    from lm_eval.tasks import TaskManager, get_task_dict

    manager = TaskManager(include_path=str(CHAT_SUITES[suite]), include_defaults=False)
    out = {}
    for name, task in get_task_dict([suite], manager).items():
        if isinstance(task, dict):
            out.update(task)
        else:
            out[name] = task
    return {str(getattr(t, "config", None) and t.config.task): t for t in out.values() if hasattr(t, "config")}


@pytest.mark.parametrize("suite", sorted(CHAT_SUITES))
def test_chat_tasks_render_the_old_embedded_prompt_and_chatml(suite: str) -> None:
    embedded, chatml = _render(CHAT_TEMPLATE), _render(CHATML)
    checked = 0
    for name, task in _tasks(suite).items():
        if task.config.output_type == "loglikelihood_rolling":
            assert declared_format(name, task.dump_config()) == ANY
            continue
        assert declared_format(name, task.dump_config()) == CHAT
        for doc in list(task.eval_docs)[:5]:
            # the exact string the suites used to hard-code, so the embedded model's scores do not move
            old = f"<|system|>\n{doc['system']}<|end|>\n<|user|>\n{doc['user']}<|end|>\n<|assistant|>\n"
            assert task.fewshot_context(doc, 0, apply_chat_template=True, chat_template=embedded) == old
            assert task.fewshot_context(doc, 0, apply_chat_template=True, chat_template=chatml) == (
                f"<|im_start|>system\n{doc['system']}<|im_end|>\n<|im_start|>user\n{doc['user']}<|im_end|>\n"
                "<|im_start|>assistant\n")
            plain = task.fewshot_context(doc, 0)  # no template: lm-eval's plain form, no markup of anyone's
            assert plain == doc["system"] + doc["user"] and "<|" not in plain
            checked += 1
        until = (task.config.generation_kwargs or {}).get("until", [])
        assert not any("<|" in stop for stop in until)  # lm-eval adds the tokenizer's own eos
    assert checked >= 10


def test_general_suite_is_plain_and_formats_are_identities() -> None:
    from harness.evaluation.tasks import _read

    for path in sorted((ROOT / "suites/general").glob("general_*.yaml")):
        assert _read(path)["metadata"]["prompt_format"] == PLAIN
    assert effective_format(CHAT, CHAT_TEMPLATE) != effective_format(CHAT, CHATML)
    assert effective_format(CHAT, CHATML).startswith("chat:")
    assert effective_format(CHAT, None) == PLAIN  # a model without a template is evaluated plain, and says so
    assert effective_format(PLAIN, CHATML) == PLAIN and effective_format(ANY, CHATML) == ANY
    with pytest.raises(HarnessError, match="prompt_format 'chatml'"):
        declared_format("t", {"metadata": {"prompt_format": "chatml"}})


def test_batches_split_only_mixed_requests() -> None:
    chat = effective_format(CHAT, CHATML)
    formats = {"a_mc": chat, "a_ppl": ANY, "g_x": PLAIN, "g_ppl": ANY, "m_mc": chat, "m_plain": PLAIN}
    members = {"a": ["a_mc", "a_ppl"], "g": ["g_x", "g_ppl"], "m": ["m_mc", "m_plain"]}
    assert batches(["a", "g"], formats, members) == [(False, ["g"]), (True, ["a"])]
    assert batches(["m"], formats, members) == [(False, ["m_plain"]), (True, ["m_mc"])]
    assert batches(["a_ppl"], formats, members) == [(False, ["a_ppl"])]
