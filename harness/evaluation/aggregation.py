"""How per-item values aggregate to a task's figure, exactly as lm-eval aggregates them.

Most metrics are plain means over items. Perplexity-type metrics of `loglikelihood_rolling` tasks are
ratio estimators: lm-eval sums log-likelihoods over all documents and divides by the total number of bytes
(or words), so long documents weigh more. The store keeps each item's value and weight (bytes or words);
compare, gate, tables and dashboard aggregate through this module, so they all show lm-eval's number.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

Aggregation = Literal["mean", "weighted_mean", "log_weighted_mean"]

# bits_per_byte = Σ -ll / (Σ bytes · ln 2): a byte-weighted mean of the per-item bits per byte.
# byte/word perplexity = exp(Σ -ll / Σ bytes|words): exp of the weighted mean of log per-item perplexity.
WEIGHTED_AGGREGATION: dict[str, Aggregation] = {
    "bits_per_byte": "weighted_mean",
    "byte_perplexity": "log_weighted_mean",
    "word_perplexity": "log_weighted_mean",
}


def aggregation_for(metric: str, has_weights: bool) -> Aggregation:
    return WEIGHTED_AGGREGATION.get(metric, "mean") if has_weights else "mean"


def to_linear(values: np.ndarray, kind: Aggregation) -> np.ndarray:
    """Values on the scale where the aggregate is a (weighted) mean."""
    return np.log(values) if kind == "log_weighted_mean" else values


def from_linear(values: np.ndarray | float, kind: Aggregation) -> np.ndarray | float:
    return np.exp(values) if kind == "log_weighted_mean" else values


def aggregate(values: np.ndarray, weights: np.ndarray | None, kind: Aggregation) -> float:
    x = to_linear(np.asarray(values, dtype=float), kind)
    if kind == "mean" or weights is None:
        return float(from_linear(float(np.mean(x)), kind))
    w = np.asarray(weights, dtype=float)
    return float(from_linear(float(np.sum(w * x) / np.sum(w)), kind))


def linearized_stderr(values: np.ndarray, weights: np.ndarray | None, kind: Aggregation) -> float:
    """Standard error of the aggregate: of the mean, or (delta method) of the ratio estimator."""
    x = to_linear(np.asarray(values, dtype=float), kind)
    n = x.size
    if n < 2:
        return math.nan
    if kind == "mean" or weights is None:
        return float(np.std(x, ddof=1) / math.sqrt(n))
    w = np.asarray(weights, dtype=float)
    r = np.sum(w * x) / np.sum(w)
    se = math.sqrt(n / (n - 1) * float(np.sum((w * (x - r)) ** 2))) / float(np.sum(w))
    return se * float(from_linear(r, kind)) if kind == "log_weighted_mean" else se
