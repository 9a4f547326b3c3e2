"""ROUGE-L F-measure as a local `evaluate` module (loaded by path, so it works offline)."""

import datasets
import evaluate
from rouge_score import rouge_scorer

_DESCRIPTION = "ROUGE-L: longest-common-subsequence F-measure between a prediction and a reference."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of generated strings.
    references: list of reference strings.
    use_stemmer: Porter-stem tokens before matching (default True).
Returns:
    rouge_l: mean ROUGE-L F-measure (0..1); scores: the per-pair values.
"""
_CITATION = "Lin, C.-Y. (2004). ROUGE: A Package for Automatic Evaluation of Summaries."


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RougeL(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, use_stemmer: bool = True):
        scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=use_stemmer)
        pairs = zip(predictions, references, strict=True)
        scores = [scorer.score(ref, pred)["rougeL"].fmeasure for pred, ref in pairs]
        return {"rouge_l": sum(scores) / len(scores) if scores else 0.0, "scores": scores}
