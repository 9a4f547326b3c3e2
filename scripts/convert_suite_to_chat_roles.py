"""Convert a domain suite from literal role-marker prompts to the template-free convention (one-off, mechanical).

    python scripts/convert_suite_to_chat_roles.py domains/<name>/suite

Per task YAML using `doc_to_text: !function utils.doc_to_text`: the system text becomes `description: "{{system}}"`,
`doc_to_text` becomes the doc's `user` field, `metadata.prompt_format: chat` is added, and template-specific stop
strings (`<|end|>`, `<|user|>`) leave `until` (lm-eval adds the tokenizer's eos itself). utils.py loses
`chat_prompt` and `doc_to_text`. See /work/notes/suite-convention.md or README "Prompt formats".
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OLD_TEXT = "doc_to_text: !function utils.doc_to_text\n"
NEW_TEXT = ('description: "{{system}}"  # the system turn (chat) or plain prefix; lm-eval renders it per doc\n'
            "doc_to_text: user\n")
TEMPLATE_STOPS = re.compile(r'"<\|end\|>",\s*|,\s*"<\|user\|>"')


def convert_yaml(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    if OLD_TEXT not in text:
        return False
    text = text.replace(OLD_TEXT, NEW_TEXT)
    text = "\n".join(TEMPLATE_STOPS.sub("", line) if line.lstrip().startswith("until:") else line
                     for line in text.split("\n"))
    text = text.replace("trained models stop at <|end|>", "trained models stop at their eos")
    if "prompt_format:" not in text:
        text = re.sub(r"(\nmetadata:\n  version: [^\n]*\n)", r"\1  prompt_format: chat  # rendered with the model's "
                      r"chat template (--apply_chat_template)\n", text, count=1)
    path.write_text(text, encoding="utf-8")
    return True


def convert_utils(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n\ndef chat_prompt\(system: str, user: str\) -> str:\n    return [^\n]*\n", "\n", text)
    text = re.sub(r"\n\ndef doc_to_text\(doc: dict\[str, Any\]\) -> str:\n    return [^\n]*\n", "\n", text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    path.write_text(text, encoding="utf-8")


def main(folder: str) -> None:
    suite = Path(folder)
    changed = [p.name for p in sorted(suite.glob("*.yaml")) if convert_yaml(p)]
    if (suite / "utils.py").exists():
        convert_utils(suite / "utils.py")
    print(f"{suite}: converted {', '.join(changed) or 'nothing'}; now say in utils.py's docstring that prompts are "
          "rendered by the model's chat template")


if __name__ == "__main__":
    main(sys.argv[1])
