"""Regression over time: one metric across a domain's successive evaluations, with gate outcomes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import queries as q
from dashboards import render
from dashboards.common import fmt_ci, fmt_num, from_url, guard, open_db, require, to_url

st.title("Regression over time")
db = open_db()
with guard():
    domains = q.domains(db.path, db.version)
    require(bool(domains), "No run in the store names a domain yet. Run `harness demo` or `harness train DOMAIN`.")
    c1, c2, c3 = st.columns(3)
    from_url("reg_domain", "domain", domains, domains[0])
    domain = c1.selectbox("Domain", domains, key="reg_domain")
    choices = q.series_choices(db.path, db.version, domain)
    require(not choices.empty, f"No completed evaluation of {domain}'s models yet.")
    tasks = list(dict.fromkeys(choices["task"]))
    from_url("reg_task", "task", tasks, tasks[0])
    if st.session_state.get("reg_task") not in tasks:
        st.session_state["reg_task"] = tasks[0]
    task = c2.selectbox("Task", tasks, key="reg_task")
    of_task = choices.loc[choices["task"] == task].reset_index(drop=True)
    keys = [m + (f" ({f})" if f not in ("", "none") else "") for m, f in zip(of_task["metric"], of_task["filter"],
                                                                            strict=True)]
    primary = q.primary_metric_of(db.path, db.version, task)
    default = next((k for k, m, f in zip(keys, of_task["metric"], of_task["filter"], strict=True)
                    if primary and m == primary[0] and f in ("", "none", primary[1] or "none")), keys[0])
    from_url("reg_metric", "metric", keys, default)
    if st.session_state.get("reg_metric") not in keys:
        st.session_state["reg_metric"] = default
    shown_key = c3.selectbox("Metric", keys, key="reg_metric",
                             format_func=lambda k: k + ("" if primary and k.split(" (")[0] == primary[0]
                                                        else " (secondary)"))
    to_url(domain=domain, task=task, metric=shown_key)
    metric, filter_ = of_task.iloc[keys.index(shown_key)][["metric", "filter"]]

    series = q.metric_series(db.path, db.version, domain, task, metric, filter_)
    require(not series.empty, "No evaluation stored this metric.")
    hib = series["higher_is_better"].dropna()
    render.chart(st, "regression_chart", series, metric, bool(hib.iloc[-1]) if len(hib) else None,
                 key="regression_chart")
    gated = series["gate_passed"].notna()
    st.caption(f"{len(series)} completed eval runs of {domain}'s models, oldest first; bars are ≈95% CIs "
               f"(value ± 1.96 · stderr). {int(gated.sum())} of them were a gate's candidate "
               "(triangle = passed, cross = failed). Differences between points are not tested here: use Compare for a "
               "paired test, or the gate's rules.")
    render.table(st, pd.DataFrame({
        "#": series["release"], "finished (UTC)": [f"{t:%Y-%m-%d %H:%M}" if hasattr(t, "strftime") else "—"
                                                    for t in series["finished_at"]], "stage": series["stage"],
        "value": [fmt_num(v) for v in series["value"]], "stderr": [fmt_num(v) for v in series["stderr"]],
        "≈95% CI": [fmt_ci(lo, hi, 4) for lo, hi in zip(series["ci_low"], series["ci_high"], strict=True)],
        "n": series["n"],
        "gate": series["gate_status"].fillna("—"),
        "gate id": series["gate_id"].fillna("—"), "run": series["run_id"], "model": series["model_id"],
        }))  # HTML: numbers formatted by magnitude, wrapped, never cut
    from dashboards.release_view import show_releases  # every release attempt of the domain with its gates

    show_releases(db.path, domain)
