"""Compare: a paired, item-level comparison of two evaluations (harness.compare), with flipped items."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import queries as q
from dashboards.common import Db, eval_run_label, fmt, fmt_ci, fmt_p, fmt_signed, guard, open_db, require
from harness.errors import HarnessError


def _default_pair(evals: pd.DataFrame) -> tuple[int, int]:
    """Baseline: the newest base-model evaluation (else the oldest run); candidate: the newest other run."""
    base = evals.index[evals["stage"] == "base"]
    b = int(base[0]) if len(base) else len(evals) - 1
    c = next(i for i in range(len(evals)) if i != b)
    return b, c


def _regression_default(domain: str | None, suites: list[str]) -> list[str]:
    wanted = ["general"]
    if domain:
        try:
            from harness.domains import load_domain

            wanted = load_domain(domain).manifest.regression_suites
        except Exception:  # the manifest only supplies a default here; a store may outlive its domain folder
            pass
    return [s for s in wanted if s in suites]


def _task_table(rows: list[dict[str, Any]], confidence: float) -> pd.DataFrame:
    ci = f"{confidence:.0%} CI"
    return pd.DataFrame([{
        "suite": r["suite"], "task": r["task"], "metric": r["metric"] + ("" if r["higher_is_better"] else " ↓"),
        "n": r["n"], "verdict": r["verdict"], "delta": r["delta"],
        f"Δ {ci}": fmt_ci(r["ci_low"], r["ci_high"], signed=True), "p": fmt_p(r["p_value"]),
        "p adj": fmt_p(r["p_adjusted"]), "baseline": r["baseline"],
        f"baseline {ci}": fmt_ci(r["baseline_ci_low"], r["baseline_ci_high"]), "candidate": r["candidate"],
        f"candidate {ci}": fmt_ci(r["candidate_ci_low"], r["candidate_ci_high"]), "test": r["test"],
        "primary": r["primary"], "dropped b/c": f"{r['dropped_baseline']}/{r['dropped_candidate']}",
    } for r in rows])


def _forgetting(comp: dict[str, Any]) -> None:
    st.subheader("Forgetting")
    if not comp["forgetting"]:
        st.info("No forgetting score: no regression suite with paired higher-is-better items "
                f"(regression suites: {', '.join(comp['regression_suites']) or 'none'}).")
        return
    cols = st.columns(max(len(comp["forgetting"]), 1))
    for col, f in zip(cols, comp["forgetting"], strict=False):
        col.metric(f"Kept (chance-corrected) · {f['suite']}", fmt(f["ratio"]),
                   help="candidate / baseline of the suite's macro mean of (score - chance) / (1 - chance); "
                        "1.0 = nothing forgotten, 0 = fell to chance (same definition as compare and gate)")
        col.caption(f"{comp['confidence']:.0%} CI {fmt_ci(f['ci_low'], f['ci_high'])} · n = {f['n']} items over "
                    f"{len(f['tasks'])} task(s) · above-chance baseline {fmt(f['baseline'])} → candidate "
                    f"{fmt(f['candidate'])}")
        if f.get("ppl_ratio") is not None:
            col.metric(f"{f['ppl_metric']} ratio · {f['suite']}", fmt(f["ppl_ratio"]),
                       help="candidate / baseline bits per byte of the suite's perplexity-type tasks; > 1 = worse")
            col.caption(f"{comp['confidence']:.0%} CI {fmt_ci(f['ppl_ci_low'], f['ppl_ci_high'])} · n = {f['ppl_n']}"
                        f" · baseline {fmt(f['ppl_baseline'])} → candidate {fmt(f['ppl_candidate'])}")
        if f.get("missing_tasks"):
            col.warning(f"Incomplete: member task(s) {', '.join(f['missing_tasks'])} were not scored by both.")
        if f["ci_high"] is not None and f["ci_high"] < 1:
            col.warning("The whole interval is below 1: the candidate confidently forgot part of this suite.")


def _flips(comp: dict[str, Any]) -> None:
    st.subheader("Flipped items")
    if not comp["flip_counts"]:
        st.info("No 0/1 primary metrics with paired items, so no flips to show.")
        return
    counts = pd.DataFrame(comp["flip_counts"]).rename(columns={"right_to_wrong": "right → wrong",
                                                               "wrong_to_right": "wrong → right"})
    st.dataframe(counts, hide_index=True, key="flip_counts_table")
    # open on the first task that flipped at all, in the direction it flipped (right → wrong first)
    flipped = [i for i, (rw, wr) in enumerate(zip(counts["right → wrong"], counts["wrong → right"], strict=True))
               if rw or wr]
    first = flipped[0] if flipped else 0
    c1, c2 = st.columns(2)
    task = c1.selectbox("Task", counts["task"].tolist(), index=first, key="flip_task")
    direction = c2.radio("Direction", ["right_to_wrong", "wrong_to_right"], horizontal=True, key="flip_dir",
                         index=0 if counts["right → wrong"][first] or not counts["wrong → right"][first] else 1,
                         format_func=lambda d: d.replace("_to_", " → ").replace("_", " "))
    flips = [f for f in comp["flips"] if f["task"] == task and f["direction"] == direction]
    total = int(counts.loc[counts["task"] == task, "right → wrong" if direction == "right_to_wrong"
                           else "wrong → right"].iloc[0])
    if not flips:
        st.info("No item flipped this way.")
        return
    st.caption(f"showing {len(flips)} of {total} flipped items")
    for f in flips:
        with st.container(border=True):
            st.markdown(f"**item {f['doc_id']}** · `{f['doc_hash'][:12]}` · target: `{f['target'] or '—'}`")
            st.code(f["prompt"] or "", language=None, wrap_lines=True)
            left, right = st.columns(2)
            left.markdown("**baseline output**")
            left.code(f["baseline_prediction"] or "—", language=None, wrap_lines=True)
            right.markdown("**candidate output**")
            right.code(f["candidate_prediction"] or "—", language=None, wrap_lines=True)


def _show(db: Db, comp: dict[str, Any]) -> None:
    conf = comp["confidence"]
    verdicts = pd.Series([r["verdict"] for r in comp["rows"]]).value_counts()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("improved", int(verdicts.get("improved", 0)))
    c2.metric("regressed", int(verdicts.get("regressed", 0)))
    c3.metric("no significant change", int(verdicts.get("no significant change", 0)))
    c4.metric("no data", int(verdicts.get("no data", 0)))
    st.caption(f"Paired on items both runs scored; {conf:.0%} bootstrap CIs (B={comp['n_boot']}); McNemar for 0/1 "
               f"metrics, paired permutation otherwise; p-values {comp['correction']}-corrected over a family of "
               f"{len(comp['family'])} primary metrics (secondary metrics are exploratory: raw p, no verdict); "
               f"verdict 'improved'/'regressed' only when p adj < {comp['alpha']}.")
    if comp.get("config_drift"):
        st.error("CONFIG DRIFT ALLOWED: " + "; ".join(f"{d['task']} ({', '.join(d['fields'])})"
                                                    for d in comp["config_drift"]))

    st.subheader("Per task")
    table = _task_table(comp["rows"], conf)
    st.dataframe(table, hide_index=True, key="compare_table",
                 column_config={c: st.column_config.NumberColumn(format="%.4f")
                                for c in ("baseline", "candidate", "delta")})
    all_metrics = st.toggle("Chart secondary metrics too", key="compare_all_metrics")
    rows = pd.DataFrame([r for r in comp["rows"] if (r["primary"] or all_metrics) and r["delta"] is not None])
    if not rows.empty:
        st.altair_chart(charts.delta_chart(rows, conf), key="delta_chart")

    if comp["suites"]:
        st.subheader("Per suite (macro mean of primary, higher-is-better metrics)")
        st.dataframe(pd.DataFrame([{
            "suite": s["suite"], "tasks": ", ".join(s["tasks"]), "excluded": ", ".join(s["excluded_tasks"]),
            "n": s["n"], "baseline": fmt(s["baseline"]), "candidate": fmt(s["candidate"]),
            "delta": fmt_signed(s["delta"]), f"Δ {conf:.0%} CI": fmt_ci(s["ci_low"], s["ci_high"], signed=True),
            "p adj": fmt_p(s["p_adjusted"]), "verdict": s["verdict"]} for s in comp["suites"]]),
            hide_index=True, key="suite_table")
    _forgetting(comp)
    _flips(comp)
    for note in comp["notes"]:
        st.caption(f"note: {note}")


st.title("Compare")
db = open_db()
with guard():
    evals = q.eval_runs(db.path, db.version)
    require(len(evals) >= 2, "Comparing needs two completed eval runs with per-item rows; the store has "
            f"{len(evals)}. Run `harness eval` on two models.")
    labels = [eval_run_label(r) for r in evals.to_dict("records")]
    b0, c0 = _default_pair(evals)
    left, right = st.columns(2)
    b = left.selectbox("Baseline", range(len(evals)), index=b0, format_func=labels.__getitem__, key="cmp_baseline")
    c = right.selectbox("Candidate", range(len(evals)), index=c0, format_func=labels.__getitem__,
                        key="cmp_candidate")
    require(b != c, "Pick two different eval runs.")
    baseline, candidate = evals["run_id"][b], evals["run_id"][c]
    suites = q.run_suites(db.path, db.version, (baseline, candidate))
    with st.expander("Statistics settings"):
        s1, s2, s3, s4 = st.columns(4)
        regression = s1.multiselect("Regression suites (forgetting)", suites,
                                    default=_regression_default(evals["domain"][c] or evals["domain"][b], suites),
                                    key="cmp_regression")
        correction = s2.selectbox("Multiple-comparison correction", ["holm", "bh", "none"], key="cmp_correction")
        alpha = s3.selectbox("alpha", [0.05, 0.01, 0.1], key="cmp_alpha")
        n_boot = s4.selectbox("Bootstrap resamples", [2000, 4000, 10000], index=1, key="cmp_nboot")
    try:
        comp = q.comparison(db.path, db.version, baseline, candidate, regression_suites=tuple(regression),
                            correction=correction, alpha=alpha, n_boot=n_boot)
    except HarnessError as exc:
        st.warning(exc.one_line())
        st.stop()
    _show(db, comp)
