"""Statistics of the comparison: exact tests against hand-computed values, interval coverage and false
positive rates on synthetic data with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.compare.stats import (
    adjust_p_values,
    benjamini_hochberg,
    bootstrap_p_value,
    default_higher_is_better,
    forgetting_ratio,
    holm,
    is_binary,
    mcnemar_exact,
    paired_bootstrap_ci,
    paired_estimate,
    paired_permutation_test,
    paired_test,
    verdict,
)


def _table(both: int, base_only: int, cand_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    b = np.array([1] * both + [1] * base_only + [0] * cand_only + [0] * neither, dtype=float)
    c = np.array([1] * both + [0] * base_only + [1] * cand_only + [0] * neither, dtype=float)
    return b, c


def test_mcnemar_exact_matches_hand_computed_binomial() -> None:
    b, c = _table(both=40, base_only=10, cand_only=2, neither=30)
    res = mcnemar_exact(b, c)
    # 12 discordant pairs, 2 favour the candidate: p = 2 * P(X <= 2), X ~ Bin(12, 1/2)
    by_hand = 2 * (math.comb(12, 0) + math.comb(12, 1) + math.comb(12, 2)) / 2**12
    assert res.p_value == pytest.approx(by_hand, rel=1e-12)
    assert res.p_value == pytest.approx(stats.binomtest(2, 12, 0.5).pvalue, rel=1e-12)
    assert (res.baseline_only, res.candidate_only) == (10, 2)
    assert res.test == "mcnemar_exact"
    # the concordant cells do not matter
    assert mcnemar_exact(*_table(0, 10, 2, 0)).p_value == pytest.approx(by_hand)


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    b, c = _table(both=20, base_only=0, cand_only=0, neither=5)
    assert mcnemar_exact(b, c).p_value == 1.0
    assert paired_test(b, c).test == "mcnemar_exact"


def test_mcnemar_rejects_continuous_values() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact([0.5, 1.0], [1.0, 0.0])


def test_paired_permutation_exact_small_case() -> None:
    # 5 items all better for the candidate: of the 2**5 sign flips only "all +" and "all -" are as
    # extreme, so the exact two-sided p-value is 2/32.
    b = np.array([0.10, 0.20, 0.30, 0.40, 0.50])
    c = b + np.array([0.05, 0.07, 0.06, 0.08, 0.05])
    res = paired_permutation_test(b, c, n_resamples=9999)
    assert res.p_value == pytest.approx(2 / 32)
    assert paired_test(b, c).test == "paired_permutation"
    assert paired_permutation_test(b, b).p_value == 1.0


def test_bootstrap_ci_covers_true_difference() -> None:
    """Across replications the 95% CI covers the true mean difference about 95% of the time."""
    true_delta, covered, reps = 0.3, 0, 200
    rng = np.random.default_rng(123)
    for rep in range(reps):
        b = rng.normal(0.0, 1.0, 120)
        c = b + true_delta + rng.normal(0.0, 0.6, 120)
        low, high = paired_bootstrap_ci(b, c, n_boot=1000, rng=rep)
        covered += low <= true_delta <= high
    assert 0.88 <= covered / reps <= 0.99


def test_bootstrap_ci_detects_known_effect_and_is_seeded() -> None:
    rng = np.random.default_rng(7)
    b = (rng.random(400) < 0.6).astype(float)
    c = b.copy()
    wrong = np.flatnonzero(b == 0)
    c[wrong[: len(wrong) // 2]] = 1.0  # fix half of the mistakes: +~0.2
    low, high = paired_bootstrap_ci(b, c, n_boot=2000, rng=1)
    assert 0 < low < c.mean() - b.mean() < high
    assert paired_bootstrap_ci(b, c, n_boot=2000, rng=1) == (low, high)
    assert mcnemar_exact(b, c).p_value < 1e-10


def test_no_effect_data_rarely_significant() -> None:
    """Under no difference (pairs exchangeable) both tests reject at about alpha, not more."""
    rng = np.random.default_rng(99)
    reject_binary = reject_cont = 0
    reps = 300
    for rep in range(reps):
        x = (rng.random(80) < 0.6).astype(float)
        y = (rng.random(80) < 0.6).astype(float)
        swap = rng.random(80) < 0.5
        b, c = np.where(swap, y, x), np.where(swap, x, y)
        reject_binary += mcnemar_exact(b, c).p_value < 0.05
        u, v = rng.normal(size=40), rng.normal(size=40)
        reject_cont += paired_permutation_test(u, v, n_resamples=499, rng=rep).p_value < 0.05
    assert reject_binary / reps <= 0.08  # exact McNemar is conservative
    assert reject_cont / reps <= 0.09


def test_identical_runs_give_no_significant_change() -> None:
    b = (np.arange(50) % 3 == 0).astype(float)
    test = paired_test(b, b)
    est = paired_estimate([(b, b)], n_boot=500)
    assert test.p_value == 1.0
    assert est.delta == 0 and est.delta_ci == (0.0, 0.0)
    assert verdict(est.delta, test.p_value, 0.05, True, 50) == "no significant change"


def test_holm_known_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.02, 0.03, 0.06, 0.06
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_bh_known_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005*4/1=0.02, 0.01*4/2=0.02, 0.03*4/3=0.04, 0.04*4/4=0.04 (running min from the top)
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_corrections_monotone_and_not_below_raw(method: str) -> None:
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.uniform(0, 1, 30), rng.uniform(0, 0.01, 5)])
    adj = adjust_p_values(p, method)
    assert np.all(adj >= p - 1e-15)
    assert np.all(adj <= 1.0)
    order = np.argsort(p)
    assert np.all(np.diff(adj[order]) >= -1e-15)  # same ranking as the raw p-values
    assert np.all(adjust_p_values(p, "holm") >= adjust_p_values(p, "bh") - 1e-15)  # Holm is stricter


def test_correction_skips_missing_p_values() -> None:
    adj = adjust_p_values([0.01, None, float("nan"), 0.02], "holm")
    assert math.isnan(adj[1]) and math.isnan(adj[2])
    assert adj[0] == pytest.approx(0.02) and adj[3] == pytest.approx(0.02)  # family of 2, not 4


def test_verdict_uses_direction() -> None:
    assert verdict(0.1, 0.001, 0.05, True, 100) == "improved"
    assert verdict(-0.1, 0.001, 0.05, True, 100) == "regressed"
    assert verdict(-0.1, 0.001, 0.05, False, 100) == "improved"  # e.g. bits_per_byte went down
    assert verdict(0.1, 0.001, 0.05, False, 100) == "regressed"
    assert verdict(0.1, 0.2, 0.05, True, 100) == "no significant change"
    assert verdict(None, None, 0.05, True, 0) == "no data"


def test_default_direction_from_name() -> None:
    for name in ("word_perplexity", "byte_perplexity", "bits_per_byte", "nll", "loss", "eval_loss"):
        assert default_higher_is_better(name) is False
    for name in ("acc", "acc_norm", "rouge_l", "exact_match", "f1"):
        assert default_higher_is_better(name) is True


def test_is_binary() -> None:
    assert is_binary([0, 1, 1.0], [0.0])
    assert not is_binary([0, 1, 0.5])


def test_forgetting_ratio_and_ci() -> None:
    rng = np.random.default_rng(11)
    strata = []
    for p in (0.8, 0.6):
        b = (rng.random(300) < p).astype(float)
        c = b.copy()
        right = np.flatnonzero(b == 1)
        c[right[: int(0.2 * len(right))]] = 0.0  # forget 20% of what was known in every task
        strata.append((b, c))
    res = forgetting_ratio(strata, n_boot=2000, rng=0)
    b_mean = np.mean([b.mean() for b, _ in strata])
    c_mean = np.mean([c.mean() for _, c in strata])
    assert res.ratio == pytest.approx(c_mean / b_mean)
    assert res.ci_low < res.ratio < res.ci_high < 1.0
    assert res.n == 600
    same = forgetting_ratio([(b, b) for b, _ in strata], n_boot=500)
    assert same.ratio == 1.0 and same.ci_low == same.ci_high == 1.0


def test_suite_estimate_is_macro_mean_with_bootstrap_p() -> None:
    small = (np.array([1, 1, 0, 0]), np.array([1, 1, 1, 1]))  # +0.5 on a 4-item task
    big = (np.ones(400), np.ones(400))  # unchanged 400-item task
    est = paired_estimate([small, big], n_boot=2000, rng=0)
    assert est.delta == pytest.approx(0.25)  # tasks weigh equally, not items
    assert est.n == 404
    assert 0 <= est.delta_p_value <= 1
    assert bootstrap_p_value(np.zeros(100)) == 1.0
    assert bootstrap_p_value(np.full(999, 0.3)) == pytest.approx(2 / 1000)


def test_tiny_samples_have_no_interval() -> None:
    low, high = paired_bootstrap_ci([1.0], [0.0])
    assert math.isnan(low) and math.isnan(high)
