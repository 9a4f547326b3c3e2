"""Paired statistics for comparing two models on the same items.

Both models answered the same items, so every test here is paired: item difficulty cancels out and the
intervals are much tighter than comparing two independent means.

Decisions (see also docs in compare/report.py):
- Intervals: percentile bootstrap over items (the same resampled items for both models), B resamples
  from a seeded numpy Generator. Suites are bootstrapped stratified by task (items resampled within each
  task) so every task keeps its weight in the macro mean. A stratum whose items take few distinct values
  (0/1 metrics: at most four (baseline, candidate) pairs) is resampled as multinomial counts of those values,
  which is the same bootstrap distribution as drawing item indices (a resample only sees how many times
  each value was drawn) at O(B x distinct values) instead of O(B x n); other strata draw item indices.
- Tests: 0/1 metrics use the exact McNemar test (two-sided binomial test on the discordant pairs);
  continuous metrics use a paired permutation test of the mean difference (randomly swapping each
  item's two values, i.e. sign-flipping the differences; exact when 2**n <= n_resamples, else
  n_resamples random sign vectors, drawn as random bytes: 8 items per byte, each byte looking up the
  sum of its items' signed differences; scipy.stats.permutation_test's p-value definition and tolerance).
  Monte Carlo error of the p-value: sd = sqrt(p (1 - p) / n_resamples), 0.0022 at p = 0.05. The
  permutation test tests the same quantity the bootstrap interval describes (the mean difference) and
  assumes nothing about the shape of the differences, unlike a t-test or Wilcoxon (which tests a median).
- Large resamplings (index bootstrap, sign-flip null) run in chunks of about 500 k draws, each chunk with its own
  child generator (Generator.spawn) on up to 4 threads: the same figures for any thread count.
- Multiple comparisons: Holm (step-down, controls the family-wise error) or Benjamini-Hochberg
  (scipy.stats.false_discovery_control, controls the false discovery rate).
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from harness.evaluation.aggregation import Aggregation, aggregate, from_linear, to_linear

DEFAULT_N_BOOT = 4000
DEFAULT_N_PERM = 9999
Correction = Literal["holm", "bh", "none"]
Verdict = Literal["improved", "regressed", "no significant change", "no data", "exploratory"]

_LOWER_IS_BETTER_PARTS = ("perplexity", "nll", "bits_per_byte", "loss")
_LOWER_IS_BETTER_NAMES = frozenset({"wer", "cer", "ter"})
_CHUNK_ELEMENTS = 500_000  # resample indices one chunk holds (2 MB of int32; its gathers stay in cache)


def default_higher_is_better(metric: str) -> bool:
    """Direction of a metric from its name, used when the store has no higher_is_better for it."""
    name = metric.lower()
    if name in _LOWER_IS_BETTER_NAMES:
        return False
    return not any(part in name for part in _LOWER_IS_BETTER_PARTS)


def rng_for(seed: int, *key: str) -> np.random.Generator:
    """A Generator that depends on the seed and a key, so a row's numbers do not depend on row order."""
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in key)])


def _as_pair(baseline: Sequence[float] | np.ndarray,
             candidate: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    if b.shape != c.shape or b.ndim != 1:
        raise ValueError(f"paired arrays must be 1-D and the same length, got {b.shape} and {c.shape}")
    return b, c


def is_binary(*arrays: np.ndarray | Sequence[float]) -> bool:
    """True when every value is 0 or 1 (accuracy-like metrics), which selects McNemar's test."""
    return all(np.isin(np.asarray(a, dtype=float), (0.0, 1.0)).all() for a in arrays)


# -- bootstrap ---------------------------------------------------------------------------------------
def _threads() -> int:
    """Threads for the index bootstrap: the CPUs this process may use, at most 4."""
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except AttributeError:  # not on Linux
        return max(1, min(4, os.cpu_count() or 1))


def _in_chunks(gen: np.random.Generator, total: int, rows: int, work: Callable[[np.random.Generator, int, int], None]
               ) -> None:
    """work(generator, start, stop) over [0, total) in chunks of `rows` resamples. With several chunks each gets its
    own child generator (fixed by total and rows, not by the thread count, so the figures are the same however
    many threads run them) and they run on up to _threads() threads: numpy releases the GIL while gathering and
    summing. One chunk draws from `gen` itself."""
    spans = [(start, min(start + rows, total)) for start in range(0, total, rows)]
    if len(spans) <= 1:
        work(gen, 0, total)
        return
    children = gen.spawn(len(spans))
    with ThreadPoolExecutor(max_workers=min(len(spans), _threads())) as pool:
        list(pool.map(lambda job: work(job[0], *job[1]), zip(children, spans, strict=True)))


@dataclass(frozen=True)
class Stratum:
    """One task's paired items. `weights` + `kind` make the task figure lm-eval's ratio estimator (bytes- or
    words-weighted, see harness/evaluation/aggregation.py); `chance` is the declared chance level."""

    baseline: np.ndarray
    candidate: np.ndarray
    weights: np.ndarray | None = None
    kind: Aggregation = "mean"
    chance: float | None = None

    @classmethod
    def of(cls, item: Stratum | tuple) -> Stratum:
        if isinstance(item, Stratum):
            return item
        b, c = _as_pair(item[0], item[1])
        return cls(b, c, *item[2:])

    def means(self) -> tuple[float, float]:
        return (aggregate(self.baseline, self.weights, self.kind),
                aggregate(self.candidate, self.weights, self.kind))


def _compressed(tb: np.ndarray, tc: np.ndarray, w: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray] | None:
    """Distinct (baseline, candidate, weight) rows of a stratum and how often each occurs, when there are few
    enough of them (at most n / 8) for multinomial resampling to beat index resampling; else None. Rows come in
    lexicographic order (as np.unique(axis=0) gives them), found per column first so that a continuous column
    ends the search after one 1-D sort."""
    cols = [tb, tc] if w is None else [tb, tc, w]
    limit = max(1, tb.size // 8)
    if not all(np.isfinite(col).all() for col in cols):
        return None
    uniques, codes = [], []
    for col in cols:
        values, inverse = np.unique(col, return_inverse=True)
        if len(values) > limit:
            return None
        uniques.append(values)
        codes.append(inverse.reshape(-1))
    if math.prod(len(values) for values in uniques) >= 2**62:  # codes would overflow int64
        values, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
        if len(values) > limit:
            return None
        return values[:, 0], values[:, 1], None if w is None else values[:, 2], counts
    key = np.zeros(tb.size, dtype=np.int64)  # mixed-radix code of the row: sorts as the rows do
    for values, code in zip(uniques, codes, strict=True):
        key = key * len(values) + code
    keys, counts = np.unique(key, return_counts=True)
    if len(keys) > limit:
        return None
    picked = []
    for values in reversed(uniques):
        picked.append(values[keys % len(values)])
        keys = keys // len(values)
    picked.reverse()
    return picked[0], picked[1], None if w is None else picked[2], counts


def _stratum_resamples(gen: np.random.Generator, tb: np.ndarray, tc: np.ndarray, w: np.ndarray | None,
                       n_boot: int) -> tuple[np.ndarray, np.ndarray]:
    """n_boot bootstrap figures of one stratum (linear scale) for both models, from the same resampled items."""
    n = tb.size
    compressed = _compressed(tb, tc, w)
    if compressed is not None:  # resampling n items = multinomial counts over the distinct rows
        vb, vc, vw, counts = compressed
        drawn = gen.multinomial(n, counts / n, size=n_boot).astype(float)  # (n_boot, distinct)
        if vw is None:
            return drawn @ vb / n, drawn @ vc / n
        den = drawn @ vw
        return drawn @ (vw * vb) / den, drawn @ (vw * vc) / den
    # both models' values gathered in one pass: real part baseline, imaginary part candidate (set, not multiplied,
    # so an infinite value stays in its own part)
    pair = np.empty(n, dtype=complex)
    pair.real, pair.imag = (tb, tc) if w is None else (w * tb, w * tc)
    base = np.empty(n_boot)
    cand = np.empty(n_boot)

    def chunk(child: np.random.Generator, start: int, stop: int) -> None:
        idx = child.integers(0, n, size=(stop - start, n), dtype=np.int32 if n < 2**31 else np.int64)
        sums = pair[idx].sum(axis=1)
        den = n if w is None else w[idx].sum(axis=1)
        base[start:stop] = sums.real / den
        cand[start:stop] = sums.imag / den

    _in_chunks(gen, n_boot, max(1, _CHUNK_ELEMENTS // max(n, 1)), chunk)
    return base, cand


def paired_bootstrap_means(strata: Sequence[Stratum | tuple], *, n_boot: int = DEFAULT_N_BOOT,
                           rng: np.random.Generator | int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap distributions of each stratum's baseline and candidate figure, shape (n_boot, n_strata).

    Items are resampled within each stratum, and the same resampled items feed both models (paired). A
    weighted stratum is re-aggregated as a ratio estimator on every resample, as lm-eval aggregates it."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    base = np.empty((n_boot, len(strata)))
    cand = np.empty((n_boot, len(strata)))
    for k, raw in enumerate(strata):
        st = Stratum.of(raw)
        b, c = _as_pair(st.baseline, st.candidate)
        if b.size == 0:
            raise ValueError("cannot bootstrap an empty stratum")
        tb, tc = to_linear(b, st.kind), to_linear(c, st.kind)
        w = None if st.weights is None or st.kind == "mean" else np.asarray(st.weights, dtype=float)
        base[:, k], cand[:, k] = _stratum_resamples(gen, tb, tc, w, n_boot)
        base[:, k] = from_linear(base[:, k], st.kind)
        cand[:, k] = from_linear(cand[:, k], st.kind)
    return base, cand


def percentile_ci(distribution: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile interval of a bootstrap distribution (NaN resamples, e.g. a 0/0 ratio, are ignored)."""
    dist = np.asarray(distribution, dtype=float)
    dist = dist[np.isfinite(dist)]
    if dist.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(dist, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bootstrap_p_value(distribution: np.ndarray, null: float = 0.0) -> float:
    """Two-sided p-value from inverting the percentile interval: how far into a tail the null value lies.

    (count + 1) / (B + 1) keeps it away from an impossible 0 with finite B."""
    dist = np.asarray(distribution, dtype=float)
    dist = dist[np.isfinite(dist)]
    if dist.size == 0:
        return math.nan
    below = (np.count_nonzero(dist <= null) + 1) / (dist.size + 1)
    above = (np.count_nonzero(dist >= null) + 1) / (dist.size + 1)
    return float(min(1.0, 2 * min(below, above)))


def paired_bootstrap_ci(baseline: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray, *,
                        n_boot: int = DEFAULT_N_BOOT, alpha: float = 0.05,
                        rng: np.random.Generator | int = 0) -> tuple[float, float]:
    """Percentile CI of mean(candidate - baseline) over items; NaN bounds for fewer than 2 items."""
    b, c = _as_pair(baseline, candidate)
    if b.size < 2:
        return math.nan, math.nan
    base, cand = paired_bootstrap_means([(b, c)], n_boot=n_boot, rng=rng)
    return percentile_ci(cand[:, 0] - base[:, 0], alpha)


# -- tests -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestResult:
    """A paired test: which one ran, its two-sided p-value, and for McNemar the discordant counts."""

    test: str
    p_value: float
    baseline_only: int | None = None  # items right for the baseline only (0/1 metrics)
    candidate_only: int | None = None  # items right for the candidate only


def mcnemar_exact(baseline: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray) -> TestResult:
    """Exact McNemar: under no difference each discordant item is equally likely to favour either model,
    so the candidate-only count is Binomial(discordant, 1/2). p = 1 when nothing is discordant."""
    b, c = _as_pair(baseline, candidate)
    if not is_binary(b, c):
        raise ValueError("McNemar's test needs 0/1 values")
    base_only = int(np.count_nonzero((b == 1) & (c == 0)))
    cand_only = int(np.count_nonzero((b == 0) & (c == 1)))
    discordant = base_only + cand_only
    p = 1.0 if discordant == 0 else float(stats.binomtest(cand_only, discordant, 0.5).pvalue)
    return TestResult("mcnemar_exact", min(p, 1.0), base_only, cand_only)


def _sign_flip_null(a: np.ndarray, n_resamples: int, gen: np.random.Generator) -> np.ndarray:
    """n_resamples draws of sum(a_i * s_i) with independent fair signs s_i: random bytes, 8 items per byte,
    each byte value looking up the sum of its set items (a table of 256 subset sums per 8 items)."""
    groups = max(1, -(-a.size // 8))
    padded = np.zeros(groups * 8)
    padded[:a.size] = a
    bits = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(float)  # (256, 8): byte value -> its bits
    table = (padded.reshape(groups, 8) @ bits.T).ravel()  # group g, byte v -> sum of g's items whose bit is set
    offsets = (np.arange(groups) * 256).astype(np.intp)
    total = padded.sum()
    out = np.empty(n_resamples)

    def chunk(child: np.random.Generator, start: int, stop: int) -> None:
        drawn = np.frombuffer(child.bytes((stop - start) * groups), dtype=np.uint8).reshape(stop - start, groups)
        plus = table[drawn + offsets].sum(axis=1)  # items with s_i = +1
        out[start:stop] = 2 * plus - total

    _in_chunks(gen, n_resamples, max(1, _CHUNK_ELEMENTS // groups), chunk)
    return out


def paired_permutation_test(baseline: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray, *,
                            n_resamples: int = DEFAULT_N_PERM, rng: np.random.Generator | int = 0,
                            weights: np.ndarray | None = None, kind: Aggregation = "mean") -> TestResult:
    """Two-sided paired permutation test of the (weighted) mean difference, on the scale where the task's
    aggregate is a mean (swaps each item's pair at random; an item's weight is the same on both sides).

    Exact (scipy.stats.permutation_test enumerates every sign vector) when 2**n <= n_resamples; otherwise
    n_resamples random sign vectors with scipy's p-value definition: (count + 1) / (n_resamples + 1) per tail
    with its relative tolerance, doubled, capped at 1."""
    b, c = _as_pair(baseline, candidate)
    if b.size == 0:
        return TestResult("paired_permutation", math.nan)
    b, c = to_linear(b, kind), to_linear(c, kind)
    diff = c - b
    if not np.any(diff):
        return TestResult("paired_permutation", 1.0)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    w = np.ones_like(b) if weights is None or kind == "mean" else np.asarray(weights, dtype=float)
    w = w / w.sum()

    if b.size < 64 and 2 ** b.size <= n_resamples:
        def mean_diff(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
            return np.sum(w * (y - x), axis=axis)

        res = stats.permutation_test((b, c), mean_diff, permutation_type="samples", vectorized=True,
                                     n_resamples=n_resamples, alternative="two-sided", rng=gen)
        return TestResult("paired_permutation", float(min(res.pvalue, 1.0)))
    a = w * diff
    observed = float(np.sum(a))
    null = _sign_flip_null(a[a != 0], n_resamples, gen)  # items without a difference add 0 either way
    gamma = abs(np.finfo(float).eps * 100 * observed)
    less = (np.count_nonzero(null <= observed + gamma) + 1) / (n_resamples + 1)
    greater = (np.count_nonzero(null >= observed - gamma) + 1) / (n_resamples + 1)
    return TestResult("paired_permutation", float(min(1.0, 2 * min(less, greater))))


def paired_test(baseline: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray, *,
                n_resamples: int = DEFAULT_N_PERM, rng: np.random.Generator | int = 0,
                weights: np.ndarray | None = None, kind: Aggregation = "mean") -> TestResult:
    """McNemar for 0/1 metrics, the paired permutation test otherwise."""
    b, c = _as_pair(baseline, candidate)
    if b.size == 0:
        return TestResult("none", math.nan)
    if kind == "mean" and is_binary(b, c):
        return mcnemar_exact(b, c)
    return paired_permutation_test(b, c, n_resamples=n_resamples, rng=rng, weights=weights, kind=kind)


# -- multiple comparisons ----------------------------------------------------------------------------
def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values: sorted p_(i) times (m - i + 1), made monotone, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), via scipy."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p.copy()
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=float)


def adjust_p_values(p_values: Sequence[float | None] | np.ndarray, method: Correction = "holm") -> np.ndarray:
    """Adjust a family of p-values. Missing (None/NaN) p-values stay NaN and are not in the family."""
    p = np.array([math.nan if v is None else v for v in p_values], dtype=float)
    out = np.full(p.size, math.nan)
    mask = np.isfinite(p)
    if not mask.any():
        return out
    if method == "holm":
        out[mask] = holm(p[mask])
    elif method == "bh":
        out[mask] = benjamini_hochberg(p[mask])
    elif method == "none":
        out[mask] = p[mask]
    else:
        raise ValueError(f"unknown correction {method!r}")
    return out


def verdict(delta: float | None, p_adjusted: float | None, alpha: float, higher_is_better: bool,
            n: int) -> Verdict:
    """'improved'/'regressed' only when the corrected p is below alpha; the direction comes from the sign
    of the difference and whether the metric is higher- or lower-is-better."""
    if n == 0 or delta is None or not math.isfinite(delta):
        return "no data"
    if p_adjusted is None or not math.isfinite(p_adjusted) or p_adjusted >= alpha or delta == 0:
        return "no significant change"
    better = delta > 0 if higher_is_better else delta < 0
    return "improved" if better else "regressed"


# -- stratified estimates (task rows, suite rows, forgetting) ----------------------------------------
@dataclass(frozen=True)
class PairedEstimate:
    """Macro means over strata (tasks) of both models, their difference and ratio, each with a percentile
    bootstrap CI from the same paired, task-stratified resamples. CIs are NaN with fewer than 2 items."""

    n: int
    baseline: float
    baseline_ci: tuple[float, float]
    candidate: float
    candidate_ci: tuple[float, float]
    delta: float
    delta_ci: tuple[float, float]
    delta_p_value: float  # bootstrap p-value of delta = 0 (suite rows; task rows use paired_test)
    ratio: float  # candidate / baseline; NaN when the baseline mean is not positive
    ratio_ci: tuple[float, float]


def _above_chance(values: np.ndarray, strata: Sequence[Stratum]) -> np.ndarray:
    """(score - chance) / (1 - chance) per stratum (last axis); strata without a chance level unchanged."""
    out = np.array(values, dtype=float, copy=True)
    for k, st in enumerate(strata):
        if st.chance is not None and st.chance < 1:
            out[..., k] = (out[..., k] - st.chance) / (1 - st.chance)
    return out


def paired_estimate(strata: Sequence[Stratum | tuple], *, n_boot: int = DEFAULT_N_BOOT, alpha: float = 0.05,
                    rng: np.random.Generator | int = 0, chance_corrected: bool = False) -> PairedEstimate:
    """Point estimates and bootstrap CIs for the macro mean (mean over strata of each stratum's figure, which
    is lm-eval's aggregate of the task). `chance_corrected` first maps each stratum to its above-chance
    share, (score - chance) / (1 - chance), so a 4-choice task at chance counts as 0, not 0.25."""
    sts = [Stratum.of(s) for s in strata]
    if not sts or any(s.baseline.size == 0 for s in sts):
        raise ValueError("paired_estimate needs at least one non-empty stratum")
    n = int(sum(s.baseline.size for s in sts))
    point = np.array([s.means() for s in sts], dtype=float).T  # (2, n_strata)
    if chance_corrected:
        point = _above_chance(point, sts)
    b_mean, c_mean = float(point[0].mean()), float(point[1].mean())
    ratio = c_mean / b_mean if b_mean > 0 else math.nan
    if n < 2:
        nan2 = (math.nan, math.nan)
        return PairedEstimate(n, b_mean, nan2, c_mean, nan2, c_mean - b_mean, nan2, math.nan, ratio, nan2)
    base, cand = paired_bootstrap_means(sts, n_boot=n_boot, rng=rng)
    if chance_corrected:
        base, cand = _above_chance(base, sts), _above_chance(cand, sts)
    b_dist, c_dist = base.mean(axis=1), cand.mean(axis=1)
    d_dist = c_dist - b_dist
    with np.errstate(divide="ignore", invalid="ignore"):
        r_dist = np.where(b_dist > 0, c_dist / b_dist, np.nan)
    return PairedEstimate(
        n=n, baseline=b_mean, baseline_ci=percentile_ci(b_dist, alpha), candidate=c_mean,
        candidate_ci=percentile_ci(c_dist, alpha), delta=c_mean - b_mean, delta_ci=percentile_ci(d_dist, alpha),
        delta_p_value=bootstrap_p_value(d_dist), ratio=ratio,
        ratio_ci=percentile_ci(r_dist, alpha) if math.isfinite(ratio) else (math.nan, math.nan),
    )


@dataclass(frozen=True)
class RatioEstimate:
    """candidate / baseline of a (macro) figure with its bootstrap CI."""

    baseline: float
    candidate: float
    ratio: float
    ci_low: float
    ci_high: float
    n: int


def forgetting_ratio(strata: Sequence[Stratum | tuple], *, n_boot: int = DEFAULT_N_BOOT, alpha: float = 0.05,
                     rng: np.random.Generator | int = 0, chance_corrected: bool = True) -> RatioEstimate:
    """Forgetting score of a regression suite: the candidate's macro score over its tasks divided by the
    baseline's, each task's score taken above its declared chance level ("LoRA Learns Less and Forgets
    Less", chance-corrected so that falling to guessing reads as forgetting everything); < 1 means the
    candidate forgot. The CI comes from a paired bootstrap stratified by task. Higher-is-better metrics only.
    NaN when the baseline is not above chance (nothing to forget)."""
    est = paired_estimate(strata, n_boot=n_boot, alpha=alpha, rng=rng, chance_corrected=chance_corrected)
    return RatioEstimate(est.baseline, est.candidate, est.ratio, est.ratio_ci[0], est.ratio_ci[1], est.n)
