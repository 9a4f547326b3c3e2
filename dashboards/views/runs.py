"""Runs: every run in the store, filterable, with a drill-down into one run."""

from __future__ import annotations

import html
import json
from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import queries as q
from dashboards import render
from dashboards.analysis import data_summary, overfitting_report
from dashboards.common import Db, fmt, fmt_ci, fmt_num, from_url, guard, open_db, require, text_box, to_url


def _filters(db: Db) -> dict[str, Any]:
    opts = q.run_filter_options(db.path, db.version)
    c1, c2, c3, c4 = st.columns(4)
    for col in ("kind", "domain", "stage", "status"):
        from_url(f"runs_{col}", col, opts[col], [], many=True)
    from_url("runs_text", "q", None, "")
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
    """Newest first, 50 a page, as an HTML table: the run id, kind, stage and status never scroll out of view."""
    render.paged_table(st, pd.DataFrame({
        "run": frame["run_id"], "kind": frame["kind"], "domain": frame["domain"].fillna("—"),
        "stage": frame["stage"].fillna("—"), "model": frame["model_id"].fillna("—"), "status": frame["status"],
        "started (UTC)": [f"{t:%Y-%m-%d %H:%M:%S}" if hasattr(t, "strftime") else "—" for t in frame["started_at"]],
        "duration (s)": ["—" if pd.isna(s) else f"{int(s)}" for s in frame["seconds"]],
        "error": frame["error"].fillna("—"),
    }), key="runs_table_page")


def _eval_tab(db: Db, run_id: str) -> None:
    res = q.eval_results(db.path, db.version, run_id)
    if res.empty:
        st.info("This run stored no aggregate results.")
        return
    primaries = q.primary_values(db.path, db.version, (run_id,))
    keys = {(t, m, f) for t, m, f in zip(primaries["task"], primaries["metric"], primaries["filter"], strict=True)}

    def _role(task: str, metric: str, filt: str | None) -> str:
        return "primary" if (task, metric, filt or "none") in keys else "secondary"

    table = pd.DataFrame({
        "suite": res["suite"], "task": res["task"], "metric": res["metric"], "filter": res["filter"],
        "value": [fmt_num(v) for v in res["value"]], "stderr": [fmt_num(v) for v in res["stderr"]],
        "≈95% CI": [fmt_ci(lo, hi, 4) for lo, hi in zip(res["ci_low"], res["ci_high"], strict=True)],
        "n (items)": res["n"], "role": [_role(t, m, f) for t, m, f in zip(res["task"], res["metric"],
                                                                            res["filter"], strict=True)],
        "better": res["higher_is_better"].map({True: "↑ higher", False: "↓ lower"}).fillna("—"),
    })
    if set(table["filter"].fillna("none")) <= {"none"}:  # lm-eval's default filter everywhere: nothing to show
        table = table.drop(columns=["filter"])
    render.table(st, table)  # HTML: numbers formatted by magnitude, never cut
    st.caption("≈95% CI = value ± 1.96 · stderr (lm-eval's standard error); n = items scored. Differences "
               "between models are judged on the Compare page with paired tests, not by eye.")


# Fixed widths (px) that add up to less than the main column at 1280 px with the sidebar open, so the grid never
# scrolls sideways; long texts are cut in the grid and read in full under "Read one item".
SAMPLE_COLUMNS = {"doc_id": st.column_config.NumberColumn("item", width=56),
                  "value": st.column_config.NumberColumn(format="%.4f", width=76),
                  "prediction": st.column_config.TextColumn(width=190),
                  "target": st.column_config.TextColumn(width=150),
                  "prompt": st.column_config.TextColumn(width=280)}


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
    st.dataframe(items.drop(columns=["doc_hash"]), hide_index=True, key="samples_table", column_config=SAMPLE_COLUMNS)
    if not items.empty:
        doc = st.selectbox("Read one item", items["doc_id"].tolist(), key="samples_doc")
        row = items.loc[items["doc_id"] == doc].iloc[0]
        st.markdown(f"**Prompt** (item {doc}, {metric} = {fmt(row['value'], 4)})")
        st.html(text_box(html.escape(row["prompt"] or "")))  # plain HTML: st.code's highlighter is slow on long text
        left, right = st.columns(2)
        left.markdown("**Target**")
        left.html(text_box(html.escape(str(row["target"] or "—"))))
        right.markdown("**Prediction**")
        right.html(text_box(html.escape(str(row["prediction"] or "—"))))


def _train_tab(db: Db, run_id: str) -> None:
    logs = q.train_logs(db.path, db.version, run_id)
    if logs.empty:
        st.info("This run logged no train curve.")
        return
    train = logs.loc[logs["split"] == "train"].to_dict("records")
    val = logs.loc[logs["split"] == "validation"].to_dict("records")
    report = overfitting_report(train, val)
    render.chart(st, "loss_chart", logs.loc[logs["split"].isin(["train", "validation"])], report,
                 key="run_loss_chart")
    if report["overfitting"]:
        st.warning(f"Overfitting: {report['reason']}")
    st.caption(f"{report['n_train']} train and {report['n_val']} validation points · min validation loss "
               f"{fmt(report['min_val_loss'], 4)} at step {report['min_val_step']}")


def _find(obj: Any, key: str) -> list[Any]:
    """Every value stored under `key` anywhere inside a report."""
    out: list[Any] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                out.append(v)
            out += _find(v, key)
    elif isinstance(obj, list):
        for v in obj:
            out += _find(v, key)
    return out


def _data_tab(db: Db, run_id: str) -> None:
    reports = q.data_reports(db.path, db.version, run_id)
    if reports.empty:
        st.info("No data reports for this run.")
        return
    parsed = [(rec["dataset"], json.loads(rec["report_json"]) if rec["report_json"] else {})
              for rec in reports.to_dict("records")]
    render.table(st, pd.DataFrame([data_summary(name, rep) for name, rep in parsed]))
    st.caption("rows loaded − dropped (on load and by cleaning) + replay rows added = train + validation.")
    for name, rep in parsed:
        st.markdown(f"**{name}** ({rep.get('kind', '?')}, source `{rep.get('source', '—')}`)")
        steps = rep.get("steps") or []
        reasons: dict[str, int] = dict((rep.get("dropped_on_load") or {}).get("counts", {}))
        for found in _find(steps, "dropped_by_reason"):
            for reason, n in (found or {}).items():
                reasons[reason] = reasons.get(reason, 0) + int(n or 0)
        if not reasons:
            reasons = {f"step {x.get('step')}": int(x.get("dropped", 0) or 0) for x in steps}
        reasons = {k: v for k, v in reasons.items() if v}
        left, right = st.columns(2)
        if steps:
            steps_table = pd.DataFrame([{"step": x.get("step"), "in": x.get("in"), "out": x.get("out"),
                                         "dropped": x.get("dropped")} for x in steps])
            render.table(left, steps_table.astype("string").fillna("—"))
        if reasons:
            render.chart(right, "count_bars", reasons, "rows dropped", "reason", key=f"data_reasons_{name}")
        pii: dict[str, int] = {}
        for found in _find(steps, "pii_counts_by_type"):
            for kind, n in (found or {}).items():
                pii[kind] = pii.get(kind, 0) + int(n or 0)
        contamination = [c for c in _find(steps, "contamination") if isinstance(c, dict) and c.get("per_source")]
        c1, c2 = st.columns(2)
        if pii:
            render.chart(c1, "count_bars", pii, "values masked", "PII type", key=f"data_pii_{name}")
        if contamination:
            render.table(c2, pd.DataFrame([{"eval source": src, "eval items": v.get("items"),
                                            "items touched": v.get("items_touched"),
                                            "train rows hit": v.get("train_rows_hit")}
                                           for c in contamination for src, v in c["per_source"].items()])
                         .astype("string").fillna("—"))
        if rep.get("warnings"):
            st.warning("; ".join(map(str, rep["warnings"])))
        with st.expander(f"{name}: full report (JSON)"):
            st.json(rep, expanded=False)


@st.fragment
def _detail(db: Db, run_id: str) -> None:
    """A fragment with lazy tabs: only the open tab runs and is sent to the browser (the others cost nothing
    until clicked, and a click reruns only this section). Sending every tab of an eval run (its 200-item grid,
    the item picker, the config and versions JSON trees) was most of a Runs visit and of every filter change."""
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
    if run["kind"] == "gate":
        gate = q.gate_of_run(db.path, db.version, run_id)
        if gate:
            st.markdown(f"gate `{gate['gate_id']}` ({'passed' if gate['passed'] else 'not passed'})")
            st.page_link("views/gates.py", label="Open this gate on the Gates page", icon=":material/rule:",
                         query_params={"gate": gate["gate_id"]})
    tabs = {"eval": ["Eval results", "Samples"], "train": ["Train curve", "Model"], "prep": ["Data"]}.get(
        run["kind"], [])
    tabs += ["Config", "Versions"]
    for name, tab in zip(tabs, st.tabs(tabs, key=f"runs_tab_{run['kind']}", on_change="rerun"), strict=True):
        if tab.open is False:  # a hidden tab (None, without state tracking, would run them all)
            continue
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
    from_url("runs_pick", "run", ids, ids[0])  # deep link: /?run=<run_id>
    if st.session_state.get("runs_pick") not in ids:  # filtered out since it was picked
        st.session_state["runs_pick"] = ids[0]
    run_id = st.selectbox("Drill down into run", ids, format_func=labels.get, key="runs_pick")
    to_url(kind=filters["kinds"], domain=filters["domains"], stage=filters["stages"], status=filters["statuses"],
           q=filters["model_like"], run=run_id)
    _detail(db, run_id)
