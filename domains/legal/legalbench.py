"""A LegalBench task folder (`train.tsv` / `test.tsv` + `base_prompt.txt`) written out as an lm-eval task.

`write_task(folder)` reads the folder with formats.read_legalbench (the same reader `harness prep` uses, so the
SFT chats and the eval prompts are one format), and writes `legalbench_<task>.yaml` plus its items as
`legalbench_<task>.jsonl` into the legal suite's `legalbench/` folder (or `out_dir`): a multiple-choice task over
the answers the TSV holds, prompt = base_prompt.txt with the row's `{{column}}` slots filled, in the suite's chat
format. No Python in the YAML: `lm_eval --include_path <out_dir>` runs it anywhere, and `harness eval --suite
legalbench_<task>` finds it inside the domain's suite folder.

LegalBench's few-shot examples are rows of its own `train.tsv`; rows quoted in base_prompt.txt are left out of
the eval items (they would be answered from the prompt). `zero_shot=True` drops the examples from the prompt
instead and keeps every row (and short prompts fit small context windows).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

import yaml

from harness.domains import module_file

HERE = Path(__file__).resolve().parent


def _load(path: Path, stem: str) -> ModuleType:
    return module_file(path)


def task_name(folder: Path) -> str:
    return "legalbench_" + re.sub(r"[^a-z0-9]+", "_", folder.name.lower()).strip("_")


def write_task(folder: Path, out_dir: Path | None = None, *, zero_shot: bool = False) -> Path:
    """Write `legalbench_<task>.yaml` (+ `.jsonl` items) for a LegalBench task folder; returns the YAML path."""
    from harness.errors import HarnessError

    formats = _load(HERE / "formats.py", "formats")
    gen = _load(HERE / "generator.py", "generator")
    folder = Path(folder).resolve()
    files = formats.legalbench_files(folder)
    if files is None:
        raise HarnessError(f"{folder} is not a LegalBench task folder (needs base_prompt.txt and test.tsv or "
                           "train.tsv)", "point at a folder of the LegalBench repository's tasks/")
    tsv, prompt_file = files
    base = prompt_file.read_text(encoding="utf-8")
    rows = list(formats.read_legalbench(tsv, prompt_file, parties=None))
    if not rows or "answer" not in rows[0]:
        raise HarnessError(f"{tsv}: no rows with an `answer` column", "use a LegalBench task TSV")
    template = formats.zero_shot(base) if zero_shot else base.rstrip()
    kept = rows if zero_shot else [r for r in rows if not _quoted(r, template)]
    if not kept:
        raise HarnessError(f"{tsv}: every row is one of base_prompt.txt's few-shot examples ({len(rows)} rows)",
                           "point at the task's test.tsv, or write the task zero-shot (--zero-shot)")
    choices = sorted({r["answer"] for r in rows})
    name = task_name(folder)
    default_dir = out_dir is None
    out_dir = HERE / "suite" / "legalbench" if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if default_dir:  # written tasks point at the user's files: they are not part of the domain's source
        (out_dir / ".gitignore").write_text("*\n", encoding="utf-8")
    data = out_dir / f"{name}.jsonl"
    columns = sorted({m for m in formats.SLOT.findall(template)} | {"answer"})
    with open(data, "w", encoding="utf-8") as fh:
        for i, r in enumerate(kept):
            fh.write(json.dumps({"id": r.get("index", str(i)), **{c: r[c] for c in columns},
                                 "gold": choices.index(r["answer"])}, ensure_ascii=False) + "\n")
    # the model's chat template renders system + user (docs/ARCHITECTURE.md, Suites)
    prompt: dict = {"description": gen.SYSTEM, "doc_to_text": template}
    prompt_format = {"prompt_format": "chat"}
    config = {
        "task": name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data.resolve())}},
        "test_split": "test",
        "output_type": "multiple_choice",
        # base_prompt.txt's {{column}} slots are Jinja: the prompt is the template itself
        **prompt,
        "doc_to_choice": choices,
        "doc_to_target": "gold",
        "target_delimiter": "",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 1.0, **prompt_format, "primary_metric": "acc", "chance": round(1 / len(choices), 4),
                     "source": str(folder), "prompt": "zero-shot" if zero_shot else "base_prompt.txt",
                     "rows": len(rows), "left_out_as_examples": len(rows) - len(kept)},
    }
    path = out_dir / f"{name}.yaml"
    path.write_text(f"# Written by domains/legal/legalbench.py from {folder}; rewrite it, do not edit.\n"
                    + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    return path


def _quoted(row: dict, template: str) -> bool:
    """Whether the row's main text already appears in the prompt (a few-shot example)."""
    text = (row.get("text") or "").strip()
    return bool(text) and text in template
