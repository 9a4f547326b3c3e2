"""The store at scale (issue 13): the per-run summary written at ingest equals the per-item rows it summarises
(also after a migration and a pull), the rowid range that narrows scans is checked before use, a keep-open
reader never blocks a writer for long, and the faster resampling gives the same statistics as the plain
definitions (same distribution, scipy's p-value)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from harness.compare.stats import _stratum_resamples, paired_permutation_test
from harness.store import Store

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "store" / "v1.duckdb.gz"
DIRECT = ("SELECT run_id, task, metric, coalesce(filter, '') AS f, count(*) AS n, count(value) AS n_values,"
          " sum(value) AS total FROM eval_samples GROUP BY ALL ORDER BY ALL")
SUMMARY = ("SELECT run_id, task, metric, coalesce(filter, '') AS f, n, n_values, total FROM eval_sample_stats"
           " ORDER BY ALL")


def _eval(store: Store, model: str, n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    run_id = store.start_run("eval", model_id=model, config={"limit": None})
    samples = [{"run_id": run_id, "model_id": model, "suite": "s", "task": task, "doc_id": i, "doc_hash": f"h{i}",
                "metric": metric, "value": None if i == 3 else float(v), "filter": "none",
                "weight": 1.0 + i % 7 if metric == "bits_per_byte" else None}
               for task, metric in (("t_acc", "acc"), ("t_ppl", "bits_per_byte"))
               for i, v in enumerate(rng.random(n) < 0.5 if metric == "acc" else rng.gamma(2, 1, n))]
    store.add_eval(run_id, [{"run_id": run_id, "task": "t_acc", "metric": "acc", "value": 0.5, "n": n}], samples,
                   model_id=model)
    return run_id


def _close(a: list[dict], b: list[dict]) -> None:
    assert [(r["run_id"], r["task"], r["metric"], r["f"], r["n"], r["n_values"]) for r in a] == \
           [(r["run_id"], r["task"], r["metric"], r["f"], r["n"], r["n_values"]) for r in b]
    assert [r["total"] for r in a] == pytest.approx([r["total"] for r in b], rel=1e-12)


def test_summary_and_row_ranges_written_at_ingest(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    runs = [_eval(store, f"m{i}", 50, i) for i in range(3)]
    _close(store.query(SUMMARY), store.query(DIRECT))
    docs = store.query("SELECT run_id, task, any_value(task_docs) AS d FROM eval_sample_stats GROUP BY ALL")
    assert {r["d"] for r in docs} == {50}
    for run_id in runs:
        lo, hi = store.sample_rows_range(run_id)
        assert hi - lo + 1 == 100
        rows = store.query("SELECT count(*) AS n FROM eval_samples WHERE rowid BETWEEN ? AND ? AND run_id = ?",
                           [lo, hi, run_id])
        assert rows[0]["n"] == 100


def test_wrong_row_range_is_not_used(tmp_path):
    """A recorded range that no longer holds all of a run's rows is ignored: readers scan the whole table."""
    db = tmp_path / "s.duckdb"
    store = Store(db)
    first, second = _eval(store, "a", 40, 1), _eval(store, "b", 40, 2)
    with store.transaction() as con:  # as if the rows had moved
        con.execute("UPDATE eval_sample_stats SET row_lo = 0, row_hi = 9 WHERE run_id = ?", [second])
    reader = Store(db, read_only=True)
    assert reader.sample_rows_range(second) == (0, 2**62)
    assert reader.sample_rows_range(first) == (0, 79)


def test_migration_back_fills_the_summary(tmp_path):
    db = tmp_path / "v1.duckdb"
    with gzip.open(FIXTURE_V1, "rb") as src, db.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    store = Store(db)
    assert store.query(DIRECT), "the v1 fixture has per-item rows"
    _close(store.query(SUMMARY), store.query(DIRECT))
    for run_id in {r["run_id"] for r in store.query(DIRECT)}:
        lo, hi = store.sample_rows_range(run_id)
        assert hi < 2**62  # the fixture's runs were written one after another: their ranges are known


def test_pull_rebuilds_the_summary(tmp_path):
    from harness.store.shared import pull, push

    src = Store(tmp_path / "a.duckdb")
    runs = [_eval(src, "a", 30, 1), _eval(src, "b", 30, 2)]
    push(src, tmp_path / "shared")
    dst = Store(tmp_path / "b.duckdb")
    _eval(dst, "local", 20, 3)
    pull(dst, tmp_path / "shared")
    _close(dst.query(SUMMARY), dst.query(DIRECT))
    assert all(dst.sample_rows_range(r)[1] < 2**62 for r in runs)


def test_keep_open_reader_does_not_block_a_writer(tmp_path):
    """A dashboard-style reader keeps its connection between queries; a writer in another process still gets
    the file (the reader lets go after its idle time or when it sees the lock taken) and the next reader
    sees the write."""
    db = tmp_path / "s.duckdb"
    run = _eval(Store(db), "a", 10, 1)
    reader = Store(db, read_only=True, keep_open_s=0.5)
    assert reader.query("SELECT count(*) AS n FROM runs")[0]["n"] == 1
    assert reader._kept is not None  # the connection stays open after the query
    code = textwrap.dedent(f"""
        from harness.store import Store
        s = Store({str(db)!r})
        r = s.start_run("eval", model_id="b")
        s.add_eval(r, [], [{{"run_id": r, "task": "t", "doc_hash": "h", "metric": "acc", "value": 1.0}}])
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "HARNESS_STORE_WAIT_S": "60"})
    assert proc.returncode == 0, proc.stderr
    assert Store(db, read_only=True).query("SELECT count(*) AS n FROM runs WHERE status = 'completed'")[0]["n"] == 2
    assert reader.query("SELECT count(*) AS n FROM runs")[0]["n"] == 2  # reopened after letting go
    assert run


def test_keep_open_reader_does_not_block_a_writer_in_the_same_process(tmp_path):
    """DuckDB refuses a read-write connection to a file this process holds read-only (a dashboard page run
    in-process, then a write): the writer closes the process's keep-open readers of that file and goes on."""
    db = tmp_path / "s.duckdb"
    _eval(Store(db), "a", 10, 1)
    reader = Store(db, read_only=True, keep_open_s=60)
    assert reader.query("SELECT count(*) AS n FROM runs")[0]["n"] == 1 and reader._kept is not None
    writer = Store(db)
    writer.start_run("eval", model_id="b")
    assert reader._kept is None
    assert reader.query("SELECT count(*) AS n FROM runs")[0]["n"] == 2


def test_multinomial_bootstrap_has_the_index_bootstrap_distribution():
    """Few distinct (baseline, candidate) pairs are resampled as multinomial counts: the same distribution as
    drawing item indices (checked on its quantiles, 20 k resamples each, against the plain definition)."""
    rng = np.random.default_rng(3)
    b = (rng.random(500) < 0.6).astype(float)
    c = np.where(rng.random(500) < 0.2, 1 - b, b)
    base, cand = _stratum_resamples(np.random.default_rng(1), b, c, None, 20_000)
    idx = np.random.default_rng(2).integers(0, 500, size=(20_000, 500))
    plain = c[idx].mean(axis=1) - b[idx].mean(axis=1)
    ours = cand - base
    assert np.quantile(ours, [0.025, 0.5, 0.975]) == pytest.approx(np.quantile(plain, [0.025, 0.5, 0.975]),
                                                                     abs=0.004)
    assert ours.std() == pytest.approx(plain.std(), rel=0.03)


@pytest.mark.parametrize("n", [40, 400])
def test_sign_flip_p_value_matches_scipy_within_monte_carlo_error(n):
    """The packed sign-flip null gives scipy.stats.permutation_test's p-value up to Monte Carlo error
    (sd = sqrt(p (1 - p) / R) for each; R = 9,999 resamples)."""
    rng = np.random.default_rng(n)
    b = rng.normal(size=n)
    c = b + 0.12 + rng.normal(size=n)
    w = np.full(n, 1 / n)
    ref = stats.permutation_test((b, c), lambda x, y, axis: np.sum(w * (y - x), axis=axis), vectorized=True,
                                 permutation_type="samples", n_resamples=9999, alternative="two-sided", rng=5).pvalue
    ours = paired_permutation_test(b, c, n_resamples=9999, rng=6).p_value
    sd = np.sqrt(2 * ref * (1 - ref) / 9999)  # of the difference of two independent estimates
    assert abs(ours - ref) <= 4 * sd + 1e-4
