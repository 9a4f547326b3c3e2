"""Runs: every run in the store, filterable, with a drill-down into one run."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import queries as q
from dashboards.analysis import overfitting_report
from dashboards.common import Db, fmt, fmt_ci, guard, open_db, require


def _filters(db: Db) -> dict[str, Any]:
    opts = q.run_filter_options(db.path, db.version)
    c1, c2, c3, c4 = st.columns(4)
    kinds = c1.multiselect("Kind", opts["kind"], key="runs_kind")
    domains = c2.multiselect("Domain", opts["domain"], key="runs_domain")
    stages = c3.multiselect("Stage", opts["stage"], key="runs_stage")
    statuses = c4.multiselect("Status", opts["status"], key="runs_status")
    c5, c6 = st.columns([2, 2])
    text = c5.text_input("Model or run id contains", key="runs_text").strip()
    days = c6.date_input("Started between (UTC)", value=(), key="runs_dates")
    since = until = None
    if isinstance(days, tuple | list) and len(days) == 2:
        since = datetime.combine(days[0], time.min)
        until = datetime.combine(days[1], time.min) + timedelta(days=1)
    return {"kinds": tuple(kinds), "domains": tuple(domains), "stages": tuple(stages), "statuses": tuple(statuses),
            "model_like": text, "since": since, "until": until}


def _run_table(frame: pd.DataFrame) -> None:
    st.dataframe(
        frame, hide_index=True, key="runs_table",
        column_order=["run_id", "kind", "domain", "stage", "model_id", "status", "started_at", "seconds", "error"],
        column_config={
            "run_id": st.column_config.TextColumn("run"),
            "model_id": st.column_config.TextColumn("model"),
            "started_at": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "seconds": st.column_config.NumberColumn("duration (s)", format="%d"),
        },
    )


def _eval_tab(db: Db, run_id: str) -> None:
    res = q.eval_results(db.path, db.version, run_id)
    if res.empty:
        st.info("This run stored no aggregate results.")
        return
    table = pd.DataFrame({
        "suite": res["suite"], "task": res["task"], "metric": res["metric"], "filter": res["filter"],
        "value": res["value"], "stderr": res["stderr"],
        "≈95% CI": [fmt_ci(lo, hi, 4) for lo, hi in zip(res["ci_low"], res["ci_high"], strict=True)],
        "n": res["n"], "direction": res["higher_is_better"].map({True: "↑ higher is better",
                                                                 False: "↓ lower is better"}),
    })
    st.dataframe(table, hide_index=True, key="eval_results_table",
                 column_config={"value": st.column_config.NumberColumn(format="%.4f"),
                                "stderr": st.column_config.NumberColumn(format="%.4f"),
                                "n": st.column_config.NumberColumn("n (items)", format="%d")})
    st.caption("≈95% CI = value ± 1.96 · stderr (lm-eval's standard error); n = items scored. Differences "
               "between models are judged on the Compare page with paired tests, not by eye.")


def _samples_tab(db: Db, run_id: str) -> None:
    tasks = q.sample_tasks(db.path, db.version, run_id)
    if tasks.empty:
        st.info("This run stored no per-item rows.")
        return
    keys = [f"{t} · {m}" for t, m in zip(tasks["task"], tasks["metric"], strict=True)]
    choice = st.selectbox("Task · metric", range(len(keys)), format_func=lambda i: f"{keys[i]} (n={tasks['n'][i]})",
                          key="samples_task")
    task, metric, n = tasks["task"][choice], tasks["metric"][choice], int(tasks["n"][choice])
    items = q.samples(db.path, db.version, run_id, task, metric, 200)
    st.caption(f"{len(items)} of {n} items shown · mean {metric} over all {n} items = {fmt(tasks['mean'][choice], 4)}")
    st.dataframe(items.drop(columns=["doc_hash"]), hide_index=True, key="samples_table",
                 column_config={"value": st.column_config.NumberColumn(format="%.4f")})
    if not items.empty:
        doc = st.selectbox("Read one item", items["doc_id"].tolist(), key="samples_doc")
        row = items.loc[items["doc_id"] == doc].iloc[0]
        st.markdown(f"**Prompt** (item {doc}, {metric} = {fmt(row['value'], 4)})")
        st.code(row["prompt"] or "", language=None, wrap_lines=True)
        left, right = st.columns(2)
        left.markdown("**Target**")
        left.code(row["target"] or "—", language=None, wrap_lines=True)
        right.markdown("**Prediction**")
        right.code(row["prediction"] or "—", language=None, wrap_lines=True)


def _train_tab(db: Db, run_id: str) -> None:
    logs = q.train_logs(db.path, db.version, run_id)
    if logs.empty:
        st.info("This run logged no train curve.")
        return
    train = logs.loc[logs["split"] == "train"].to_dict("records")
    val = logs.loc[logs["split"] == "validation"].to_dict("records")
    report = overfitting_report(train, val)
    st.altair_chart(charts.loss_chart(logs.loc[logs["split"].isin(["train", "validation"])], report),
                    key="run_loss_chart")
    if report["overfitting"]:
        st.warning(f"Overfitting: {report['reason']}")
    st.caption(f"{report['n_train']} train and {report['n_val']} validation points · min validation loss "
               f"{fmt(report['min_val_loss'], 4)} at step {report['min_val_step']}")


def _data_tab(db: Db, run_id: str) -> None:
    reports = q.data_reports(db.path, db.version, run_id)
    if reports.empty:
        st.info("No data reports for this run.")
        return
    st.dataframe(reports.drop(columns=["report_json"]), hide_index=True, key="data_reports_table")
    for rec in reports.to_dict("records"):
        with st.expander(f"{rec['dataset']} / {rec['split']}: report"):
            st.json(json.loads(rec["report_json"]) if rec["report_json"] else {})


def _detail(db: Db, run_id: str) -> None:
    run = q.run(db.path, db.version, run_id)
    if run is None:
        st.info(f"Run {run_id} is no longer in the store.")
        return
    st.subheader(f"Run `{run_id}`")
    seconds = (run["finished_at"] - run["started_at"]).total_seconds() if run["finished_at"] else None
    st.markdown(f"**kind** {run['kind']} · **status** {run['status']} · **domain** {run['domain'] or '—'} · "
                f"**stage** {run['stage'] or '—'} · **duration** {'—' if seconds is None else f'{seconds:.0f} s'}")
    st.caption(f"started {run['started_at']} UTC · model `{run['model_id'] or '—'}` · parent "
               f"`{run['parent_model_id'] or '—'}` · seed {run['seed'] if run['seed'] is not None else '—'} · "
               f"fingerprint `{run['fingerprint'] or '—'}` · data `{run['data_hash'] or '—'}`")
    if run["error"]:
        st.error(run["error"])
    tabs = {"eval": ["Eval results", "Samples"], "train": ["Train curve", "Model"], "prep": ["Data"]}.get(
        run["kind"], [])
    tabs += ["Config", "Versions"]
    for name, tab in zip(tabs, st.tabs(tabs), strict=True):
        with tab:
            if name == "Eval results":
                _eval_tab(db, run_id)
            elif name == "Samples":
                _samples_tab(db, run_id)
            elif name == "Train curve":
                _train_tab(db, run_id)
            elif name == "Model":
                model = q.model(db.path, db.version, run["model_id"]) if run["model_id"] else None
                if model:
                    st.json({k: str(v) if hasattr(v, "isoformat") else v for k, v in model.items()})
                else:
                    st.info("No model recorded for this run.")
            elif name == "Data":
                _data_tab(db, run_id)
            elif name == "Config":
                st.json(run["config_json"] or {}, expanded=2)
            else:
                st.json(run["versions_json"] or {}, expanded=True)


st.title("Runs")
db = open_db()
with guard():
    total = q.counts(db.path, db.version)["runs"]
    require(total > 0, "No runs in the store yet. Run `harness demo` (or `harness eval`) to record some.")
    filters = _filters(db)
    frame = q.runs(db.path, db.version, **filters)
    st.caption(f"{len(frame)} of {total} runs")
    require(not frame.empty, "No run matches these filters.")
    _run_table(frame)

    st.divider()
    ids = frame["run_id"].tolist()
    labels = {r["run_id"]: f"{r['run_id']} · {r['kind']} · {r['stage'] or '—'} · {r['status']}"
              for r in frame.to_dict("records")}
    linked = st.query_params.get("run")  # deep link: /?run=<run_id>
    run_id = st.selectbox("Drill down into run", ids, index=ids.index(linked) if linked in ids else 0,
                          format_func=labels.get, key="runs_pick")
    _detail(db, run_id)
