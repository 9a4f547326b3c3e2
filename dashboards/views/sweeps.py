"""Hyperparameter sweeps: the objective of every trial (with n and uncertainty where it has one) and
parameter importance (optuna.importance over the stored complete trials). Read-only."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import render
from dashboards.common import fmt, guard, open_db, require
from harness.store import Store

st.title("Sweeps")
db = open_db()
with guard():
    store = Store(db.path, read_only=True)
    require(bool(store.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'sweep_trials'")),
            "This store predates sweeps (schema v3): open it once with `harness runs --db PATH` to migrate.")
    sweeps = [r["sweep"] for r in store.query("SELECT sweep, max(created_at) AS t FROM sweep_trials GROUP BY sweep"
                                              " ORDER BY t DESC")]
    require(bool(sweeps), "No sweep in the store. Run `harness sweep DOMAIN --stage S --space space.yaml "
            "--trials N`.")
    sweep = st.selectbox("Sweep", sweeps, key="sweep_name")
    rows = store.query("SELECT * FROM sweep_trials WHERE sweep = ? ORDER BY trial", [sweep])
    first = rows[0]
    st.caption(f"{first['domain']}:{first['stage']} · objective {first['objective_name']} ({first['direction']})"
               f" · {len(rows)} trials: " + ", ".join(f"{sum(r['state'] == s for r in rows)} {s}"
                                                     for s in ("complete", "pruned", "failed")))
    frame = pd.DataFrame([{
        "trial": r["trial"], "state": r["state"], "objective": r["objective"],
        "low": None if r["stderr"] is None or r["objective"] is None else r["objective"] - 1.96 * r["stderr"],
        "high": None if r["stderr"] is None or r["objective"] is None else r["objective"] + 1.96 * r["stderr"],
        "params": json.dumps(r["params_json"] if isinstance(r["params_json"], dict) else json.loads(
            r["params_json"]), sort_keys=True), "n": r["n"]} for r in rows])
    done = frame.dropna(subset=["objective"])
    if not done.empty:
        points = alt.Chart(done).mark_circle(size=90).encode(
            x=alt.X("trial:O"), y=alt.Y("objective:Q", scale=alt.Scale(zero=False), title=first["objective_name"]),
            color="state:N", tooltip=["trial", "objective", "n", "params"])
        bars = alt.Chart(done.dropna(subset=["low"])).mark_rule().encode(x="trial:O", y="low:Q", y2="high:Q")
        st.altair_chart(points + bars, use_container_width=True, key="sweep_chart")
    render.table(st, pd.DataFrame({
        "trial": frame["trial"], "state": frame["state"], "objective": [fmt(v, 4) for v in frame["objective"]],
        "n": frame["n"].astype("string").fillna("—"), "params": frame["params"],
        "train run": [r["train_run_id"] or "—" for r in rows]}))
    best = done.sort_values("objective", ascending=first["direction"] == "minimize").head(1)
    if not best.empty:
        st.caption(f"best: trial {int(best['trial'].iloc[0])} {best['params'].iloc[0]} → "
                   f"{fmt(best['objective'].iloc[0], 4)} (n={best['n'].iloc[0]}). Validation-loss objectives have "
                   "no stderr here; differences between trials are not tested.")
    from harness.loops.sweep_importance import importances

    imp = importances(rows)
    st.subheader("Parameter importance")
    if imp:
        st.altair_chart(alt.Chart(pd.DataFrame({"parameter": list(imp), "importance": list(imp.values())}))
                        .mark_bar().encode(x="importance:Q", y=alt.Y("parameter:N", sort="-x")),
                        use_container_width=True, key="importance_chart")
        st.caption(f"optuna.importance (fANOVA) over {len(done)} complete trials; with few trials it is a rough "
                   "ranking, not a test.")
    else:
        st.info("Importance needs at least two complete trials with different objectives.")
