"""Gates: every release-gate decision, and rule by rule why it passed or failed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import queries as q
from dashboards.common import fmt_ci, guard, missing, open_db, require

st.title("Gates")
db = open_db()
with guard():
    all_gates = q.gates(db.path, db.version)
    require(not all_gates.empty, "No gate has been run yet. Run `harness gate --policy domains/<domain>/gates.yaml "
            "--baseline ... --candidate ...`.")
    c1, c2 = st.columns(2)
    domains = c1.multiselect("Domain", sorted(all_gates["domain"].dropna().unique()), key="gates_domain")
    policies = c2.multiselect("Policy", q.gate_policies(db.path, db.version), key="gates_policy")
    frame = q.gates(db.path, db.version, tuple(domains), tuple(policies))
    require(not frame.empty, "No gate matches these filters.")

    passed = int(frame["passed"].sum())
    st.caption(f"{len(frame)} gates · {passed} passed · {len(frame) - passed} failed")
    st.dataframe(pd.DataFrame({
        "created (UTC)": frame["created_at"], "result": frame["passed"].map({True: "passed", False: "FAILED"}),
        "rules failed": [f"{f} of {n}" for f, n in zip(frame["n_failed"], frame["n_rules"], strict=True)],
        "domain": frame["domain"], "policy": frame["policy"], "candidate stage": frame["candidate_stage"],
        "candidate model": frame["candidate_model"], "candidate run": frame["candidate_run"],
        "baseline run": frame["baseline_run"], "gate": frame["gate_id"],
    }), hide_index=True, key="gates_table",
        column_config={"created (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})

    results = q.gate_results(db.path, db.version, tuple(frame["gate_id"]))
    if not results.empty:
        st.subheader("Rule history")
        few = results["gate_id"].nunique() <= 10  # a few gates: fixed-width columns, not one stretched cell
        st.altair_chart(charts.gate_heatmap(results), key="gate_heatmap", width="content" if few else "stretch")

    st.subheader("Rules of one gate")
    labels = {r["gate_id"]: f"{r['created_at']:%Y-%m-%d %H:%M} · {'passed' if r['passed'] else 'FAILED'} · "
              f"{r['candidate_stage'] or '?'} — {r['gate_id']}" for r in frame.to_dict("records")}
    gate_id = st.selectbox("Gate", frame["gate_id"].tolist(), format_func=labels.get, key="gates_pick")
    rules = results.loc[results["gate_id"] == gate_id]
    if rules.empty:
        st.info("This gate stored no rule results.")
    else:
        st.dataframe(pd.DataFrame({
            "rule": rules["rule"],
            "result": [str(d.get("outcome") or ("pass" if ok else "fail")).upper().replace("PASS", "pass")
                       for ok, d in zip(rules["passed"], rules["detail_json"], strict=True)],
            "kind": rules["kind"],
            "target": [t if not missing(t) else (f"suite {d['suite']}" if d.get("suite") else "all")
                       for t, d in zip(rules["task"], rules["detail_json"], strict=True)],
            "metric": rules["metric"], "observed": rules["observed"], "threshold": rules["threshold"],
            "n": rules["n"],
            "CI": [fmt_ci(lo, hi, 4) for lo, hi in zip(rules["ci_low"], rules["ci_high"], strict=True)],
            "detail": [d.get("detail", "") for d in rules["detail_json"]],
        }), hide_index=True, key="gate_rules_table",
            column_config={"observed": st.column_config.NumberColumn(format="%.4f"),
                           "threshold": st.column_config.NumberColumn(format="%.4f"),
                           "n": st.column_config.NumberColumn(format="%d")})
        for rec in rules.loc[~rules["passed"].astype(bool)].to_dict("records"):
            st.error(f"**{rec['rule']}** — {rec['detail_json'].get('detail', 'failed')}")
        with st.expander("Raw rule details (JSON)"):
            st.json({r["rule"]: r["detail_json"] for r in rules.to_dict("records")}, expanded=1)
