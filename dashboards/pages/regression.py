"""Regression over time: one metric across a domain's successive evaluations, with gate outcomes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import queries as q
from dashboards.common import fmt_ci, guard, open_db, require

st.title("Regression over time")
db = open_db()
with guard():
    domains = q.domains(db.path, db.version)
    require(bool(domains), "No run in the store names a domain yet. Run `harness demo` or `harness train DOMAIN`.")
    c1, c2, c3 = st.columns(3)
    domain = c1.selectbox("Domain", domains, key="reg_domain")
    choices = q.series_choices(db.path, db.version, domain)
    require(not choices.empty, f"No completed evaluation of {domain}'s models yet.")
    tasks = list(dict.fromkeys(choices["task"]))
    task = c2.selectbox("Task", tasks, key="reg_task")
    of_task = choices.loc[choices["task"] == task].reset_index(drop=True)
    keys = [(m, f) for m, f in zip(of_task["metric"], of_task["filter"], strict=True)]
    pick = c3.selectbox("Metric", range(len(keys)), key="reg_metric",
                        format_func=lambda i: keys[i][0] + (f" ({keys[i][1]})" if keys[i][1] not in ("", "none")
                                                            else ""))
    metric, filter_ = keys[pick]

    series = q.metric_series(db.path, db.version, domain, task, metric, filter_)
    require(not series.empty, "No evaluation stored this metric.")
    hib = series["higher_is_better"].dropna()
    st.altair_chart(charts.regression_chart(series, metric, bool(hib.iloc[-1]) if len(hib) else None),
                    key="regression_chart")
    gated = series["gate_passed"].notna()
    st.caption(f"{len(series)} completed eval runs of {domain}'s models, oldest first; bars are ≈95% CIs "
               f"(value ± 1.96 · stderr). {int(gated.sum())} of them were a gate's candidate "
               "(triangle = passed, cross = failed). Differences between points are not tested here: use Compare for a "
               "paired test, or the gate's rules.")
    st.dataframe(pd.DataFrame({
        "#": series["release"], "finished (UTC)": series["finished_at"], "stage": series["stage"],
        "model": series["model_id"], "value": series["value"], "stderr": series["stderr"],
        "≈95% CI": [fmt_ci(lo, hi, 4) for lo, hi in zip(series["ci_low"], series["ci_high"], strict=True)],
        "n": series["n"],
        "gate": series["gate_passed"].map({True: "passed", False: "FAILED"}).fillna("—"),
        "gate id": series["gate_id"], "run": series["run_id"],
    }), hide_index=True, key="regression_table",
        column_config={"value": st.column_config.NumberColumn(format="%.4f"),
                       "stderr": st.column_config.NumberColumn(format="%.4f"),
                       "finished (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
