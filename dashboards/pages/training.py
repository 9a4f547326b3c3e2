"""Training: train vs validation loss per stage, the step of minimum validation loss, an overfitting flag, and
where early stopping ended a run (its `early_stop` train_logs row: stopping step and reason)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import queries as q
from dashboards.analysis import overfitting_report
from dashboards.common import fmt, fmt_signed, guard, open_db, require

ALL = "(all domains)"


def early_stop(logs: pd.DataFrame) -> dict | None:
    """The run's early-stopping record (written by harness/recipes/callbacks.py), or None."""
    rows = logs.loc[logs["split"] == "early_stop"]
    if rows.empty:
        return None
    raw = rows.iloc[-1]["metrics_json"]
    data = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    return {"step": int(rows.iloc[-1]["step"]), **{k: v for k, v in data.items() if k != "step"}}

st.title("Training")
db = open_db()
with guard():
    domains = q.domains(db.path, db.version)
    c1, c2 = st.columns([3, 1])
    domain = c1.selectbox("Domain", [*domains, ALL], key="train_domain")
    k = c2.number_input("Overfitting window k (evaluations)", min_value=2, max_value=20, value=3, key="train_k",
                        help="Flag when, over the last k validation evaluations, validation loss rose while "
                        "the (smoothed) train loss fell.")
    runs = q.train_runs(db.path, db.version, None if domain == ALL else domain)
    require(not runs.empty, "No train run with a loss curve in the store yet. Run `harness train` or `harness demo`.")

    latest = runs.sort_values("started_at", ascending=False).drop_duplicates(["domain", "stage"])
    default = latest.sort_values("started_at")["run_id"].tolist()  # pipeline order: stages run as the manifest lists
    labels = {r["run_id"]: f"{r['stage'] or '?'} · {r['domain'] or '—'} · {r['started_at']:%Y-%m-%d %H:%M} · "
              f"{r['status']} — {r['run_id']}" for r in runs.to_dict("records")}
    chosen = st.multiselect("Train runs (default: the latest run of each stage)", runs["run_id"].tolist(),
                            default=default, format_func=labels.get, key="train_runs")
    require(bool(chosen), "Pick at least one train run.")

    reports = {}
    for run_id in chosen:
        logs = q.train_logs(db.path, db.version, run_id)
        reports[run_id] = (logs, overfitting_report(logs.loc[logs["split"] == "train"].to_dict("records"),
                                                    logs.loc[logs["split"] == "validation"].to_dict("records"),
                                                    k=int(k)))
    meta = runs.set_index("run_id")
    st.dataframe(pd.DataFrame([{
        "stage": meta.at[r, "stage"], "run": r, "overfitting": "YES" if rep["overfitting"] else "no",
        "min val loss": fmt(rep["min_val_loss"], 4), "min val step": rep["min_val_step"],
        "last val loss": fmt(rep["last_val_loss"], 4), "last step": rep["last_val_step"],
        "val change (window)": fmt_signed(rep["val_change"], 4),
        "train change (window)": fmt_signed(rep["train_change"], 4),
        "train points": rep["n_train"], "validation points": rep["n_val"],
        "early stop": "—" if (stop := early_stop(logs)) is None else f"step {stop['step']}",
    } for r, (logs, rep) in reports.items()]), hide_index=True, key="train_summary")
    st.caption("Validation loss is the mean over the stage's validation split (its size is in the prep report); "
               "the store keeps no per-item losses, so no interval is drawn around it.")

    for run_id, (logs, rep) in reports.items():
        stage = meta.at[run_id, "stage"] or "?"
        st.subheader(f"{stage} · {run_id}")
        if logs.empty:
            st.info("This run logged no loss.")
            continue
        curves = logs.loc[logs["split"].isin(["train", "validation"])]
        st.altair_chart(charts.loss_chart(curves, rep, title=f"{stage}: train vs validation loss"),
                        key=f"loss_{run_id}")
        if (stop := early_stop(logs)) is not None:
            st.info(f"Early stopping ended {stage} at step {stop['step']}: {stop.get('reason', '')}.")
        if rep["min_val_step"] is None:
            st.info(f"No validation loss logged: {rep['reason']}.")
        elif rep["overfitting"]:
            st.warning(f"Overfitting in {stage}: {rep['reason']}.")
        else:
            st.success(f"{stage}: minimum validation loss {fmt(rep['min_val_loss'], 4)} at step "
                       f"{rep['min_val_step']}; no overfitting signal ({rep['reason']}).")
