"""The store at scale: ingest of per-item rows, every dashboard query that reads them, and `compare` of two
100k-item runs, each beside a reference measured in the same run (issue 13's store row).

    .venv/bin/python benchmarks/bench_store.py [--rows 10000000] [--per-run 100000] [--reps 20] [--db PATH]
                                               [--ingest-runs N]

--rows is the total of per-item rows (`eval_samples`), written as `rows / per-run` eval runs of 5 tasks each
(target size: 10 M = 100 runs of 100 k; pass a smaller --rows on a small or busy machine, the figures say which
size they are). Rows look like lm-eval's: doc hash, a 0/1 or float value, a short prediction and target, a 160-char
prompt.

- ingest: `Store.add_eval` per run (the runner's path: rows as dicts -> one Arrow/pandas insert in the run's
  transaction) vs the reference, the same dicts -> a pyarrow Table (one struct array, as add_eval converts) ->
  the same table over a bare DuckDB connection (conversion included on both sides). Target >= 200 k rows/s.
- dashboard: each `dashboards/queries.py` function that scans runs or per-item rows, its st.cache_data cleared
  before every call (so never answered from the cache; the store version stays, as between two pipeline writes),
  --reps times: p50 / p95 vs the same SQL on a bare connection. Target: every p95 <= 150 ms. Also the first query
  after a write (a new store version: a new read-only Store, identity check, dead-run scan, connect).
- compare: `harness.compare.compare_runs` of two 100 k-item runs (alignment + paired bootstrap + tests) vs the
  reference, a bare paired join with numpy mean differences. Target <= 2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = ("bench_mc_a", "bench_mc_b", "bench_mc_c", "bench_gen", "bench_ppl")


def sample_rows(run_id: str, model_id: str, n: int, seed: int) -> list[dict]:
    import numpy as np

    rng = np.random.default_rng(seed)
    per_task = n // len(TASKS)
    rows = []
    hashes = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(per_task)]
    p = 0.3 + 0.4 * rng.random()
    for task in TASKS:
        metric = "acc" if task.startswith("bench_mc") else ("exact_match" if task == "bench_gen" else "bits_per_byte")
        values = (rng.random(per_task) < p).astype(float) if metric != "bits_per_byte" else rng.gamma(2, 1, per_task)
        for i in range(per_task):
            rows.append({"run_id": run_id, "model_id": model_id, "suite": "bench", "task": task, "doc_id": i,
                         "doc_hash": hashes[i], "metric": metric, "value": float(values[i]),
                         "prediction": f"option {i % 4}", "target": f"option {(i * 7) % 4}",
                         "prompt": f"Question {i} about {task}: " + "lorem ipsum dolor sit amet " * 5,
                         "filter": "none", "prompt_hash": hashes[i][:16],
                         "weight": float(100 + i % 50) if metric == "bits_per_byte" else None})
    return rows


def aggregates(run_id: str, model_id: str, samples: list[dict]) -> list[dict]:
    import numpy as np

    out = []
    for task in TASKS:
        vals = np.array([s["value"] for s in samples if s["task"] == task])
        metric = next(s["metric"] for s in samples if s["task"] == task)
        out.append({"run_id": run_id, "model_id": model_id, "suite": "bench", "task": task, "metric": metric,
                    "filter": "none", "value": float(vals.mean()), "stderr": float(vals.std() / len(vals) ** 0.5),
                    "n": len(vals), "higher_is_better": metric != "bits_per_byte"})
    return out


def task_rows(n_docs: int) -> list[dict]:
    return [{"task": t, "suite": "bench", "config_hash": "c" + t, "code_hash": "k", "config_json": "{}",
             "n_docs": n_docs, "primary_metric": None, "primary_filter": None} for t in TASKS]


def sql_fixture_run(store, run_id: str, model_id: str, n: int) -> None:
    """One run of rows shaped like sample_rows, written by DuckDB itself (not measured), with the summary and the
    row range the store writes at ingest."""
    from harness.store.db import _note_row_range
    from harness.store.schema import SAMPLE_STATS_SQL

    per_task = n // len(TASKS)
    tasks = "[" + ", ".join(f"'{t}'" for t in TASKS) + "]"
    rows = (f"SELECT $run AS run_id, $model AS model_id, 'bench' AS suite, list_extract({tasks}, k + 1) AS task,"
            " i AS doc_id, sha1(i::VARCHAR) AS doc_hash, CASE k WHEN 3 THEN 'exact_match' WHEN 4 THEN"
            " 'bits_per_byte' ELSE 'acc' END AS metric, CASE WHEN k = 4 THEN -2 * ln(random() * random())"
            " ELSE (random() < 0.5)::INT::DOUBLE END AS value, 'option ' || (i % 4) AS prediction,"
            " 'option ' || ((i * 7) % 4) AS target, 'Question ' || i || ' about ' || list_extract("
            f"{tasks}, k + 1) || ': ' || repeat('lorem ipsum dolor sit amet ', 5) AS prompt, 'none' AS filter,"
            " left(sha1(i::VARCHAR), 16) AS prompt_hash, CASE WHEN k = 4 THEN 100.0 + i % 50 END AS weight"
            f" FROM range({len(TASKS)}) a(k), range({per_task}) b(i) ORDER BY k, i")

    def note(con) -> None:
        _note_row_range(con, run_id, per_task * len(TASKS))

    with store.transaction(after_commit=note) as con:
        con.execute(f"CREATE TEMP TABLE _fixture AS {rows}", {"run": run_id, "model": model_id})
        con.execute("INSERT INTO eval_samples SELECT * FROM _fixture")
        con.execute("INSERT INTO eval_sample_stats " + SAMPLE_STATS_SQL.format(source="_fixture"))
        con.execute("INSERT INTO eval_results SELECT run_id, model_id, suite, task, metric, filter, avg(value),"
                    " stddev_samp(value) / sqrt(count(*)), count(*), metric <> 'bits_per_byte' FROM _fixture"
                    " GROUP BY ALL")
        con.execute("DROP TABLE _fixture")
        store._insert(con, "eval_tasks", ("run_id", "task", "suite", "config_hash", "code_hash", "config_json",
                                          "n_docs"), [{**t, "run_id": run_id} for t in task_rows(per_task)])
        store.finish_run(run_id, model_id=model_id, con=con)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--per-run", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--db", type=Path, default=None, help="store path (default: a temp folder; deleted after)")
    ap.add_argument("--ingest-runs", type=int, default=None,
                    help="measure ingest on the last N runs only (>= 2; default all); the runs before them are "
                         "written by one SQL statement each (same rows, summary and row range), so a 10 M-row "
                         "store for the read figures takes minutes instead of building 10 M Python dicts twice")
    args = ap.parse_args()

    import duckdb
    import pyarrow as pa

    from harness.store import Store
    from harness.store.db import EVAL_SAMPLE_COLS, _sample_schema
    from harness.store.schema import TABLES

    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    db = args.db or folder / "store.duckdb"
    ref_db = folder / "reference.duckdb"
    store = Store(db)
    ref = duckdb.connect(str(ref_db))
    ref.execute(TABLES)
    n_runs = max(2, args.rows // args.per_run)
    print(f"{n_runs} eval runs x {args.per_run:,} per-item rows = {n_runs * args.per_run:,} rows; "
          f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}", flush=True)

    ingest_h = ingest_r = cpu_h = cpu_r = 0.0
    run_ids = []
    measured = min(n_runs, max(2, args.ingest_runs or n_runs))
    for i in range(n_runs):
        model_id = f"bench-model-{i % 10}"
        run_id = store.start_run("eval", domain="bench", stage=f"s{i % 3}", config={"limit": None, "dtype": "float32"},
                                 model_id=model_id, fingerprint=model_id)
        if i < n_runs - measured:
            sql_fixture_run(store, run_id, model_id, args.per_run)
            run_ids.append(run_id)
            continue
        samples = sample_rows(run_id, model_id, args.per_run, i)
        results = aggregates(run_id, model_id, samples)  # the fixture's own work, not the store's
        t, cpu = time.perf_counter(), time.process_time()
        store.add_eval(run_id, results, samples, model_id=model_id, tasks=task_rows(args.per_run // len(TASKS)))
        ingest_h += time.perf_counter() - t
        cpu_h += time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        arrow_rows = pa.Table.from_arrays(  # read by DuckDB; the fastest dicts -> Arrow conversion known here
            pa.array(samples, type=pa.struct(list(_sample_schema()))).flatten(), schema=_sample_schema())
        ref.execute(f"INSERT INTO eval_samples SELECT {', '.join(EVAL_SAMPLE_COLS)} FROM arrow_rows")
        ingest_r += time.perf_counter() - t
        cpu_r += time.process_time() - cpu
        run_ids.append(run_id)
        if (i + 1) % 10 == 0:
            print(f"  ingested {i + 1}/{n_runs} runs", flush=True)
    n_rows = measured * args.per_run  # rows whose ingest was measured
    ref.close()
    del samples, results, arrow_rows  # the fixture's 100 k dicts would make every later GC pass slow
    import gc

    gc.collect()
    results = [("ingest rows/s", n_rows / ingest_h, n_rows / ingest_r, ">= 200,000"),
               ("  same, rows per CPU-second of this process", n_rows / cpu_h, n_rows / cpu_r, "")]

    import dashboards.queries as q

    b, c = run_ids[-2], run_ids[-1]
    calls = {
        "counts": lambda v: q.counts(str(db), v),
        "runs (all)": lambda v: q.runs(str(db), v),
        "runs (model filter)": lambda v: q.runs(str(db), v, model_like="model-3"),
        "eval_results": lambda v: q.eval_results(str(db), v, c),
        "sample_tasks": lambda v: q.sample_tasks(str(db), v, c),
        "samples (200)": lambda v: q.samples(str(db), v, c, TASKS[0], "acc"),
        "eval_runs": lambda v: q.eval_runs(str(db), v),
        "run_suites": lambda v: q.run_suites(str(db), v, (b, c)),
        "series_choices": lambda v: q.series_choices(str(db), v, "bench"),
        "metric_series": lambda v: q.metric_series(str(db), v, "bench", TASKS[0], "acc", "none"),
        "primary_values": lambda v: q.primary_values(str(db), v, (b, c)),
        "item_metrics": lambda v: q.item_metrics(str(db), v, b, c, TASKS[0]),
        "item_pairs": lambda v: q.item_pairs(str(db), v, b, c, TASKS[0], "acc", "none"),
    }
    import logging

    for name in ("streamlit", "streamlit.runtime.caching.cache_data_api"):
        logging.getLogger(name).setLevel(logging.ERROR)
    fns = {"counts": q.counts, "runs (all)": q.runs, "runs (model filter)": q.runs, "eval_results": q.eval_results,
           "sample_tasks": q.sample_tasks, "samples (200)": q.samples, "eval_runs": q.eval_runs,
           "run_suites": q.run_suites, "series_choices": q.series_choices, "metric_series": q.metric_series,
           "primary_values": q.primary_values, "item_metrics": q.item_metrics, "item_pairs": q.item_pairs}
    version = q.store_version(str(db))
    q._store_at(str(db), version)  # opened once, as a page's first query does; that first query is its own line below
    dash = []
    for name, call in calls.items():
        times, cpus = [], []
        for _ in range(args.reps):
            fns[name].clear()
            t, cpu = time.perf_counter(), time.process_time()
            call(version)
            times.append(time.perf_counter() - t)
            cpus.append(time.process_time() - cpu)
        dash.append((name, statistics.median(times), pct(times, 0.95)))
        print(f"  {name:22s} p50 {dash[-1][1] * 1000:7.1f} ms  p95 {dash[-1][2] * 1000:7.1f} ms  "
              f"(CPU p50 {statistics.median(cpus) * 1000:6.1f} ms, 2 DuckDB threads)", flush=True)
    first = []  # a write happened: new version -> new Store (open checks + connect) on the first query
    for i in range(args.reps):
        q.counts.clear()
        t = time.perf_counter()
        q.counts(str(db), (*version, float(i + 1)))
        first.append(time.perf_counter() - t)
    dash.append(("first query after a write", statistics.median(first), pct(first, 0.95)))
    print(f"  {dash[-1][0]:22s} p50 {dash[-1][1] * 1000:7.1f} ms  p95 {dash[-1][2] * 1000:7.1f} ms", flush=True)
    q._store_at.cache_clear()
    # the reference for one dashboard query: its SQL on a bare read-only connection (no store lock/open checks)
    bare = duckdb.connect(str(db), read_only=True)
    ref_times = []
    for _ in range(args.reps):
        t = time.perf_counter()
        bare.execute("SELECT task, metric, count(*) AS n, avg(value) AS mean FROM eval_samples WHERE run_id = ?"
                     " GROUP BY task, metric ORDER BY task, metric", [c]).fetchall()
        ref_times.append(time.perf_counter() - t)
    bare.close()
    sample_tasks = next(d for d in dash if d[0] == "sample_tasks")
    results.append(("dashboard sample_tasks p95 ms", sample_tasks[2] * 1000, pct(ref_times, 0.95) * 1000, "<= 150"))
    worst = max(dash, key=lambda d: d[2])
    results.append((f"dashboard worst p95 ms ({worst[0]})", worst[2] * 1000, None, "<= 150"))

    from harness.compare import compare_runs

    t, cpu = time.perf_counter(), time.process_time()
    comp = compare_runs(Store(db, read_only=True), b, c, regression_suites=())
    compare_s, compare_cpu = time.perf_counter() - t, time.process_time() - cpu
    con = duckdb.connect(str(db), read_only=True)
    t, cpu = time.perf_counter(), time.process_time()
    frame = con.execute("SELECT b.task, b.metric, b.value AS bv, c.value AS cv FROM eval_samples b JOIN eval_samples c"
                        " ON c.task = b.task AND c.metric = b.metric AND c.doc_hash = b.doc_hash"
                        " WHERE b.run_id = ? AND c.run_id = ?", [b, c]).df()
    frame["d"] = frame["cv"] - frame["bv"]
    frame.groupby(["task", "metric"])["d"].agg(["mean", "std", "count"])
    ref_compare, ref_cpu = time.perf_counter() - t, time.process_time() - cpu
    con.close()
    n_items = sum(m.n for t in comp.tasks for m in t.metrics) if hasattr(comp, "tasks") else args.per_run
    results.append((f"compare s (2 runs x {args.per_run:,} items)", compare_s, ref_compare, "<= 2"))
    results.append(("  same, CPU s of this process", compare_cpu, ref_cpu, "(load-independent-ish)"))

    print(f"\n{'what':44s} {'harness':>12} {'reference':>12} {'ratio':>7}  target")
    for what, h, r, target in results:
        ratio = "" if r is None else f"{h / r:7.2f}"
        rtxt = "" if r is None else f"{r:12,.2f}"
        print(f"{what:44s} {h:12,.2f} {rtxt:>12} {ratio:>7}  {target}")
    print(f"({n_runs * args.per_run:,} rows in the store, ingest measured on {n_rows:,};"
          f" compared items {n_items:,}; load average {os.getloadavg()[0]:.2f}; references: bare "
          "DuckDB Arrow insert / bare connection SQL / bare paired join + pandas means)")
    import shutil

    shutil.rmtree(folder, ignore_errors=True)  # the reference store (and the store, unless --db kept it there)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
