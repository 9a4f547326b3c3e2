"""Compare: a paired, item-level comparison of two evaluations (harness.compare), its export, items side by
side, and several runs (base and every stage) in one table. Every selection lives in the URL."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import queries as q
from dashboards import render
from dashboards.analysis import default_pair, headline, regression_default, select_items
from dashboards.common import (
    Db,
    eval_run_label,
    fmt,
    fmt_ci,
    fmt_num,
    fmt_p,
    from_url,
    guard,
    item_html,
    open_db,
    require,
    to_url,
    word_diff_html,
)
from harness.dashboard import comparison_csv
from harness.errors import HarnessError

PAGE_SIZE = 10
SHOW = {"all": "all items", "worse": "got worse", "better": "got better", "changed": "score changed",
        "unchanged": "unchanged"}
SORT = {"change": "largest change first", "worst": "worst first", "best": "best first", "item": "item order"}


def _task_table(rows: list[dict[str, Any]], confidence: float, secondary: bool) -> pd.DataFrame:
    """The key columns (fit 1280 px); each side's CI, the test and dropped items are in the details table."""
    ci = f"{confidence:.0%} CI"
    table = pd.DataFrame([{
        "task": r["task"], "metric": r["metric"] + ("" if r["higher_is_better"] else " ↓")
        + ("" if r.get("filter", "none") == "none" else f" [{r['filter']}]"),
        "role": "primary" if r["primary"] else "secondary",
        "verdict": r["verdict"] if r["primary"] else "exploratory",
        "baseline": fmt_num(r["baseline"]), "candidate": fmt_num(r["candidate"]), "delta": fmt_num(r["delta"]),
        f"Δ {ci}": fmt_ci(r["ci_low"], r["ci_high"], signed=True), "p adj": fmt_p(r["p_adjusted"]), "n": r["n"],
    } for r in rows])
    return table if secondary else table.drop(columns=["role"])


def _details_table(rows: list[dict[str, Any]], confidence: float) -> pd.DataFrame:
    ci = f"{confidence:.0%} CI"
    return pd.DataFrame([{
        "task": r["task"], "metric": r["metric"], "suite": r["suite"],
        f"baseline {ci}": fmt_ci(r["baseline_ci_low"], r["baseline_ci_high"]),
        f"candidate {ci}": fmt_ci(r["candidate_ci_low"], r["candidate_ci_high"]), "test": r["test"],
        "p (raw)": fmt_p(r["p_value"]), "unpaired b/c": f"{r['dropped_baseline']}/{r['dropped_candidate']}",
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
            col.warning("The whole interval is below 1: the candidate kept less than all of this suite's "
                        "above-chance skill (how much is allowed is the gate's max_forgetting margin).")


@st.fragment
def _side_by_side(db: Db, comp: dict[str, Any], url: dict[str, Any]) -> None:
    """A fragment: changing its task, filter, sort or page reruns only this section (fast)."""
    st.subheader("Items side by side")
    _items(db, comp, url)
    to_url(**url)


def _items(db: Db, comp: dict[str, Any], url: dict[str, Any]) -> None:
    tasks = list(dict.fromkeys(r["task"] for r in comp["rows"] if r["n"]))
    if not tasks:
        st.info("No task has items scored by both runs.")
        return
    b_runs, c_runs = comp["baseline"]["runs"], comp["candidate"]["runs"]
    if comp.get("flip_counts"):
        counts = pd.DataFrame(comp["flip_counts"]).rename(columns={"right_to_wrong": "right → wrong",
                                                                   "wrong_to_right": "wrong → right"})
        render.table(st, counts.astype("string").fillna("—"))  # HTML: every column visible at 1280 px
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    from_url("items_task", "task", tasks, tasks[0])
    task = c1.selectbox("Task", tasks, key="items_task")
    b_run, c_run = b_runs.get(task), c_runs.get(task)
    metrics = q.item_metrics(db.path, db.version, b_run, c_run, task) if b_run and c_run else pd.DataFrame()
    if metrics.empty:
        st.info(f"{task}: no per-item rows paired between the two runs.")
        return
    keys = [f"{m}" + ("" if f == "none" else f" [{f}]") for m, f in zip(metrics["metric"], metrics["filter"],
                                                                           strict=True)]
    primary = next((r for r in comp["rows"] if r["task"] == task and r["primary"]), None)
    default_key = (primary["metric"] + ("" if primary.get("filter", "none") == "none" else f" [{primary['filter']}]")
                   if primary else keys[0])
    from_url("items_metric", "metric", keys, default_key if default_key in keys else keys[0])
    key = c2.selectbox("Metric", keys, key="items_metric")
    metric, filt = metrics.iloc[keys.index(key)][["metric", "filter"]]
    from_url("items_show", "show", list(SHOW), "all")
    show = c3.selectbox("Show", list(SHOW), format_func=SHOW.get, key="items_show")
    from_url("items_sort", "sort", list(SORT), "change")
    sort = c4.selectbox("Sort", list(SORT), format_func=SORT.get, key="items_sort")
    row = next((r for r in comp["rows"] if r["task"] == task and r["metric"] == metric
                and r.get("filter", "none") == filt), None)
    hib = bool(row["higher_is_better"]) if row else True
    items = select_items(q.item_pairs(db.path, db.version, b_run, c_run, task, metric, filt), hib, show, sort)
    total = len(q.item_pairs(db.path, db.version, b_run, c_run, task, metric, filt))
    pages = max(1, -(-len(items) // PAGE_SIZE))
    from_url("items_page", "page", list(range(1, pages + 1)), 1, cast=int)
    if st.session_state.get("items_page", 1) > pages:
        st.session_state["items_page"] = 1
    page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="items_page")
    url.update(task=task, metric=key, show=show, sort=sort, page=page)
    direction = "higher is better" if hib else "lower is better"
    st.caption(f"{len(items)} of {total} paired items ({SHOW[show]}; {metric}, {direction}) · showing "
               f"{min(len(items), (page - 1) * PAGE_SIZE + 1)}–{min(len(items), page * PAGE_SIZE)} · baseline run "
               f"`{b_run}`, candidate run `{c_run}` · words removed by the candidate are struck in red, words it "
               "added are green.")
    if items.empty:
        st.info("No item matches this filter.")
        return
    for rec in items.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE].to_dict("records"):
        with st.container(border=True):
            st.markdown(f"**item {rec['doc_id']}** · `{str(rec['doc_hash'])[:12]}` · {metric}: baseline "
                        f"**{fmt_num(rec['baseline'])}** → candidate **{fmt_num(rec['candidate'])}** "
                        f"(Δ {fmt_num(rec['change'])})")
            old, new = word_diff_html(rec["baseline_prediction"], rec["candidate_prediction"])
            st.html(item_html(rec["prompt"], rec["target"], old, new))  # one element: st.code per prompt was
            # most of the browser's time on this page (its syntax highlighter), columns and labels the rest


def _many_runs(db: Db, evals: pd.DataFrame, labels: dict[str, str], pair: tuple[str, str],
               url: dict[str, Any]) -> None:
    st.subheader("Several runs at once")
    from_url("cmp_many_on", "many", [True, False], False, cast=lambda v: v in ("1", "true", "True"))
    if not st.toggle("Show base and every stage (or several releases) in one table and chart", key="cmp_many_on"):
        return
    url["many"] = "1"
    ids = evals["run_id"].tolist()
    domain = evals.loc[evals["run_id"] == pair[1], "domain"].iloc[0]
    same = [r for r, d in zip(ids, evals["domain"], strict=True) if d == domain] if domain else list(pair)
    default = list(dict.fromkeys([pair[0], *reversed(same)]))[:8]
    from_url("cmp_many", "runs", ids, default, many=True)
    chosen = st.multiselect("Runs (default: the baseline and every eval of the candidate's domain, oldest first)",
                            ids, format_func=labels.get, key="cmp_many")
    url["runs"] = chosen
    if not chosen:
        st.info("Pick runs to put side by side.")
        return
    table = q.primary_values(db.path, db.version, tuple(chosen))
    if table.empty:
        st.info("These runs stored no aggregate results.")
        return
    names = {r: f"{labels[r].split(' · ')[0]} · {r[-6:]}" for r in chosen}
    table["run"] = table["run_id"].map(names)
    wide = table.pivot_table(index=["task", "metric"], columns="run", values="value", aggfunc="first", sort=False)
    wide = wide[[names[r] for r in chosen if names[r] in wide.columns]]
    shown = wide.apply(lambda col: col.map(fmt_num)).reset_index()
    render.table(st, shown.fillna("—"))
    st.caption("Each run's stored aggregate of every task's primary metric (declared in the task's YAML), "
               "the same number Runs and Regression show; differences between two of them are tested above.")
    render.chart(st, "many_runs_chart", table, [names[r] for r in chosen], key="many_runs_chart")


@st.fragment
def _per_task(comp: dict[str, Any], url: dict[str, Any]) -> None:
    """A fragment: the secondary-metrics toggle reruns only this section (its tables and chart), not the
    comparison, the items side by side and the rest of the page."""
    conf = comp["confidence"]
    st.subheader("Per task")
    secondary = st.toggle("Show secondary metrics (exploratory: raw p, no verdict)", key="cmp_secondary")
    url["secondary"] = "1" if secondary else None  # the same dict the page and the items fragment write
    rows = [r for r in comp["rows"] if r["primary"] or secondary]
    render.table(st, _task_table(rows, conf, secondary))  # HTML: every column visible, never cut
    details = st.expander("Details: each side's CI, test, raw p, unpaired items", key="cmp_details",
                          on_change="rerun")  # lazy: its table is built and sent only while it is open
    if details.open is not False:
        with details:
            render.table(st, _details_table(rows, conf))
    chart_rows = pd.DataFrame([{**r, "verdict": r["verdict"] if r["primary"] else "exploratory"}
                               for r in rows if r["delta"] is not None])
    if not chart_rows.empty:
        render.chart(st, "delta_chart", chart_rows, conf, key="delta_chart")
    if _in_fragment_rerun():
        to_url(**url)


def _in_fragment_rerun() -> bool:
    """True while only a fragment reruns (the full run writes the URL once at its end)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


def _show(db: Db, comp: dict[str, Any], url: dict[str, Any]) -> None:
    conf = comp["confidence"]
    counts = headline(comp["rows"])
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("improved", counts["improved"])
    c2.metric("regressed", counts["regressed"])
    c3.metric("no significant change", counts["no significant change"])
    c4.metric("no data", counts["no data"])
    st.caption(f"One verdict per task, on its primary metric (declared in the task's YAML); paired on items both "
               f"runs scored; {conf:.0%} bootstrap CIs (B={comp['n_boot']}); McNemar for 0/1 metrics, paired "
               f"permutation otherwise; p-values {comp['correction']}-corrected over a family of "
               f"{len(comp['family'])} primary metrics; verdict only when p adj < {comp['alpha']}. Secondary "
               "metrics are exploratory (raw p, no verdict) and hidden unless asked for.")
    if comp.get("config_drift"):
        st.error("CONFIG DRIFT ALLOWED: " + "; ".join(f"{d['task']} ({', '.join(d['fields'])})"
                                                    for d in comp["config_drift"]))
    _per_task(comp, url)

    if comp["suites"]:
        st.subheader("Per suite (macro mean of primary, higher-is-better metrics)")
        render.table(st, pd.DataFrame([{
            "suite": s["suite"], "verdict": s["verdict"], "baseline": fmt_num(s["baseline"]),
            "candidate": fmt_num(s["candidate"]), "delta": fmt_num(s["delta"]),
            f"Δ {conf:.0%} CI": fmt_ci(s["ci_low"], s["ci_high"], signed=True), "p adj": fmt_p(s["p_adjusted"]),
            "n": s["n"], "tasks": ", ".join(s["tasks"]), "excluded": ", ".join(s["excluded_tasks"]) or "—"}
            for s in comp["suites"]]))
    _forgetting(comp)
    for note in comp["notes"]:
        st.caption(f"note: {note}")


st.title("Compare")
db = open_db()
with guard():
    evals = q.eval_runs(db.path, db.version)
    require(len(evals) >= 2, "Comparing needs two completed eval runs with per-item rows; the store has "
            f"{len(evals)}. Run `harness eval` on two models.")
    ids = evals["run_id"].tolist()
    labels = {r["run_id"]: eval_run_label(r) for r in evals.to_dict("records")}
    b0, c0 = default_pair(evals)
    from_url("cmp_baseline", "baseline", ids, b0)
    from_url("cmp_candidate", "candidate", ids, c0)
    left, right = st.columns(2)
    baseline = left.selectbox("Baseline", ids, format_func=labels.get, key="cmp_baseline")
    candidate = right.selectbox("Candidate", ids, format_func=labels.get, key="cmp_candidate")
    require(baseline != candidate, "Pick two different eval runs.")
    suites = q.run_suites(db.path, db.version, (baseline, candidate))
    dom = evals.set_index("run_id")["domain"]
    from_url("cmp_regression", "regression", suites, regression_default(dom[candidate] or dom[baseline], suites),
             many=True)
    from_url("cmp_correction", "correction", ["holm", "bh", "none"], "holm")
    from_url("cmp_alpha", "alpha", [0.05, 0.01, 0.1], 0.05, cast=float)
    from_url("cmp_nboot", "n_boot", [2000, 4000, 10000], 4000, cast=int)
    from_url("cmp_secondary", "secondary", [True, False], False, cast=lambda v: v in ("1", "true", "True"))
    with st.expander("Statistics settings"):
        s1, s2, s3, s4 = st.columns(4)
        regression = s1.multiselect("Regression suites (forgetting)", suites, key="cmp_regression")
        correction = s2.selectbox("Multiple-comparison correction", ["holm", "bh", "none"], key="cmp_correction")
        alpha = s3.selectbox("alpha", [0.05, 0.01, 0.1], key="cmp_alpha")
        n_boot = s4.selectbox("Bootstrap resamples", [2000, 4000, 10000], key="cmp_nboot")
    url: dict[str, Any] = dict(baseline=baseline, candidate=candidate, regression=regression, correction=correction,
                               alpha=alpha, n_boot=n_boot, secondary="1" if st.session_state.get("cmp_secondary")
                               else None)
    try:
        comp = q.comparison(db.path, db.version, baseline, candidate, regression_suites=tuple(regression),
                            correction=correction, alpha=alpha, n_boot=n_boot)
    except HarnessError as exc:
        to_url(**url)
        st.warning(exc.one_line())
        st.stop()
    _show(db, comp, url)
    e1, e2, _ = st.columns([1, 1, 4])
    stem = f"compare_{baseline}_vs_{candidate}"
    e1.download_button("Export JSON", json.dumps(comp, indent=2), file_name=f"{stem}.json",
                       mime="application/json", key="export_json")
    e2.download_button("Export CSV", comparison_csv(comp), file_name=f"{stem}.csv", mime="text/csv",
                       key="export_csv")
    st.caption("The export holds the whole comparison (every metric, suite and forgetting score, primary and "
               "secondary); the same as `harness compare BASELINE CANDIDATE --json` / `--csv`.")
    _side_by_side(db, comp, url)
    _many_runs(db, evals, labels, (baseline, candidate), url)
    to_url(**url)
