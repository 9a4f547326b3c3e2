"""Entry points behind `harness robustness gap` and `harness robustness augment`."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.robustness.gap import GapRow, robustness_gap
from harness.robustness.perturb import PerturbationSpec, perturb_text
from harness.robustness.suite import PerturbedSuite, build_perturbed_suite


@dataclass
class RobustnessResult:
    suite: PerturbedSuite
    clean_run: str
    perturbed_run: str
    rows: list[GapRow]


def parse_kinds(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def run_robustness(store: Any, model: Any, suite: str, spec: PerturbationSpec, *, limit: int | float | None,
                   device: Any, domain: str | None = None, stage: str | None = None,
                   tasks: list[str] | None = None) -> RobustnessResult:
    """Evaluate `model` on `suite` (or only `tasks` of it) and on its perturbed copy (both reused when stored),
    then the paired gap."""
    from harness.evaluation import run_eval

    copy = build_perturbed_suite(suite, spec)
    pairs = {p: c for p, c in copy.tasks.items() if not tasks or c in tasks}  # perturbed -> clean
    unknown = sorted(set(tasks or []) - set(pairs.values()))
    if unknown:
        raise HarnessError(f"task(s) {', '.join(unknown)} have no perturbed copy in suite {suite}",
                           f"use tasks of: {', '.join(sorted(copy.tasks.values()))}")
    if is_classifier(model.path):
        return _head_robustness(store, model, copy, pairs, limit=limit, domain=domain, stage=stage)
    clean = run_eval(store, model, sorted(pairs.values()), limit=limit, device=device, domain=domain, stage=stage)
    wanted = [copy.group] if not tasks else sorted(pairs)
    perturbed = run_eval(store, model, wanted, limit=limit, device=device, domain=domain, stage=stage)
    rows = robustness_gap(store, clean.run_id, perturbed.run_id)
    return RobustnessResult(copy, clean.run_id, perturbed.run_id, rows)


def is_classifier(model_path: str) -> bool:
    """A sequence-classification folder (the `classifier` method's output): lm-eval cannot score it."""
    config = Path(model_path) / "config.json"
    if not config.exists():
        return False
    arch = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    return any(str(a).endswith("ForSequenceClassification") for a in arch)


def _head_robustness(store: Any, model: Any, copy: PerturbedSuite, pairs: dict[str, str], *,
                     limit: int | float | None, domain: str | None, stage: str | None) -> RobustnessResult:
    """A classification head scored on the clean and the perturbed copy of every task that declares
    `metadata.classifier_text` (recipes/classifier.evaluate_on_task; the perturbed YAML keeps the metadata)."""
    from harness.evaluation.tasks import tasks_declaring
    from harness.recipes.classifier import evaluate_on_task

    declared = tasks_declaring("classifier_text", copy.folder)
    chosen = {p: c for p, c in pairs.items() if p in declared}
    if not chosen:
        raise HarnessError(f"model {model.ref} is a classification head and no task of {copy.group} declares "
                           "metadata.classifier_text", "perturb a suite with a classifier task (support_chat: "
                           "support_chat_intent), or pass a causal LM")
    if limit is not None and not isinstance(limit, int):
        raise HarnessError("a fractional --limit is not supported for a classification head", "pass --limit N")
    rows: list[GapRow] = []
    clean_run = perturbed_run = ""
    for pert, clean in sorted(chosen.items()):
        field = str(declared[pert])
        clean_run = evaluate_on_task(store, model, clean, field, domain=domain, stage=stage, limit=limit).run_id
        perturbed_run = evaluate_on_task(store, model, pert, field, domain=domain, stage=stage, limit=limit).run_id
        rows += robustness_gap(store, clean_run, perturbed_run)
    return RobustnessResult(copy, clean_run, perturbed_run, rows)


def augment_records(rows: list[dict[str, Any]], spec: PerturbationSpec, fraction: float) -> list[dict[str, Any]]:
    """Adversarial training data: the rows plus perturbed copies of a `fraction` of them (user turns of chats,
    prompts of prompt/completion records, texts of classification records; replies and labels are never
    perturbed)."""
    if not 0 < fraction <= 1:
        raise HarnessError(f"--fraction {fraction} is not in (0, 1]", "pass e.g. --fraction 0.5")
    rng = random.Random(spec.seed)
    picked = sorted(rng.sample(range(len(rows)), max(1, round(fraction * len(rows))))) if rows else []
    extra = []
    for i in picked:
        row = json.loads(json.dumps(rows[i]))
        if "messages" in row:
            for j, msg in enumerate(row["messages"]):
                if msg.get("role") == "user":
                    msg["content"] = perturb_text(msg["content"], spec, "augment", i * 100 + j)
        elif "prompt" in row:
            row["prompt"] = perturb_text(row["prompt"], spec, "augment", i)
        elif isinstance(row.get("text"), str) and "label" in row:  # classification: the text, never the label
            row["text"] = perturb_text(row["text"], spec, "augment", i)
        else:
            raise HarnessError(f"row {i} is neither a chat, a prompt/completion nor a text/label record",
                               "augment SFT or classification data (records with `messages`, `prompt` + "
                               "`completion`, or `text` + `label`)")
        row.pop("id", None)
        extra.append(row)
    return rows + extra


def augment_file(src: Path, out: Path, spec: PerturbationSpec, fraction: float) -> tuple[int, int]:
    from harness.file_checks import require_file

    require_file(src, "SFT data file", "pass a JSONL file of chat or prompt/completion records")
    rows = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    augmented = augment_records(rows, spec, fraction)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in augmented))
    tmp.rename(out)
    return len(rows), len(augmented) - len(rows)
