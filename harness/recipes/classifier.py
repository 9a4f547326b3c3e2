"""Classification-head adaptation on {"text", "label"} records: a sequence-classification head (one logit per
label) on the parent model, trained with transformers' Trainer (cross-entropy), full fine-tuning by default.

Labels are the sorted distinct labels of the training split, stored in the saved model's config
(id2label/label2id), so the stage folder's `model/` loads with AutoModelForSequenceClassification and predicts
label names. lm-eval cannot score it: the method's own evaluation predicts the held-out records (the stage
dataset's validation split) and stores per item whether the label was right (`acc`, primary, chance = 1/labels)
and, over the set, macro-F1 (`macro_f1`), through harness.evaluation.custom.record_eval. Records are scored on
their text alone (no instruction), the way a classifier is used.

The same head is also scored on the domain suite's own items wherever a task declares
`metadata.classifier_text: <doc field>` (support_chat_intent: `message`): on each document it picks, among that
document's `doc_to_choice` options, the label with the highest logit, and stores the result under the lm-eval
task's name, with lm-eval's doc hashes and chance level. `harness compare <generative eval run> <classifier eval
run> --allow-config-drift` then pairs head and generative model item by item (McNemar); the drift it reports is
exactly the scorer (lm-eval log-likelihood vs classification head).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from pydantic import Field, model_validator

from harness.config_io import load_yaml_model
from harness.device import DevicePlan
from harness.errors import HarnessError
from harness.fingerprint import hash_file
from harness.methods import Method
from harness.recipes.common import (
    LoraSettings,
    StageOutput,
    TrainSettings,
    quiet,
    read_jsonl,
    require_str,
    train_and_save,
    trainer_arguments,
)
from harness.recipes.reward import load_scorer

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from harness.evaluation.runner import EvalSummary
    from harness.models.refs import ModelRef
    from harness.store import Store

STAGE = "classifier"
TASK_SUFFIX = "intent_head"


class ClassifierRecipeConfig(TrainSettings):
    """Classification-head recipe config (YAML: harness/recipes/classifier.yaml or a domain's stage config)."""

    learning_rate: float = Field(1e-3, gt=0)
    max_length: int = Field(128, ge=8, description="tokens per text (longer ones are truncated)")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="off by default: the head is new")

    @model_validator(mode="after")
    def _no_quantized_head(self) -> Self:
        if self.lora.quantize != "none":
            raise ValueError("lora.quantize is for causal-LM recipes; a new head trains in full precision here")
        return self


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> ClassifierRecipeConfig:
    return load_yaml_model(ClassifierRecipeConfig, Path(path), overrides)


def labelled(rows: list[dict[str, Any]], source: str) -> list[tuple[str, str]]:
    return [(require_str(r, "text", f"{source} record {i + 1}", "classification"),
             str(require_str(r, "label", f"{source} record {i + 1}", "classification")))
            for i, r in enumerate(rows)]


def setup(cfg: ClassifierRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
          work_dir: Path, plan: DevicePlan, callbacks: list[TrainerCallback] | None = None,
          trust_remote_code: bool = False, progress: bool = True) -> tuple[Any, dict[str, Any]]:
    """A label head on the parent model, tokenized records and a ready Trainer."""
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    train_rows = labelled(read_jsonl(train_path, what="classifier train", limit=cfg.max_train_samples),
                          str(train_path))
    labels = sorted({label for _, label in train_rows})
    if len(labels) < 2:
        raise HarnessError(f"{train_path} has {len(labels)} distinct label(s); a classifier needs at least 2",
                           "check the dataset's label column mapping")
    label2id = {label: i for i, label in enumerate(labels)}
    model, tokenizer = load_scorer(model_path, dtype=plan.torch_dtype if cfg.lora.enabled else None,
                                   num_labels=len(labels), trust_remote_code=trust_remote_code,
                                   id2label=dict(enumerate(labels)), label2id=label2id)

    def encode(rows: list[tuple[str, str]], source: str) -> Dataset:
        unknown = sorted({label for _, label in rows} - set(label2id))
        if unknown:
            raise HarnessError(f"{source} has label '{unknown[0]}' that the training split lacks",
                               "re-split the dataset so every label appears in training")
        enc = tokenizer([t for t, _ in rows], truncation=True, max_length=cfg.max_length)
        return Dataset.from_dict({**enc, "labels": [label2id[label] for _, label in rows]})

    train = encode(train_rows, str(train_path))
    validation = None
    if validation_path is not None:
        rows = labelled(read_jsonl(validation_path, what="classifier validation", limit=cfg.max_eval_samples),
                        str(validation_path))
        validation = encode(rows, str(validation_path))
    args = TrainingArguments(**trainer_arguments(cfg, work_dir=work_dir, plan=plan, progress=progress,
                                                 has_eval=validation is not None))
    if cfg.lora.enabled:
        from peft import get_peft_model

        peft = cfg.lora.peft_config("SEQ_CLS")
        peft.modules_to_save = [*(peft.modules_to_save or []), "score"]
        model = get_peft_model(model, peft)
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      callbacks=callbacks)
    return quiet(trainer, progress), {"labels": labels}


def run(cfg: ClassifierRecipeConfig, *, model_path: str, train_path: Path, validation_path: Path | None,
        output_dir: Path, store: Store | None = None, run_id: str | None = None,
        device: DevicePlan | None = None, trust_remote_code: bool = False, progress: bool = True) -> StageOutput:
    """Train the label head (+ body); saves a sequence-classification model folder."""
    return train_and_save(STAGE, setup, cfg, model_path=model_path, train_path=train_path,
                          validation_path=validation_path, output_dir=output_dir, store=store, run_id=run_id,
                          device=device, trust_remote_code=trust_remote_code, progress=progress)


# -- its own evaluation -------------------------------------------------------------------------------------------
def macro_f1(targets: list[str], predictions: list[str]) -> float:
    """Unweighted mean of per-label F1 over the labels present in targets or predictions."""
    scores = []
    for label in sorted(set(targets) | set(predictions)):
        tp = sum(t == label and p == label for t, p in zip(targets, predictions, strict=True))
        fp = sum(t != label and p == label for t, p in zip(targets, predictions, strict=True))
        fn = sum(t == label and p != label for t, p in zip(targets, predictions, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(scores) / len(scores)


def label_logits(model_path: str, texts: list[str], *, trust_remote_code: bool = False, max_length: int = 512,
                 batch_size: int = 32) -> list[dict[str, float]]:
    """Per text, {label: logit} over every label the saved classifier knows."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=trust_remote_code)
    model = AutoModelForSequenceClassification.from_pretrained(model_path, trust_remote_code=trust_remote_code)
    model.eval()
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    out: list[dict[str, float]] = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], return_tensors="pt", padding=True, truncation=True,
                          max_length=max_length)
        with torch.no_grad():
            logits = model(**batch).logits.float().tolist()
        out += [dict(zip(names, row, strict=True)) for row in logits]
    return out


def evaluate(store: Store, model: ModelRef, *, domain: Any, stage: str, paths: tuple[Path, Path | None],
             limit: int | None, device: Any = None) -> EvalSummary:
    """Accuracy per held-out item (chance = 1 / number of labels) and macro-F1 over them."""
    from harness.evaluation.custom import record_eval

    held_out = paths[1] or paths[0]
    rows = labelled(read_jsonl(held_out, what="classifier evaluation", limit=limit), str(held_out))
    trust = getattr(model, "trust_remote_code", False)
    scores = label_logits(model.path, [t for t, _ in rows], trust_remote_code=trust)
    predictions = [max(row, key=row.__getitem__) for row in scores]
    n_labels = len(scores[0])  # every label the head knows, whatever the held-out split contains
    items = [{"doc_id": i, "doc": text, "value": float(pred == label), "prediction": pred, "target": label}
             for i, ((text, label), pred) in enumerate(zip(rows, predictions, strict=True))]
    name = getattr(domain, "name", domain)
    identity = {"method": STAGE, "evaluator": "classifier.evaluate", "data_hash": hash_file(held_out),
                "limit": limit, "code_hash": hash_file(Path(__file__))}
    f1 = macro_f1([label for _, label in rows], predictions)
    summary = record_eval(store, model, suite=f"{name}_{stage}", task=f"{name}_{TASK_SUFFIX}", metric="acc",
                          items=items, higher_is_better=True, chance=1.0 / n_labels, identity=identity,
                          corpus_metrics={"macro_f1": (f1, True)}, domain=name, stage=stage)
    suite_root = getattr(domain, "suite_root", None)
    if suite_root is not None:
        from harness.evaluation.tasks import tasks_declaring

        for task, text_field in sorted(tasks_declaring("classifier_text", suite_root).items()):
            evaluate_on_task(store, model, task, str(text_field), domain=name, stage=stage, limit=limit)
    return summary


def evaluate_on_task(store: Store, model: ModelRef, task: str, text_field: str, *, domain: str | None,
                     stage: str | None, limit: int | None = None) -> EvalSummary:
    """The head scored on an lm-eval multiple-choice task's own documents (see the module docstring)."""
    import json

    from lm_eval.utils import handle_non_serializable, hash_string

    from harness.evaluation.custom import record_eval
    from harness.evaluation.runner import task_manager
    from harness.evaluation.tasks import load_tasks, task_identities

    manager = task_manager([task])  # cached per process; lm-eval's built-in index only if `task` is not ours
    lm_task = load_tasks([task], manager)[task]
    docs = list(lm_task.eval_docs)[:limit] if limit else list(lm_task.eval_docs)
    missing = [i for i, doc in enumerate(docs) if not isinstance(doc.get(text_field), str)]
    if missing:
        raise HarnessError(f"task {task} declares classifier_text '{text_field}' but document {missing[0]} has no "
                           f"such text field", f"set metadata.classifier_text in {task}'s YAML to a text field")
    trust = getattr(model, "trust_remote_code", False)
    scores = label_logits(model.path, [doc[text_field] for doc in docs], trust_remote_code=trust)
    items, targets, predictions = [], [], []
    for i, (doc, row) in enumerate(zip(docs, scores, strict=True)):
        choices = [str(c) for c in lm_task.doc_to_choice(doc)]
        gold = lm_task.doc_to_target(doc)
        target = choices[gold] if isinstance(gold, int) else str(gold)
        known = [c for c in choices if c in row]  # a choice the head never saw cannot be predicted
        pred = max(known, key=row.__getitem__) if known else None
        targets.append(target)
        predictions.append(pred or "")
        doc_hash = hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))
        items.append({"doc_id": i, "doc": doc[text_field], "doc_hash": doc_hash, "value": float(pred == target),
                      "prediction": pred, "target": target})
    ident = task_identities([task], manager)[task]
    identity = {"method": STAGE, "evaluator": "classifier.evaluate", "items_of": task,
                "task_config_hash": ident["config_hash"], "text_field": text_field, "limit": limit,
                "code_hash": hash_file(Path(__file__))}
    chance = ident["chance"] if ident["chance"] is not None else 1.0 / max(1, len(choices))
    return record_eval(store, model, suite=f"{domain}_{stage}", task=task, metric="acc", items=items,
                       higher_is_better=True, chance=chance, identity=identity,
                       corpus_metrics={"macro_f1": (macro_f1(targets, predictions), True)}, domain=domain,
                       stage=stage)


METHOD = Method(name="classifier", config=ClassifierRecipeConfig, reads=("classification",),
                produces="classifier", needs=("policy",), evaluate=evaluate,
                summary="classification head on labelled texts; scored by accuracy + macro-F1 per held-out item")
