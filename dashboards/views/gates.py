"""Gates: every release-gate decision, and rule by rule what it judged (the point estimate, the bound the rule
read, the margin) and why it passed, failed or stayed inconclusive; each gate links to its Compare view."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import queries as q
from dashboards import render
from dashboards.common import fmt_num, from_url, guard, missing, open_db, require, to_url
from dashboards.gate_view import STATUS_ICON, STATUS_MD, compare_link, judged, rule_outcome

st.title("Gates")
db = open_db()
with guard():
    all_gates = q.gates(db.path, db.version)
    require(not all_gates.empty, "No gate has been run yet. Run `harness gate --policy domains/<domain>/gates.yaml "
            "--baseline ... --candidate ...`.")
    c1, c2 = st.columns(2)
    domain_opts = sorted(all_gates["domain"].dropna().unique())
    policy_opts = q.gate_policies(db.path, db.version)
    from_url("gates_domain", "domain", domain_opts, [], many=True)
    from_url("gates_policy", "policy", policy_opts, [], many=True)
    domains = c1.multiselect("Domain", domain_opts, key="gates_domain")
    policies = c2.multiselect("Policy", policy_opts, key="gates_policy")
    frame = q.gates(db.path, db.version, tuple(domains), tuple(policies))
    require(not frame.empty, "No gate matches these filters.")

    counts = frame["status"].value_counts()
    st.caption(f"{len(frame)} gates · {int(counts.get('PASS', 0))} passed · {int(counts.get('FAIL', 0))} failed · "
               f"{int(counts.get('INCONCLUSIVE', 0))} inconclusive (too few items to tell; never a pass)")
    render.paged_table(st, pd.DataFrame({  # HTML: the gate id and its result never scroll out of view
        "gate": frame["gate_id"],
        "created (UTC)": [f"{t:%Y-%m-%d %H:%M}" if hasattr(t, "strftime") else "—" for t in frame["created_at"]],
        "result": frame["status"].map(STATUS_ICON),
        "rules failed": [f"{f} of {n}" + (f" ({i} inconclusive)" if i else "") for n, f, i in
                         zip(frame["n_rules"], frame["n_failed"], frame["n_inconclusive"], strict=True)],
        "candidate stage": frame["candidate_stage"].fillna("—"), "domain": frame["domain"].fillna("—"),
        "policy": [Path(p).name if isinstance(p, str) else "—" for p in frame["policy"]],  # full path below
        "candidate run": frame["candidate_run"].fillna("—"),
        "baseline run": frame["baseline_run"].fillna("—"), "gate run": frame["run_id"].fillna("—"),
    }), key="gates_table_page")

    results = q.gate_results(db.path, db.version, tuple(frame["gate_id"]))
    if not results.empty:
        st.subheader("Rule history")
        few = results["gate_id"].nunique() <= 10  # a few gates: fixed-width columns, not one stretched cell
        render.chart(st, "gate_heatmap", results.assign(detail_json=results["detail_json"].map(json.dumps)),
                     key="gate_heatmap", width="content" if few else "stretch")

    st.subheader("Rules of one gate")
    ids = frame["gate_id"].tolist()
    labels = {r["gate_id"]: f"{r['gate_id']} · {r['status']} · {r['created_at']:%Y-%m-%d %H:%M} · "
              f"{r['candidate_stage'] or '?'}" for r in frame.to_dict("records")}
    from_url("gates_pick", "gate", ids, ids[0])
    gate_id = st.selectbox("Gate", ids, format_func=labels.get, key="gates_pick")
    to_url(domain=domains, policy=policies, gate=gate_id)
    gate = frame.loc[frame["gate_id"] == gate_id].iloc[0].to_dict()
    link = compare_link(gate, q.gate_run_settings(db.path, db.version, gate["run_id"]))
    head = f"{STATUS_MD[gate['status']]} · gate `{gate_id}` · policy `{gate['policy']}`"
    st.markdown(head)
    if link:
        st.page_link("views/compare.py", label="Open this pair in Compare (same runs and settings)",
                     icon=":material/compare_arrows:", query_params=link)
    rules = results.loc[results["gate_id"] == gate_id]
    if rules.empty:
        st.info("This gate stored no rule results.")
    else:
        rows = []
        for rec in rules.to_dict("records"):
            d = rec["detail_json"]
            est, bound, words = judged(rec["kind"], rec["observed"], rec["threshold"], d)
            target = rec["task"] if not missing(rec["task"]) else (f"suite {d['suite']}" if d.get("suite") else "all")
            metric = rec["metric"] if not missing(rec["metric"]) else "—"
            rows.append({"rule": rec["rule"], "result": rule_outcome(rec["passed"], d),
                         "estimate": fmt_num(est), "judged bound": fmt_num(bound),
                         "threshold": fmt_num(rec["threshold"]),
                         "n": "—" if missing(rec["n"]) else f"{int(rec['n'])}",
                         "what the rule judged": f"{words} ({rec['kind']} on {target}, {metric})"})
        # HTML table: the words wrap inside the page instead of running off a scrolled grid
        render.table(st, pd.DataFrame(rows))
        st.caption("estimate = the point estimate; judged bound = the end of the confidence interval the rule "
                   "read (non-inferiority rules pass only when even the unfavourable end is inside the margin); "
                   "INCONCLUSIVE = the interval still spans the margin: evaluate more items (`harness gate "
                   "--plan`), never read it as a pass.")
        for rec in rules.to_dict("records"):
            outcome = rule_outcome(rec["passed"], rec["detail_json"])
            text = f"**{rec['rule']}** — {rec['detail_json'].get('detail', outcome.lower())}"
            if outcome == "FAIL":
                st.error(text)
            elif outcome == "INCONCLUSIVE":
                st.warning(text)
        raw = st.expander("Raw rule details (JSON)", key="gates_raw", on_change="rerun")  # lazy: sent when open
        if raw.open is not False:
            with raw:
                st.json({r["rule"]: r["detail_json"] for r in rules.to_dict("records")}, expanded=1)
