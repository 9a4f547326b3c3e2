"""Every read the dashboard makes. All values are bound parameters; nothing from the UI is formatted into SQL.

Each function takes the store path and `version` (the store files' mtimes): st.cache_data keys on both, so a
page re-renders from cache until the pipeline writes something, then reads fresh rows. One read-only Store per
store version keeps one connection open across queries (closed after KEEP_OPEN_S idle seconds, or at once when
a writer waits for the file). Per-run counts come from eval_sample_stats (written at ingest), never from a scan
of every per-item row."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.analysis import normal_ci
from harness.store import Store

Version = tuple[float, ...]
RUN_COLS = ("run_id", "kind", "domain", "stage", "status", "model_id", "parent_model_id", "started_at",
            "finished_at", "error")
EVAL_COLS = ("suite", "task", "metric", "filter", "value", "stderr", "n", "higher_is_better", "model_id")
SAMPLE_COLS = ("doc_id", "value", "prediction", "target", "prompt", "doc_hash")
LOG_COLS = ("run_id", "step", "epoch", "split", "loss", "learning_rate", "grad_norm", "tokens_seen",
            "metrics_json")
GATE_COLS = ("gate_id", "run_id", "policy", "domain", "candidate_run", "baseline_run", "passed", "created_at",
             "n_rules", "n_failed", "n_inconclusive", "status", "candidate_model", "candidate_stage")
# A rule's outcome as the gate stored it (pass | fail | inconclusive); stores from before three-way gates have
# only `passed`, read as pass/fail.
RULE_OUTCOME = ("coalesce(json_extract_string(gr.detail_json, '$.outcome'),"
                " CASE WHEN gr.passed THEN 'pass' ELSE 'fail' END)")
GATE_RESULT_COLS = ("gate_id", "created_at", "rule", "kind", "task", "metric", "observed", "threshold", "passed",
                    "detail_json")
# Completed eval runs that belong to a domain (named parameter $domain): run under that domain, or of a model a
# train run of the domain produced, or judged (as candidate or baseline) by one of the domain's gates.
DOMAIN_EVALS = ("r.kind = 'eval' AND r.status = 'completed' AND (r.domain = $domain OR r.model_id IN"
                " (SELECT model_id FROM runs WHERE kind = 'train' AND domain = $domain AND model_id IS NOT NULL)"
                " OR r.run_id IN (SELECT unnest(string_split(coalesce(candidate_run, '') || ',' ||"
                " coalesce(baseline_run, ''), ',')) FROM gates WHERE domain = $domain))")
_CACHE = {"show_spinner": False, "max_entries": 256}
KEEP_OPEN_S = 1.0  # a page's burst of queries shares one connection; a waiting writer waits about this long


def store_version(db: str | Path) -> Version:
    """mtimes of the store and its write-ahead log: DuckDB commits land in the .wal first."""
    out = []
    for path in (Path(db), Path(str(db) + ".wal")):
        try:
            out.append(os.stat(path).st_mtime)
        except FileNotFoundError:
            out.append(0.0)
    return tuple(out)


@lru_cache(maxsize=8)
def _store_at(db: str, version: Version) -> Store:
    """One Store per store version: opening one checks the file's identity and looks for dead runs, which was most
    of a dashboard query's time (benchmarks/bench_store.py); a write changes the version and so reopens."""
    return Store(db, read_only=True, keep_open_s=KEEP_OPEN_S)


def _store(db: str) -> Store:
    return _store_at(db, store_version(db))


def _frame(db: str, sql: str, params: Sequence[Any] | Mapping[str, Any], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as a DataFrame that keeps its columns when empty (pages test `.empty`, then index columns)."""
    bound = dict(params) if isinstance(params, Mapping) else list(params)
    return pd.DataFrame(_store(db).query(sql, bound), columns=list(columns))


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


@st.cache_data(**_CACHE)
def has_schema(db: str, version: Version) -> bool:
    """True when the file is a harness store (a fresh DuckDB file, or someone else's, has no `runs` table)."""
    rows = _store(db).query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", ["runs"])
    return bool(rows and rows[0]["n"])


@st.cache_data(**_CACHE)
def counts(db: str, version: Version) -> dict[str, int]:
    rows = _store(db).query(
        "SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM runs WHERE kind = ?) AS evals,"
        " (SELECT count(*) FROM gates) AS gates, (SELECT count(*) FROM train_logs) AS train_logs", ["eval"])
    return {k: int(v) for k, v in rows[0].items()}


@st.cache_data(**_CACHE)
def run_filter_options(db: str, version: Version) -> dict[str, list[str]]:
    """Distinct values for the Runs filters."""
    store = _store(db)
    out: dict[str, list[str]] = {}
    for col in ("kind", "domain", "stage", "status"):  # fixed column names, not user input
        rows = store.query(f"SELECT DISTINCT {col} AS v FROM runs WHERE {col} IS NOT NULL ORDER BY v")
        out[col] = [r["v"] for r in rows]
    return out


@st.cache_data(**_CACHE)
def domains(db: str, version: Version) -> list[str]:
    rows = _store(db).query("SELECT DISTINCT domain FROM runs WHERE domain IS NOT NULL ORDER BY domain")
    return [r["domain"] for r in rows]


@st.cache_data(**_CACHE)
def runs(db: str, version: Version, *, kinds: tuple[str, ...] = (), domains: tuple[str, ...] = (),
         stages: tuple[str, ...] = (), statuses: tuple[str, ...] = (), model_like: str = "",
         since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
    """Runs matching every given filter (an empty filter matches all), newest first, with duration."""
    where, params = [], []
    for col, values in (("kind", kinds), ("domain", domains), ("stage", stages), ("status", statuses)):
        if values:
            where.append(f"{col} IN ({_marks(values)})")
            params += list(values)
    if model_like:
        where.append("(contains(lower(coalesce(model_id, '')), lower(?)) OR contains(lower(run_id), lower(?)))")
        params += [model_like, model_like]
    if since is not None:
        where.append("started_at >= ?")
        params.append(since)
    if until is not None:
        where.append("started_at < ?")
        params.append(until)
    sql = (f"SELECT {', '.join(RUN_COLS)}, date_diff('second', started_at, finished_at) AS seconds FROM runs"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY started_at DESC, run_id")
    return _frame(db, sql, params, [*RUN_COLS, "seconds"])


@st.cache_data(**_CACHE)
def run(db: str, version: Version, run_id: str) -> dict[str, Any] | None:
    row = _store(db).run(run_id)
    if row is None:
        return None
    for key in ("config_json", "versions_json"):
        row[key] = json.loads(row[key]) if row.get(key) else None
    return row


@st.cache_data(**_CACHE)
def model(db: str, version: Version, model_id: str) -> dict[str, Any] | None:
    rows = _store(db).query("SELECT * FROM models WHERE model_id = ?", [model_id])
    return rows[0] if rows else None


@st.cache_data(**_CACHE)
def eval_results(db: str, version: Version, run_id: str) -> pd.DataFrame:
    """A run's aggregate metrics with n and a ≈95% interval from lm-eval's stderr."""
    frame = _frame(db, f"SELECT {', '.join(EVAL_COLS)} FROM eval_results WHERE run_id = ? ORDER BY suite, task,"
                   " metric, filter", [run_id], EVAL_COLS)
    cis = [normal_ci(v, s) for v, s in zip(frame["value"], frame["stderr"], strict=True)]
    frame["ci_low"] = [c[0] for c in cis]
    frame["ci_high"] = [c[1] for c in cis]
    return frame


@st.cache_data(**_CACHE)
def sample_tasks(db: str, version: Version, run_id: str) -> pd.DataFrame:
    # n: items with a value (a metric not defined on some items, e.g. f1_has_answer, has NULL or no rows there)
    return _frame(db, "SELECT task, metric, sum(n_values)::BIGINT AS n, CASE WHEN sum(n_values) > 0 THEN sum(total) /"
                  " sum(n_values) END AS mean FROM eval_sample_stats WHERE run_id = ? GROUP BY task, metric"
                  " ORDER BY task, metric", [run_id], ("task", "metric", "n", "mean"))


@st.cache_data(**_CACHE)
def samples(db: str, version: Version, run_id: str, task: str, metric: str, limit: int = 200) -> pd.DataFrame:
    lo, hi = _store(db).sample_rows_range(run_id)
    return _frame(db, f"SELECT {', '.join(SAMPLE_COLS)} FROM eval_samples WHERE run_id = ? AND task = ? AND metric = ?"
                  " AND rowid BETWEEN ? AND ? ORDER BY doc_id, doc_hash LIMIT ?",
                  [run_id, task, metric, lo, hi, int(limit)], SAMPLE_COLS)


@st.cache_data(**_CACHE)
def train_logs(db: str, version: Version, run_id: str) -> pd.DataFrame:
    return _frame(db, f"SELECT {', '.join(LOG_COLS)} FROM train_logs WHERE run_id = ? ORDER BY split, step",
                  [run_id], LOG_COLS)


@st.cache_data(**_CACHE)
def train_runs(db: str, version: Version, domain: str | None) -> pd.DataFrame:
    """Train runs (of a domain, or all) that logged a curve, newest first, with their log counts."""
    cols = (*RUN_COLS, "method", "n_train", "n_val")
    sql = (f"SELECT {', '.join('r.' + c for c in RUN_COLS)},"
           " any_value(coalesce(json_extract_string(r.config_json, '$.method'),"
           " json_extract_string(r.config_json, '$.recipe'))) AS method,"
           " count(*) FILTER (WHERE l.split = 'train') AS n_train,"
           " count(*) FILTER (WHERE l.split = 'validation') AS n_val"
           " FROM runs r JOIN train_logs l ON l.run_id = r.run_id WHERE r.kind = 'train'"
           + (" AND r.domain = ?" if domain else "")
           + f" GROUP BY {', '.join('r.' + c for c in RUN_COLS)} ORDER BY r.started_at DESC, r.run_id")
    return _frame(db, sql, [domain] if domain else [], cols)


@st.cache_data(**_CACHE)
def data_reports(db: str, version: Version, run_id: str) -> pd.DataFrame:
    cols = ("dataset", "split", "n_rows_in", "n_rows_out", "n_dropped", "dataset_hash", "report_json")
    return _frame(db, f"SELECT {', '.join(cols)} FROM data_reports WHERE run_id = ? ORDER BY dataset, split",
                  [run_id], cols)


@st.cache_data(**_CACHE)
def eval_runs(db: str, version: Version) -> pd.DataFrame:
    """Completed eval runs that stored per-item rows (the only ones a paired comparison can use)."""
    cols = ("run_id", "domain", "stage", "model_id", "started_at", "finished_at", "n_tasks", "n_items")
    return _frame(db, "SELECT r.run_id, r.domain, r.stage, r.model_id, r.started_at, r.finished_at,"
                  " s.n_tasks, s.n_items FROM runs r JOIN (SELECT run_id, count(*) AS n_tasks,"
                  " sum(task_docs)::BIGINT AS n_items FROM (SELECT DISTINCT run_id, task, task_docs"
                  " FROM eval_sample_stats) GROUP BY run_id) s ON s.run_id = r.run_id"
                  " WHERE r.kind = ? AND r.status = ?"
                  " ORDER BY coalesce(r.finished_at, r.started_at) DESC, r.run_id", ["eval", "completed"], cols)


@st.cache_data(**_CACHE)
def run_suites(db: str, version: Version, run_ids: tuple[str, ...]) -> list[str]:
    rows = _store(db).query(f"SELECT DISTINCT suite FROM eval_results WHERE run_id IN ({_marks(run_ids)})"
                            " AND suite IS NOT NULL ORDER BY suite", list(run_ids))
    return [r["suite"] for r in rows]


@st.cache_data(show_spinner="Comparing item by item (paired bootstrap and tests)…", max_entries=64)
def comparison(db: str, version: Version, baseline: str, candidate: str, *, regression_suites: tuple[str, ...],
               correction: str, alpha: float, n_boot: int, max_flips: int = 10) -> dict[str, Any]:
    """harness.compare.compare_runs, cached as a plain dict (HarnessError propagates to the page)."""
    from harness.compare import compare_runs

    comp = compare_runs(_store(db), baseline, candidate, regression_suites=regression_suites,
                        correction=correction, alpha=alpha, n_boot=n_boot, max_flips=max_flips)  # type: ignore[arg-type]
    return comp.to_dict()


@st.cache_data(**_CACHE)
def series_choices(db: str, version: Version, domain: str) -> pd.DataFrame:
    """(suite, task, metric, filter) that the domain's eval runs measured, with how many runs have each."""
    cols = ("suite", "task", "metric", "filter", "n_runs")
    return _frame(db, "SELECT e.suite, e.task, e.metric, coalesce(e.filter, '') AS filter,"
                  " count(DISTINCT e.run_id) AS n_runs FROM eval_results e JOIN runs r ON r.run_id = e.run_id"
                  f" WHERE {DOMAIN_EVALS} GROUP BY ALL ORDER BY e.suite, e.task, e.metric, filter",
                  {"domain": domain}, cols)


@st.cache_data(**_CACHE)
def metric_series(db: str, version: Version, domain: str, task: str, metric: str, filter_: str) -> pd.DataFrame:
    """One metric over the domain's successive eval runs (oldest first) with ≈95% CI and, where a gate judged
    that run as its candidate, the latest such gate's outcome (gates.candidate_run may list several runs,
    comma-separated, when the candidate's tasks came from several evaluations)."""
    cols = ("run_id", "stage", "model_id", "finished_at", "value", "stderr", "n", "higher_is_better", "gate_id",
            "gate_passed", "gate_policy", "n_gates", "gate_status")
    frame = _frame(
        db,
        "SELECT r.run_id, r.stage, r.model_id, coalesce(r.finished_at, r.started_at) AS finished_at, e.value,"
        " e.stderr, e.n, e.higher_is_better, g.gate_id, g.passed AS gate_passed, g.policy AS gate_policy,"
        " g.n_gates, g.status AS gate_status FROM runs r JOIN eval_results e ON e.run_id = r.run_id"
        " LEFT JOIN (SELECT run AS candidate_run, arg_max(gate_id, created_at) AS gate_id,"
        "  arg_max(passed, created_at) AS passed, arg_max(policy, created_at) AS policy, count(*) AS n_gates,"
        "  arg_max(status, created_at) AS status"
        "  FROM (SELECT gg.*, unnest(string_split(gg.candidate_run, ',')) AS run, CASE WHEN gg.passed THEN 'passed'"
        f"   WHEN EXISTS (SELECT 1 FROM gate_results gr WHERE gr.gate_id = gg.gate_id AND {RULE_OUTCOME} = 'fail')"
        "   OR NOT EXISTS (SELECT 1 FROM gate_results gr WHERE gr.gate_id = gg.gate_id) THEN 'FAILED'"
        "   ELSE 'INCONCLUSIVE' END AS status FROM gates gg) GROUP BY run) g"
        "  ON g.candidate_run = r.run_id"
        f" WHERE {DOMAIN_EVALS} AND e.task = $task AND e.metric = $metric AND coalesce(e.filter, '') = $filter"
        " ORDER BY coalesce(r.finished_at, r.started_at), r.run_id",
        {"domain": domain, "task": task, "metric": metric, "filter": filter_}, cols)
    frame.insert(0, "release", range(1, len(frame) + 1))
    cis = [normal_ci(v, s) for v, s in zip(frame["value"], frame["stderr"], strict=True)]
    frame["ci_low"] = [c[0] for c in cis]
    frame["ci_high"] = [c[1] for c in cis]
    return frame


@st.cache_data(**_CACHE)
def gates(db: str, version: Version, domains: tuple[str, ...] = (), policies: tuple[str, ...] = ()) -> pd.DataFrame:
    """Gates newest first, with rule counts and what the candidate run evaluated."""
    where, params = [], []
    if domains:
        where.append(f"g.domain IN ({_marks(domains)})")
        params += list(domains)
    if policies:
        where.append(f"g.policy IN ({_marks(policies)})")
        params += list(policies)
    sql = ("WITH rc AS (SELECT gr.gate_id, count(*) AS n_rules,"
           f"  count(*) FILTER (WHERE {RULE_OUTCOME} = 'fail') AS n_failed,"
           f"  count(*) FILTER (WHERE {RULE_OUTCOME} = 'inconclusive') AS n_inconclusive"
           "  FROM gate_results gr GROUP BY gr.gate_id),"
           " cand AS (SELECT g.gate_id, any_value(r.model_id) AS candidate_model,"
           "  string_agg(DISTINCT r.stage, ',') AS candidate_stage FROM gates g"
           "  JOIN runs r ON list_contains(string_split(g.candidate_run, ','), r.run_id) GROUP BY g.gate_id)"
           " SELECT g.gate_id, g.run_id, g.policy, g.domain, g.candidate_run, g.baseline_run, g.passed, g.created_at,"
           " coalesce(rc.n_rules, 0) AS n_rules, coalesce(rc.n_failed, 0) AS n_failed,"
           " coalesce(rc.n_inconclusive, 0) AS n_inconclusive,"
           " CASE WHEN g.passed THEN 'PASS' WHEN coalesce(rc.n_failed, 0) > 0 OR coalesce(rc.n_rules, 0) = 0"
           "  THEN 'FAIL' ELSE 'INCONCLUSIVE' END AS status, cand.candidate_model,"
           " cand.candidate_stage FROM gates g LEFT JOIN rc ON rc.gate_id = g.gate_id"
           " LEFT JOIN cand ON cand.gate_id = g.gate_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY g.created_at DESC, g.gate_id")
    return _frame(db, sql, params, GATE_COLS)


@st.cache_data(**_CACHE)
def gate_policies(db: str, version: Version) -> list[str]:
    rows = _store(db).query("SELECT DISTINCT policy FROM gates WHERE policy IS NOT NULL ORDER BY policy")
    return [r["policy"] for r in rows]


@st.cache_data(**_CACHE)
def gate_results(db: str, version: Version, gate_ids: tuple[str, ...]) -> pd.DataFrame:
    """Rule-by-rule results of the given gates, with n and interval bounds lifted out of detail_json."""
    if not gate_ids:
        return pd.DataFrame(columns=[*GATE_RESULT_COLS, "n", "ci_low", "ci_high"])
    frame = _frame(db, "SELECT gr.gate_id, g.created_at, gr.rule, gr.kind, gr.task, gr.metric, gr.observed,"
                   " gr.threshold, gr.passed, gr.detail_json FROM gate_results gr JOIN gates g ON g.gate_id ="
                   f" gr.gate_id WHERE gr.gate_id IN ({_marks(gate_ids)}) ORDER BY g.created_at, gr.gate_id, gr.rule",
                   list(gate_ids), GATE_RESULT_COLS)
    details = [_detail(d) for d in frame["detail_json"]]
    frame["n"] = [_num(d.get("n")) for d in details]
    # a floor rule judges the candidate's value, so its interval is the candidate's; other rules judge Δ or a ratio
    bounds = [("candidate_ci_low", "candidate_ci_high") if k == "floor" else ("ci_low", "ci_high")
              for k in frame["kind"]]
    frame["ci_low"] = [_num(d.get(lo)) for d, (lo, _) in zip(details, bounds, strict=True)]
    frame["ci_high"] = [_num(d.get(hi)) for d, (_, hi) in zip(details, bounds, strict=True)]
    frame["detail_json"] = details
    return frame


def _num(value: Any) -> float | None:
    """A number from detail_json; for a per-task mapping (min_n rules) the smallest, which the rule judged."""
    if isinstance(value, dict):
        numbers = [v for v in map(_num, value.values()) if v is not None]
        return min(numbers) if numbers else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _detail(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {"detail": str(raw)}
    return value if isinstance(value, dict) else {"detail": value}


@st.cache_data(**_CACHE)
def gate_run_settings(db: str, version: Version, run_id: str | None) -> dict[str, Any]:
    """The statistics settings a gate judged with (its run's config: the policy's regression suites, alpha,
    correction, n_boot), so its Compare link reopens the same comparison."""
    if not run_id:
        return {}
    row = _store(db).run(run_id)
    if not row or not row.get("config_json"):
        return {}
    cfg = json.loads(row["config_json"]) if isinstance(row["config_json"], str) else row["config_json"]
    policy = cfg.get("policy") or {}
    suites = list(policy.get("regression_suites") or [])
    for rule in policy.get("rules") or []:
        if rule.get("kind") in ("max_forgetting", "max_perplexity_increase") and rule.get("suite"):
            suites.append(rule["suite"])
    return {"regression": list(dict.fromkeys(suites)), "alpha": policy.get("alpha"),
            "correction": policy.get("correction"), "n_boot": policy.get("n_boot")}


@st.cache_data(**_CACHE)
def gate_of_run(db: str, version: Version, run_id: str) -> dict[str, Any] | None:
    """The gate a `gate` run wrote (Runs shows the gate id, the one every page names a gate by)."""
    rows = _store(db).query("SELECT gate_id, passed FROM gates WHERE run_id = ?", [run_id])
    return rows[0] if rows else None


ITEM_COLS = ("doc_id", "doc_hash", "prompt", "target", "baseline_prediction", "candidate_prediction", "baseline",
             "candidate", "weight")


@st.cache_data(**_CACHE)
def item_metrics(db: str, version: Version, baseline_run: str, candidate_run: str, task: str) -> pd.DataFrame:
    """(metric, filter, n paired) of one task that both runs scored per item."""
    b_lo, b_hi = _store(db).sample_rows_range(baseline_run)
    c_lo, c_hi = _store(db).sample_rows_range(candidate_run)
    return _frame(db, "SELECT b.metric, coalesce(b.filter, 'none') AS filter, count(*) AS n FROM eval_samples b"
                  " JOIN eval_samples c ON c.task = b.task AND c.metric = b.metric AND c.doc_hash = b.doc_hash"
                  " AND coalesce(c.filter, 'none') = coalesce(b.filter, 'none')"
                  " WHERE b.run_id = ? AND c.run_id = ? AND b.task = ? AND b.rowid BETWEEN ? AND ?"
                  " AND c.rowid BETWEEN ? AND ? GROUP BY ALL ORDER BY b.metric, filter",
                  [baseline_run, candidate_run, task, b_lo, b_hi, c_lo, c_hi], ("metric", "filter", "n"))


@st.cache_data(**_CACHE)
def item_pairs(db: str, version: Version, baseline_run: str, candidate_run: str, task: str, metric: str,
               filter_: str) -> pd.DataFrame:
    """Every item both runs scored on one task/metric/filter, paired on the document's content hash (the
    first occurrence of a repeated document), with both outputs and both per-item scores. Documents are numbered
    by occurrence (a window per side, about half of this query's time) only when a side repeats one."""
    where = ("run_id = ${run} AND task = $task AND metric = $metric AND coalesce(filter, 'none') = $filter"
             " AND rowid BETWEEN ${run}_lo AND ${run}_hi")
    store = _store(db)
    (b_lo, b_hi), (c_lo, c_hi) = (store.sample_rows_range(r) for r in (baseline_run, candidate_run))
    params = {"b": baseline_run, "c": candidate_run, "task": task, "metric": metric, "filter": filter_,
              "b_lo": b_lo, "b_hi": b_hi, "c_lo": c_lo, "c_hi": c_hi}
    repeats = store.query(
        "SELECT (SELECT count(*) - count(DISTINCT doc_hash) FROM eval_samples WHERE " + where.format(run="b")
        + ") + (SELECT count(*) - count(DISTINCT doc_hash) FROM eval_samples WHERE " + where.format(run="c")
        + ") AS n", params)[0]["n"]
    occ = "row_number() OVER (PARTITION BY doc_hash ORDER BY doc_id)" if repeats else "1"
    cols = "doc_id, doc_hash, prompt, target, prediction, value, weight"
    sql = (f"WITH b AS (SELECT {cols}, {occ} AS occ FROM eval_samples WHERE {where.format(run='b')}),"
           f" c AS (SELECT {cols}, {occ} AS occ FROM eval_samples WHERE {where.format(run='c')})"
           " SELECT coalesce(c.doc_id, b.doc_id) AS doc_id, b.doc_hash, coalesce(c.prompt, b.prompt) AS prompt,"
           " coalesce(c.target, b.target) AS target, b.prediction AS baseline_prediction,"
           " c.prediction AS candidate_prediction, b.value AS baseline, c.value AS candidate,"
           " coalesce(c.weight, b.weight) AS weight"
           " FROM b JOIN c ON c.doc_hash = b.doc_hash AND c.occ = b.occ ORDER BY doc_id, b.doc_hash")
    frame = store.query_arrow(sql, params).to_pandas()  # columnar: no Python dict per item
    if not len(frame.columns):
        return pd.DataFrame(columns=list(ITEM_COLS))
    if pd.api.types.is_integer_dtype(frame["doc_id"]):
        frame["doc_id"] = frame["doc_id"].astype("int64")  # as the row-by-row path typed it
    return frame


@st.cache_data(**_CACHE)
def primary_values(db: str, version: Version, run_ids: tuple[str, ...]) -> pd.DataFrame:
    """Each run's stored aggregate of each task's primary metric (as its eval_tasks row declares; a task
    without one keeps every metric), with ≈95% CI."""
    if not run_ids:
        return pd.DataFrame(columns=["run_id", "suite", "task", "metric", "filter", "value", "stderr", "n",
                                     "higher_is_better", "ci_low", "ci_high"])
    cols = ("run_id", "suite", "task", "metric", "filter", "value", "stderr", "n", "higher_is_better")
    frame = _frame(db, "SELECT e.run_id, e.suite, e.task, e.metric, coalesce(e.filter, 'none') AS filter, e.value,"
                   " e.stderr, e.n, e.higher_is_better FROM eval_results e LEFT JOIN eval_tasks t"
                   " ON t.run_id = e.run_id AND t.task = e.task"
                   f" WHERE e.run_id IN ({_marks(run_ids)}) AND (t.primary_metric IS NULL OR"
                   " (e.metric = t.primary_metric AND coalesce(e.filter, 'none') ="
                   " coalesce(t.primary_filter, e.filter, 'none'))) ORDER BY e.suite, e.task, e.metric",
                   list(run_ids), cols)
    cis = [normal_ci(v, s) for v, s in zip(frame["value"], frame["stderr"], strict=True)]
    frame["ci_low"] = [c[0] for c in cis]
    frame["ci_high"] = [c[1] for c in cis]
    return frame


@st.cache_data(**_CACHE)
def primary_metric_of(db: str, version: Version, task: str) -> tuple[str, str | None] | None:
    """(primary metric, primary filter) the newest eval of a task declared (eval_tasks), None if never stored."""
    rows = _store(db).query("SELECT t.primary_metric, t.primary_filter FROM eval_tasks t JOIN runs r ON r.run_id ="
                            " t.run_id WHERE t.task = ? AND t.primary_metric IS NOT NULL"
                            " ORDER BY r.started_at DESC LIMIT 1", [task])
    return (rows[0]["primary_metric"], rows[0]["primary_filter"]) if rows else None


_PREWARMED: set[tuple[str, Version]] = set()


def prewarm(db: str, version: Version) -> None:
    """Compute, in a background thread, what Compare shows first (the default pair's comparison): the heavy
    imports and the paired bootstrap then happen while the user reads another page. Once per store version
    and server process; failures are ignored (the page computes and reports them itself)."""
    import threading

    if (db, version) in _PREWARMED:
        return
    _PREWARMED.add((db, version))

    def work() -> None:
        try:
            from dashboards.analysis import default_pair, regression_default

            evals = eval_runs(db, version)
            if len(evals) < 2:
                return
            baseline, candidate = default_pair(evals)
            dom = evals.set_index("run_id")["domain"]
            suites = run_suites(db, version, (baseline, candidate))
            comparison(db, version, baseline, candidate,
                       regression_suites=tuple(regression_default(dom[candidate] or dom[baseline], suites)),
                       correction="holm", alpha=0.05, n_boot=4000)
        except Exception:  # noqa: BLE001 (a warm-up only)
            pass

    threading.Thread(target=work, name="dashboard-prewarm", daemon=True).start()
