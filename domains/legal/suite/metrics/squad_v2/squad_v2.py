"""SQuAD v2.0 exact match and token F1 as a local `evaluate` module (loaded by path, so it works offline).

The scoring is the official SQuAD v2.0 evaluation script's (`evaluate-v2.0.py`, also what the hub's `squad_v2`
metric wraps): answers are lower-cased, stripped of punctuation, articles and extra whitespace; a question with
no gold answer scores 1 only for an empty prediction; each prediction takes its best score over the gold answers.
The hub module is not used because it is downloaded at run time; this file keeps the same arithmetic.
"""

import collections
import re
import string

import datasets
import evaluate

_DESCRIPTION = "SQuAD v2.0 exact match and token F1, unanswerable questions included (empty answer = no answer)."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of predicted answer strings ('' = the model says there is no answer).
    references: list of lists of gold answer strings ([] = the question is unanswerable).
Returns:
    exact, f1: means over the items on a 0..1 scale; exact_scores, f1_scores: the per-item values;
    has_ans_f1 / no_ans_f1 and their counts (has_ans_total / no_ans_total).
"""
_CITATION = "Rajpurkar, Jia and Liang (2018). Know What You Don't Know: Unanswerable Questions for SQuAD."


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (the official script's rule)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def get_tokens(s: str) -> list[str]:
    return normalize_answer(s).split() if s else []


def compute_exact(a_gold: str, a_pred: str) -> int:
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold: str, a_pred: str) -> float:
    gold_toks, pred_toks = get_tokens(a_gold), get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return float(gold_toks == pred_toks)  # no-answer: 1 when both are empty, else 0
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred_toks), num_same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SquadV2(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Sequence(datasets.Value("string"))}),
        )

    def _compute(self, predictions, references):
        exact, f1, has_ans = [], [], []
        for pred, golds in zip(predictions, references, strict=True):
            golds = [g for g in golds if normalize_answer(g)] or [""]  # official: no gold -> the empty answer
            exact.append(max(compute_exact(g, pred) for g in golds))
            f1.append(max(compute_f1(g, pred) for g in golds))
            has_ans.append(golds != [""])
        n = len(exact)
        has = [x for x, h in zip(f1, has_ans, strict=True) if h]
        no = [x for x, h in zip(f1, has_ans, strict=True) if not h]
        return {"exact": sum(exact) / n if n else 0.0, "f1": sum(f1) / n if n else 0.0,
                "exact_scores": exact, "f1_scores": f1,
                "has_ans_f1": sum(has) / len(has) if has else 0.0, "has_ans_total": len(has),
                "no_ans_f1": sum(no) / len(no) if no else 0.0, "no_ans_total": len(no)}
