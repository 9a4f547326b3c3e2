"""compare's fast paths give what their plain definitions give: pairing on integer codes (harness/compare/
pairing.py) = pandas sort + cumcount + merge on the strings; the threaded index bootstrap of a continuous,
weighted stratum = drawing item indices and re-aggregating, in distribution, and the same figures whatever the
thread count; the per-column search for few distinct rows = np.unique(axis=0)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from harness.compare import stats

align_mod = importlib.import_module("harness.compare.align")


def _plain_pairs(baseline: pd.DataFrame, candidate: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
    """The definition: number repeats by doc_id order within (task, metric, filter, doc_hash), inner-merge on
    (doc_hash, occurrence), drop non-finite values, order by doc_id then doc_hash."""
    def numbered(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(filter=frame["filter"].fillna("none"))
        frame = frame.sort_values(["task", "metric", "filter", "doc_id", "doc_hash"], na_position="last",
                                  kind="stable")
        return frame.assign(occurrence=frame.groupby(["task", "metric", "filter", "doc_hash"]).cumcount())

    b, c = numbered(baseline), numbered(candidate)
    out = {}
    keys = set(map(tuple, b[["task", "metric", "filter"]].to_numpy().tolist())) | set(
        map(tuple, c[["task", "metric", "filter"]].to_numpy().tolist()))
    for key in sorted(keys):
        bg = b[(b["task"] == key[0]) & (b["metric"] == key[1]) & (b["filter"] == key[2])]
        cg = c[(c["task"] == key[0]) & (c["metric"] == key[1]) & (c["filter"] == key[2])]
        m = pd.merge(bg, cg, on=["doc_hash", "occurrence"], suffixes=("_b", "_c"))
        m = m[np.isfinite(m["value_b"].astype(float)) & np.isfinite(m["value_c"].astype(float))]
        items = pd.DataFrame({"doc_hash": m["doc_hash"].to_numpy(),
                              "doc_id": m["doc_id_c"].combine_first(m["doc_id_b"]).to_numpy(),
                              "baseline": m["value_b"].to_numpy(float), "candidate": m["value_c"].to_numpy(float),
                              "baseline_prediction": m["prediction_b"].to_numpy(),
                              "candidate_prediction": m["prediction_c"].to_numpy()})
        out[key] = items.sort_values(["doc_id", "doc_hash"], kind="stable", ignore_index=True)
    return out


def _frame(n: int, seed: int) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    docs = r.integers(0, max(1, n // 2), n)  # about half the documents repeat
    return pd.DataFrame({
        "run_id": "r", "suite": "s", "task": r.choice(["t1", "t2"], n), "metric": r.choice(["acc", "f1"], n),
        "filter": r.choice(["none", None, "strict"], n), "doc_id": r.integers(0, n, n),
        "doc_hash": [f"h{d:03d}" for d in docs], "value": r.choice([0.0, 1.0, np.nan, 0.5], n),
        "prediction": [f"p{i}" for i in range(n)], "target": "t", "prompt": [f"q{d}" for d in docs],
        "prompt_hash": "x", "weight": r.choice([1.0, 2.0], n)})


@pytest.mark.parametrize("seed", range(12))
def test_pairing_on_codes_equals_the_plain_pandas_definition(seed):
    b, c = _frame(60 + seed * 7, seed), _frame(50 + seed * 5, 100 + seed)
    if seed % 3 == 0:  # the candidate scored the same rows in another order
        c = b.sample(frac=1, random_state=seed).reset_index(drop=True)
    notes: list[str] = []
    ours = {(m.task, m.metric, m.filter): m for m in align_mod.align_samples(b.copy(), c.copy(), notes=notes)}
    plain = _plain_pairs(b, c)
    assert sorted(ours) == sorted(plain)
    for key, items in plain.items():
        got = ours[key].items[list(items.columns)]
        pd.testing.assert_frame_equal(got, items, check_dtype=False)
        # the baseline's scored rows: a NaN value is a metric not defined for that item, not an unpaired one
        assert ours[key].n_baseline == int(((b["task"] == key[0]) & (b["metric"] == key[1])
                                            & (b["filter"].fillna("none") == key[2]) & b["value"].notna()).sum())
    assert any("repeats" in n for n in notes)


def test_index_bootstrap_has_the_plain_distribution_and_ignores_the_thread_count(monkeypatch):
    """A continuous, weighted stratum (ratio estimator, as lm-eval's bits_per_byte): its resamples against
    the plain definition (indices drawn, sum(w * x) / sum(w) per resample), and identical for 1 and 3 threads."""
    rng = np.random.default_rng(7)
    n = 3000
    b, c, w = rng.gamma(2, 1, n), rng.gamma(2.1, 1, n), 50 + rng.integers(0, 100, n).astype(float)
    monkeypatch.setattr(stats, "_CHUNK_ELEMENTS", 30_000)  # several chunks at this size
    monkeypatch.setattr(stats, "_threads", lambda: 1)
    one = stats._stratum_resamples(np.random.default_rng(1), b, c, w, 8000)
    monkeypatch.setattr(stats, "_threads", lambda: 3)
    three = stats._stratum_resamples(np.random.default_rng(1), b, c, w, 8000)
    assert np.array_equal(one[0], three[0]) and np.array_equal(one[1], three[1])
    idx = np.random.default_rng(2).integers(0, n, size=(8000, n))
    den = w[idx].sum(axis=1)
    plain = (w * c)[idx].sum(axis=1) / den - (w * b)[idx].sum(axis=1) / den
    ours = three[1] - three[0]
    assert np.quantile(ours, [0.025, 0.5, 0.975]) == pytest.approx(np.quantile(plain, [0.025, 0.5, 0.975]),
                                                                     abs=0.6 * plain.std() / 10)
    assert ours.std() == pytest.approx(plain.std(), rel=0.05)


def test_few_distinct_rows_found_per_column_equal_np_unique():
    rng = np.random.default_rng(4)
    for trial in range(60):
        n = int(rng.integers(8, 300))
        b = rng.integers(0, 3, n).astype(float)
        c = rng.integers(0, 2, n).astype(float) if trial % 4 else rng.random(n)
        w = None if trial % 2 else rng.integers(1, 4, n).astype(float)
        got = stats._compressed(b, c, w)
        cols = [b, c] if w is None else [b, c, w]
        values, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
        if len(values) > max(1, n // 8):
            assert got is None
            continue
        assert np.array_equal(got[3], counts)
        for k in range(len(cols)):
            assert np.array_equal(got[k], values[:, k])


@pytest.mark.parametrize("repeat", [False, True])
def test_item_pairs_equals_the_windowed_join(tmp_path, repeat):
    """The dashboard's item pairs skip the occurrence window when neither side repeats a document; with or
    without a repeat they equal the windowed join (pair on doc_hash and occurrence by doc_id)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `dashboards` is a top-level folder
    import dashboards.queries as q
    from harness.store import Store

    db = tmp_path / "s.duckdb"
    store = Store(db)
    runs = []
    for k in range(2):
        run_id = store.start_run("eval", model_id=f"m{k}", config={"limit": None})
        rows = [{"run_id": run_id, "task": "t", "doc_id": i, "doc_hash": f"h{i % 27 if repeat and k == 1 else i}",
                 "metric": "acc", "value": float((i * (k + 2)) % 3 == 0), "filter": "none", "prompt": f"q{i}",
                 "prediction": f"p{k}{i}"} for i in range(30)]
        store.add_eval(run_id, [], rows, model_id=f"m{k}")
        runs.append(run_id)
    windowed = ("WITH b AS (SELECT *, row_number() OVER (PARTITION BY doc_hash ORDER BY doc_id) AS occ"
                " FROM eval_samples WHERE run_id = $b), c AS (SELECT *, row_number() OVER (PARTITION BY doc_hash"
                " ORDER BY doc_id) AS occ FROM eval_samples WHERE run_id = $c) SELECT coalesce(c.doc_id, b.doc_id)"
                " AS doc_id, b.doc_hash, b.prediction AS baseline_prediction, c.prediction AS candidate_prediction,"
                " b.value AS baseline, c.value AS candidate FROM b JOIN c ON c.doc_hash = b.doc_hash AND"
                " c.occ = b.occ ORDER BY doc_id, b.doc_hash")
    expected = store.query(windowed, {"b": runs[0], "c": runs[1]})
    got = q.item_pairs(str(db), q.store_version(db), runs[0], runs[1], "t", "acc", "none")
    assert len(got) == len(expected) == (27 if repeat else 30)
    cols = ["doc_id", "doc_hash", "baseline_prediction", "candidate_prediction", "baseline", "candidate"]
    assert got[cols].to_dict("records") == [{c: r[c] for c in cols} for r in expected]


def test_threaded_sign_flip_null_matches_scipy_and_ignores_the_thread_count(monkeypatch):
    """At n = 2,000 the sign-flip null is drawn in several chunks on threads: the p-value agrees with
    scipy.stats.permutation_test within Monte Carlo error and does not depend on the thread count."""
    from scipy import stats as sps

    rng = np.random.default_rng(11)
    n = 2000
    b = rng.normal(size=n)
    c = b + 0.05 + rng.normal(size=n)
    monkeypatch.setattr(stats, "_threads", lambda: 1)
    one = stats.paired_permutation_test(b, c, n_resamples=9999, rng=6).p_value
    monkeypatch.setattr(stats, "_threads", lambda: 3)
    three = stats.paired_permutation_test(b, c, n_resamples=9999, rng=6).p_value
    assert one == three
    ref = sps.permutation_test((b, c), lambda x, y, axis: np.mean(y - x, axis=axis), vectorized=True,
                               permutation_type="samples", n_resamples=9999, alternative="two-sided", rng=5).pvalue
    sd = np.sqrt(2 * ref * (1 - ref) / 9999)
    assert abs(three - ref) <= 4 * sd + 1e-4
