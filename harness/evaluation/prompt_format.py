"""How a task's prompt reaches the model: through the model's own chat template, or as plain text.

A task declares what it is written for in its YAML (`metadata.prompt_format`):
- `chat`: `description` is the system turn and `doc_to_text` the user turn, with no chat markup; lm-eval renders
  them with the model's chat template (`apply_chat_template=True`, `lm_eval --apply_chat_template`), so the same
  YAML fits the embedded model, ChatML (SmolLM2) or any other chat model, exactly as SFT rendered its chats.
- `plain` (also when nothing is declared, as for lm-eval's own tasks): the prompt is the text itself.
loglikelihood_rolling tasks score a document with no prompt at all: their format is `any`.

What the harness actually did is part of each task's identity (`prompt_format` in its config and so in its
config hash): `plain`, `any`, or `chat:<hash of the template>`. A chat task on a model without a chat template
is evaluated plain (and says so), and runs with different templates are never paired as if comparable.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from harness.errors import HarnessError
from harness.fingerprint import fingerprint

CHAT, PLAIN, ANY = "chat", "plain", "any"
DECLARED = (CHAT, PLAIN)


def declared_format(task: str, config: Mapping[str, Any]) -> str:
    """chat | plain | any, from a task's YAML or lm-eval's dumped config."""
    if config.get("output_type") == "loglikelihood_rolling":
        return ANY
    value = (config.get("metadata") or {}).get("prompt_format", PLAIN)
    if value not in DECLARED:
        raise HarnessError(f"task {task} declares prompt_format '{value}'",
                           f"set metadata.prompt_format to {' or '.join(DECLARED)} in its YAML")
    return str(value)


@lru_cache(maxsize=16)
def chat_template_of(path: str, trust_remote_code: bool = False) -> str | None:
    """The chat template lm-eval will use for this model folder / cached hub id (None when it has none)."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise HarnessError(f"cannot load the tokenizer of '{path}': {str(exc).splitlines()[0]}",
                           "pass a model folder with its tokenizer files") from exc
    template = tokenizer.chat_template
    if isinstance(template, dict):  # several named templates: lm-eval uses "default"
        template = template.get("default")
    return template or None


def effective_format(declared: str, template: str | None) -> str:
    """What is stored: `chat:<template hash>` when a chat task meets a chat template, else plain / any."""
    if declared == CHAT and template:
        return f"{CHAT}:{fingerprint(template)[:16]}"
    return ANY if declared == ANY else PLAIN


def uses_chat_template(effective: str) -> bool:
    return effective.startswith(CHAT + ":")


def batches(requested: list[str], formats: Mapping[str, str], members: Mapping[str, list[str]]) -> list[
        tuple[bool, list[str]]]:
    """Split the requested suites/tasks into simple_evaluate calls with one `apply_chat_template` value each.

    A suite whose tasks all agree (tasks of format `any` agree with everything) stays whole, so lm-eval still
    reports its group; a mixed suite is split into its tasks."""
    out: dict[bool, list[str]] = {}
    for name in requested:
        tasks = [t for t in members.get(name, [name]) if t in formats]
        modes = {uses_chat_template(formats[t]) for t in tasks if formats[t] != ANY}
        if len(modes) <= 1:
            out.setdefault(modes.pop() if modes else False, []).append(name)
            continue
        for task in tasks:
            out.setdefault(uses_chat_template(formats[task]), []).append(task)
    return sorted(out.items())


def merge_results(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One lm-eval result dict from several simple_evaluate calls (the keys the runner reads)."""
    if len(parts) == 1:
        return parts[0]
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged.setdefault(key, value)
    return merged
