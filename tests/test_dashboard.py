"""Dashboard: every page renders with streamlit's AppTest against a store, and shows the store's numbers.

The store is `pipeline_store` (a real micro pipeline run, from conftest) in the full suite, else (the fast
tier, `-m "not slow"`) the synthetic store of tests/dashboard_fixture.py. Expected values are read from the
store (or recomputed with harness.compare), never hard-coded. Cases a real pipeline cannot produce on
demand (an overfitting curve, a failing gate, empty or missing stores) use the synthetic store directly."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `dashboards` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from dashboard_fixture import build_empty_store, build_synthetic_store, resolve_dashboard_db  # noqa: E402

from dashboards import queries as q  # noqa: E402
from dashboards.analysis import normal_ci, overfitting_report  # noqa: E402
from dashboards.common import fmt, fmt_ci, fmt_num  # noqa: E402
from harness.errors import HarnessError  # noqa: E402
from harness.store import Store  # noqa: E402

APP = ROOT / "dashboards" / "app.py"
PAGES = {"runs": "Runs", "compare": "Compare", "training": "Training", "regression": "Regression over time",
         "gates": "Gates"}


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synthetic_store(tmp_path_factory.mktemp("dash") / "synthetic.duckdb")


@pytest.fixture(scope="module")
def dashboard_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real pipeline's store when conftest provides one, else the synthetic store."""
    return resolve_dashboard_db(request, tmp_path_factory)


def open_page(db: Path, page: str, monkeypatch: pytest.MonkeyPatch, **widgets: object) -> AppTest:
    """Run the app on `db`, switch to `page`, set widgets by key (one rerun each), and check it rendered."""
    monkeypatch.setenv("HARNESS_DB", str(db))
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    if page != "runs":
        at.switch_page(f"views/{page}.py").run()
    for key, value in widgets.items():
        at.get_by_key(key).set_value(value)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [PAGES[page]]
    return at


def texts(at: AppTest) -> str:
    """Every piece of text the page shows (markdown, captions, alerts, code, metrics), one per line."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(parts)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The dataframe on the page that has `column`."""
    for df in [*at.table, *at.dataframe]:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column!r}; shown: {[list(d.value.columns) for d in at.dataframe]}")


def url(at: AppTest) -> dict[str, list[str]]:
    """The page's query parameters, every value as a list (repeated parameters stay lists)."""
    return {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in at.query_params.items()}


def store(db: Path) -> Store:
    return Store(db, read_only=True)


def close(a: object, b: object, tol: float = 1e-9) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and abs(float(a) - float(b)) <= tol  # type: ignore[arg-type]


# -- pages against the (pipeline or synthetic) store ----------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(dashboard_db: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(dashboard_db, page, monkeypatch)
    assert not [e for e in at.error if "cannot read the store" in str(e.value)]


def test_runs_table_lists_every_run_and_filters(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    all_ids = {r["run_id"] for r in store(dashboard_db).query("SELECT run_id FROM runs")}
    at = open_page(dashboard_db, "runs", monkeypatch)
    assert set(frame_with(at, "kind")["run"]) == all_ids
    assert f"{len(all_ids)} of {len(all_ids)} runs" in texts(at)

    evals = {r["run_id"] for r in store(dashboard_db).query("SELECT run_id FROM runs WHERE kind = ?", ["eval"])}
    at.get_by_key("runs_kind").set_value(["eval"])
    at.run()
    assert set(frame_with(at, "kind")["run"]) == evals
    assert f"{len(evals)} of {len(all_ids)} runs" in texts(at)


def test_runs_drilldown_shows_eval_results_with_stderr_and_n(dashboard_db: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = store(dashboard_db).query(
        "SELECT r.run_id FROM runs r WHERE kind = 'eval' AND status = 'completed' AND EXISTS"
        " (SELECT 1 FROM eval_samples s WHERE s.run_id = r.run_id) ORDER BY started_at DESC LIMIT 1")[0]["run_id"]
    expected = store(dashboard_db).query_df(
        "SELECT task, metric, value, stderr, n FROM eval_results WHERE run_id = ? ORDER BY suite, task, metric, filter",
        [run_id])
    at = open_page(dashboard_db, "runs", monkeypatch, runs_pick=run_id)
    assert f"Run `{run_id}`" in texts(at)
    shown = frame_with(at, "≈95% CI")
    assert list(shown["task"]) == list(expected["task"]) and list(shown["metric"]) == list(expected["metric"])
    for (_, got), (_, want) in zip(shown.iterrows(), expected.iterrows(), strict=True):
        assert got["value"] == fmt_num(want["value"]) and got["stderr"] == fmt_num(want["stderr"])
        assert close(got["n (items)"], want["n"])
        assert got["≈95% CI"] == fmt_ci(*normal_ci(want["value"], want["stderr"]), 4)
    # per-item rows of the run are one tab further; tabs are lazy: the grid is sent only once its tab is open
    assert not at.dataframe
    at.session_state["runs_tab_eval"] = "Samples"  # what a click on the tab does
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    task, metric, n = store(dashboard_db).query(
        "SELECT task, metric, count(*) AS n FROM eval_samples WHERE run_id = ? GROUP BY ALL ORDER BY task, metric"
        " LIMIT 1", [run_id])[0].values()
    items = frame_with(at, "prediction")
    assert len(items) == min(n, 200)
    assert f"{len(items)} of {n} items shown" in texts(at)


def test_runs_drilldown_shows_train_curve_min_val_step(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    row = store(dashboard_db).query(
        "SELECT run_id, arg_min(step, loss) AS step, min(loss) AS loss FROM train_logs"
        " WHERE split = 'validation' AND loss IS NOT NULL GROUP BY run_id ORDER BY run_id LIMIT 1")
    if not row:
        pytest.skip("the store has no validation loss")
    run_id = row[0]["run_id"]
    at = open_page(dashboard_db, "runs", monkeypatch, runs_pick=run_id)
    assert f"min validation loss {fmt(row[0]['loss'], 4)} at step {row[0]['step']}" in texts(at)
    assert at.get("vega_lite_chart"), "the train curve chart is missing"


def _sql_primary(db: Path, run_id: str) -> dict[str, tuple[str, float]]:
    """task -> (primary metric, stored aggregate) of one eval run, straight from the store: the metric its
    eval_tasks row declares (else its only metric)."""
    rows = store(db).query(
        "SELECT e.task, e.metric, e.value, t.primary_metric FROM eval_results e LEFT JOIN eval_tasks t"
        " ON t.run_id = e.run_id AND t.task = e.task WHERE e.run_id = ? AND (t.primary_metric IS NULL OR"
        " (e.metric = t.primary_metric AND coalesce(e.filter, 'none') = coalesce(t.primary_filter, e.filter, 'none')))",
        [run_id])
    return {r["task"]: (r["metric"], r["value"]) for r in rows}


def test_compare_page_shows_one_number_per_task(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Headline and table: one row per task (its primary metric), whose baseline/candidate values are the
    stored aggregates (SQL), the same number Runs and Regression show."""
    from harness.compare import compare_runs

    at = open_page(dashboard_db, "compare", monkeypatch)
    baseline, candidate = at.get_by_key("cmp_baseline").value, at.get_by_key("cmp_candidate").value
    assert baseline != candidate
    b_vals, c_vals = _sql_primary(dashboard_db, baseline), _sql_primary(dashboard_db, candidate)
    shared = sorted(set(b_vals) & set(c_vals))
    assert shared, "the default pair shares no task"
    shown = frame_with(at, "verdict")
    assert sorted(shown["task"]) == shared  # secondary metrics hidden: exactly one row per task
    assert "role" not in shown and "exploratory" not in set(shown["verdict"])
    for rec in shown.to_dict("records"):
        assert rec["metric"].split(" ")[0] == b_vals[rec["task"]][0]
        assert rec["baseline"] == fmt_num(b_vals[rec["task"]][1]), rec
        assert rec["candidate"] == fmt_num(c_vals[rec["task"]][1]), rec
    # headline counts are per task, on the verdicts of the compare/gate layer
    comp = compare_runs(store(dashboard_db), baseline, candidate, regression_suites=tuple(
        at.get_by_key("cmp_regression").value), correction="holm", alpha=0.05, n_boot=4000)
    primary = [r for r in comp.rows if r.primary]
    assert len(primary) == len(shared)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["improved"]) + int(metrics["regressed"]) + int(metrics["no significant change"]) + int(
        metrics["no data"]) == len(shared)
    assert metrics["regressed"] == str(sum(r.verdict == "regressed" for r in primary))
    for f in comp.forgetting:
        assert metrics[f"Kept (chance-corrected) · {f.suite}"] == fmt(f.ratio)
    # secondary metrics only on request, labelled exploratory
    at.get_by_key("cmp_secondary").set_value(True)
    at.run()
    shown = frame_with(at, "verdict")
    n_metrics = store(dashboard_db).query(
        "SELECT count(*) AS n FROM (SELECT DISTINCT b.task, b.metric, coalesce(b.filter, 'none') FROM eval_samples b"
        " JOIN eval_samples c ON c.task = b.task AND c.metric = b.metric AND c.doc_hash = b.doc_hash"
        " AND coalesce(c.filter, 'none') = coalesce(b.filter, 'none') WHERE b.run_id = ? AND c.run_id = ?)",
        [baseline, candidate])[0]["n"]
    assert len(shown) == n_metrics
    assert set(shown.loc[shown["role"] != "primary", "verdict"]) <= {"exploratory"}


def test_compare_selection_is_in_the_url(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Selections are written to the URL and a URL reopens them (the link a user copies)."""
    at = open_page(dashboard_db, "compare", monkeypatch)
    evals = [r["run_id"] for r in store(dashboard_db).query(
        "SELECT DISTINCT r.run_id, r.started_at FROM runs r JOIN eval_samples s ON s.run_id = r.run_id"
        " WHERE r.kind = 'eval' AND r.status = 'completed' ORDER BY r.started_at")]
    b, c = evals[-1], evals[0]  # not the default pair
    at.get_by_key("cmp_baseline").set_value(b)
    at.get_by_key("cmp_candidate").set_value(c)
    at.get_by_key("cmp_correction").set_value("bh")
    at.run()
    params = url(at)
    assert params["baseline"] == [b] and params["candidate"] == [c] and params["correction"] == ["bh"]
    # a fresh session opened on that URL shows the same selection
    monkeypatch.setenv("HARNESS_DB", str(dashboard_db))
    fresh = AppTest.from_file(str(APP), default_timeout=180)
    fresh.run()
    fresh.switch_page("views/compare.py")
    for k, v in params.items():
        fresh.query_params[k] = v
    fresh.run()
    assert not fresh.exception
    assert fresh.get_by_key("cmp_baseline").value == b and fresh.get_by_key("cmp_candidate").value == c
    assert fresh.get_by_key("cmp_correction").value == "bh"


def test_side_by_side_shows_generation_items_with_a_diff(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generation task (non-0/1 metric with outputs): every paired item, paged, with word diffs and scores."""
    at = open_page(dashboard_db, "compare", monkeypatch)
    baseline, candidate = at.get_by_key("cmp_baseline").value, at.get_by_key("cmp_candidate").value
    gen = store(dashboard_db).query(
        "SELECT b.task, b.metric, count(*) AS n, count(*) FILTER (WHERE b.prediction <> c.prediction) AS differ,"
        " max(abs(c.value - b.value)) AS top FROM eval_samples b JOIN eval_samples c ON c.task = b.task"
        " AND c.metric = b.metric AND c.doc_hash = b.doc_hash AND coalesce(c.filter, 'none') = coalesce(b.filter,"
        " 'none') LEFT JOIN eval_tasks t ON t.run_id = b.run_id AND t.task = b.task"
        " WHERE b.run_id = ? AND c.run_id = ? AND b.prediction IS NOT NULL GROUP BY b.task, b.metric"
        " HAVING any_value(json_extract_string(t.config_json, '$.output_type')) = 'generate_until'"
        " OR NOT bool_and(b.value IN (0, 1)) ORDER BY b.task, b.metric LIMIT 1", [baseline, candidate])
    assert gen, "the store has no generation task with outputs on both sides"
    task, metric, n, differ, top = gen[0].values()
    at.get_by_key("items_task").set_value(task)
    at.run()
    key = next(o for o in at.get_by_key("items_metric").options if o.split(" [")[0] == metric)
    at.get_by_key("items_metric").set_value(key)
    at.get_by_key("items_sort").set_value("change")
    at.run()
    assert not at.exception
    assert f"{n} of {n} paired items" in texts(at)
    html = [str(h.proto.body) for h in at.get("html")]
    assert len(html) == min(n, 10)  # one block per item on the first page: prompt, target, both outputs
    if differ:
        assert any("diff-ins" in h or "diff-del" in h for h in html)
    first = [m.value for m in at.markdown if str(m.value).startswith("**item ")][0]
    assert f"(Δ {fmt_num(top)})" in first or f"(Δ {fmt_num(-top)})" in first  # largest change first
    pages = -(-n // 10)
    if pages > 1:
        at.get_by_key("items_page").set_value(2)
        at.run()
        assert f"showing {11}–{min(n, 20)}" in texts(at)


def test_compare_export_and_cli_csv(synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv
    import io

    from typer.testing import CliRunner

    from harness.cli import app

    at = open_page(synthetic_db, "compare", monkeypatch)
    baseline, candidate = at.get_by_key("cmp_baseline").value, at.get_by_key("cmp_candidate").value
    assert {b.proto.label for b in at.get("download_button")} == {"Export JSON", "Export CSV"}
    res = CliRunner().invoke(app, ["compare", baseline, candidate, "--regression-suite", "world", "--csv",
                                   "--db", str(synthetic_db)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    tasks = store(synthetic_db).query("SELECT count(DISTINCT task) AS n FROM eval_results WHERE run_id = ?",
                                      [baseline])[0]["n"]
    assert len([r for r in rows if r["section"] == "task"]) == tasks
    want = _sql_primary(synthetic_db, baseline)
    for r in rows:
        if r["section"] == "task":
            assert float(r["baseline"]) == pytest.approx(want[r["task"]][1])
    assert any(r["section"] == "forgetting" for r in rows)


def test_training_page_marks_min_validation_step(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(dashboard_db, "training", monkeypatch)
    assert store(dashboard_db).query("SELECT 1 FROM train_logs LIMIT 1"), "the store has no train curve"
    summary = frame_with(at, "min val step")
    assert len(summary) >= 1
    for rec in summary.to_dict("records"):
        rows = store(dashboard_db).query(
            "SELECT step, split, loss FROM train_logs WHERE run_id = ? AND loss IS NOT NULL", [rec["run"]])
        val = [r for r in rows if r["split"] == "validation"]
        report = overfitting_report([r for r in rows if r["split"] == "train"], val)
        if val:
            best = min(val, key=lambda r: (r["loss"], r["step"]))
            assert rec["min val step"] == str(best["step"]) == str(report["min_val_step"])
            assert rec["min val loss"] == fmt(best["loss"], 4)
        assert rec["overfitting"] == ("YES" if report["overfitting"] else "no")
    assert len(at.get("vega_lite_chart")) > len(summary)  # the overlay, then one chart per run


def test_regression_page_follows_the_domain_over_time(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(dashboard_db, "regression", monkeypatch)
    assert store(dashboard_db).query("SELECT 1 FROM runs WHERE domain IS NOT NULL LIMIT 1"), "no domain runs"
    domain, task = at.get_by_key("reg_domain").value, at.get_by_key("reg_task").value
    metric = at.get_by_key("reg_metric").value.split(" (")[0]
    filter_ = at.get_by_key("reg_metric").value.split(" (")[1].rstrip(")") if " (" in at.get_by_key(
        "reg_metric").value else None
    expected = store(dashboard_db).query(
        "SELECT r.run_id, e.value, e.n FROM runs r JOIN eval_results e ON e.run_id = r.run_id"
        f" WHERE {q.DOMAIN_EVALS} AND e.task = $task AND e.metric = $metric"
        " AND ($filter IS NULL OR e.filter = $filter) ORDER BY coalesce(r.finished_at, r.started_at), r.run_id",
        {"domain": domain, "task": task, "metric": metric, "filter": filter_})
    assert expected
    shown = frame_with(at, "gate id")
    assert list(shown["run"]) == [r["run_id"] for r in expected]
    assert list(shown["value"]) == [fmt_num(r["value"]) for r in expected]
    assert all(close(a, r["n"]) for a, r in zip(shown["n"], expected, strict=True))
    gates = store(dashboard_db).query("SELECT candidate_run, passed FROM gates ORDER BY created_at")
    latest = {}
    for g in gates:
        for run in (g["candidate_run"] or "").split(","):
            latest[run] = g["passed"]
    for run, gate in zip(shown["run"], shown["gate"], strict=True):
        assert gate == {True: "passed", False: "FAILED", None: "—"}[latest.get(run)]
    assert url(at)["task"] == [task]


def test_gates_page_shows_history_rule_by_rule(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gates = store(dashboard_db).query("SELECT gate_id, passed, baseline_run, candidate_run FROM gates"
                                      " ORDER BY created_at DESC, gate_id")
    assert gates, "the store has no gate"
    at = open_page(dashboard_db, "gates", monkeypatch)
    table = frame_with(at, "rules failed")
    assert list(table["gate"]) == [g["gate_id"] for g in gates]
    newest = gates[0]["gate_id"]
    assert at.get_by_key("gates_pick").value == newest
    rules = store(dashboard_db).query(
        "SELECT rule, upper(coalesce(detail_json->>'outcome', CASE WHEN passed THEN 'pass' ELSE 'fail' END))"
        " AS outcome, threshold FROM gate_results WHERE gate_id = ? ORDER BY rule", [newest])
    shown = frame_with(at, "judged bound").sort_values("rule")
    assert list(shown["rule"]) == [r["rule"] for r in rules]
    assert list(shown["result"]) == [r["outcome"] for r in rules]
    assert list(shown["threshold"]) == [fmt_num(r["threshold"]) for r in rules]
    assert all(w for w in shown["what the rule judged"])
    status = "PASS" if gates[0]["passed"] else ("FAIL" if "FAIL" in {r["outcome"] for r in rules} else "INCONCLUSIVE")
    assert status in texts(at)
    failed = [r["rule"] for r in rules if r["outcome"] == "FAIL"]
    assert len([e for e in at.error if any(f"**{name}**" in str(e.value) for name in failed)]) == len(failed)
    # the link to the Compare view of this gate's pair
    links = [pl.proto for pl in at.get("page_link")]
    assert any(lk.page.endswith("compare") and f"baseline={gates[0]['baseline_run'].split(',')[0]}" in
               lk.query_string for lk in links), [(lk.page, lk.query_string) for lk in links]


# -- cases only the synthetic store has ------------------------------------------------------------------
def test_training_page_flags_overfitting(synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The synthetic dpo run of release 2 overfits: validation loss rises after step 20 while train falls."""
    run_id = store(synthetic_db).query("SELECT run_id FROM runs WHERE kind = 'train' AND stage = 'dpo'"
                                       " AND model_id LIKE '%-r2'")[0]["run_id"]
    at = open_page(synthetic_db, "training", monkeypatch, train_runs=[run_id])
    warning = " ".join(str(w.value) for w in at.warning)
    assert "Overfitting in dpo" in warning and "best checkpoint at step 20" in warning
    assert frame_with(at, "overfitting")["overfitting"].tolist() == ["YES"]


def test_gates_page_explains_a_failed_gate(synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failed = store(synthetic_db).query("SELECT gate_id FROM gates WHERE NOT passed")[0]["gate_id"]
    at = open_page(synthetic_db, "gates", monkeypatch, gates_pick=failed)
    details = store(synthetic_db).query("SELECT rule, detail_json->>'detail' AS detail, detail_json->>'outcome' AS o"
                                        " FROM gate_results WHERE gate_id = ? AND NOT passed", [failed])
    assert details
    for d in details:
        shown = at.error if d["o"] == "fail" else at.warning
        assert f"**{d['rule']}** — {d['detail']}" in [str(e.value) for e in shown]
    assert url(at)["gate"] == [failed]


def test_gate_rule_words_show_estimate_and_judged_bound() -> None:
    """A non-inferiority rule shows the point estimate and the unfavourable bound it judged, both
    improvement-signed (never the estimate beside a raw-delta CI of the opposite sign)."""
    from dashboards.gate_view import judged

    est, bound, words = judged("max_drop", -0.09, -0.2, {"delta": 0.04, "higher_is_better": False})
    assert est == pytest.approx(-0.04) and bound == pytest.approx(-0.09)
    assert "unfavourable (lower) bound -0.09" in words and "≥ -0.2" in words
    est, bound, words = judged("min_improvement", 5.529, 0.0, {
        "reading": "significance", "significant": True, "ci_low_improvement": 5.45, "ci_high_improvement": 5.62,
        "p_adjusted": 0.001, "alpha": 0.05})
    assert est == pytest.approx(5.529) and bound == pytest.approx(5.45)
    assert "[5.4500, 5.6200]" in words
    est, bound, words = judged("max_forgetting", 0.7, 0.6, {"ratio": 0.75})
    assert (est, bound) == (0.75, 0.7) and "lower bound 0.7000" in words


def test_regression_page_marks_passed_and_failed_gates(synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(synthetic_db, "regression", monkeypatch, reg_task="world_qa")
    assert sorted(g for g in frame_with(at, "gate id")["gate"] if g != "—") == ["FAILED", "passed"]
    assert "2 of them were a gate's candidate" in texts(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_empty_store_shows_messages_not_errors(tmp_path: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(build_empty_store(tmp_path / "empty.duckdb"), page, monkeypatch)
    assert at.info and not at.error


def test_missing_store_says_how_to_create_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path / "nope.duckdb", "runs", monkeypatch)
    assert "No store at" in at.info[0].value and "harness demo" in at.info[0].value


def test_db_flag_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboards.common import db_path

    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "env.duckdb"))
    monkeypatch.setattr(sys, "argv", ["app.py", "--db", str(tmp_path / "flag.duckdb")])
    assert db_path() == (tmp_path / "flag.duckdb").resolve()
    monkeypatch.setattr(sys, "argv", ["app.py"])
    assert db_path() == (tmp_path / "env.duckdb").resolve()


# -- plain functions -----------------------------------------------------------------------------------
def _rows(points: list[tuple[int, float]]) -> list[dict[str, float]]:
    return [{"step": s, "loss": v} for s, v in points]


def test_overfitting_flag_needs_val_rising_and_train_falling() -> None:
    train = _rows([(s, 3.0 - s / 50) for s in range(1, 101)])
    val = _rows([(0, 3.2), (20, 2.6), (40, 2.4), (60, 2.5), (80, 2.7), (100, 2.9)])
    rep = overfitting_report(train, val, k=3)
    assert rep["overfitting"] and rep["min_val_step"] == 40 and rep["window"] == (60, 100)
    assert rep["val_change"] == pytest.approx(0.4) and rep["train_change"] < 0

    rising_train = _rows([(s, 1.0 + s / 50) for s in range(1, 101)])
    assert not overfitting_report(rising_train, val, k=3)["overfitting"]  # both rise: not overfitting
    falling_val = _rows([(0, 3.2), (20, 2.6), (40, 2.4), (60, 2.3), (80, 2.2), (100, 2.1)])
    rep = overfitting_report(train, falling_val, k=3)
    assert not rep["overfitting"] and rep["min_val_step"] == 100
    # a rise before the last k evaluations that recovered does not flag
    recovered = _rows([(0, 3.0), (20, 2.0), (40, 2.5), (60, 2.2), (80, 2.1), (100, 2.0)])
    assert not overfitting_report(train, recovered, k=3)["overfitting"]


def test_overfitting_report_edge_cases() -> None:
    assert overfitting_report([], [])["reason"] == "no validation loss logged"
    few = overfitting_report(_rows([(1, 2.0)]), _rows([(0, 2.0), (10, 2.5)]), k=3)
    assert not few["overfitting"] and few["min_val_step"] == 0 and "needs 3" in few["reason"]
    tie = overfitting_report([], _rows([(0, 2.0), (10, 1.0), (20, 1.0)]), k=3)
    assert tie["min_val_step"] == 10  # the earliest of equal minima is the checkpoint to keep
    assert not tie["overfitting"]
    nan = overfitting_report([], [{"step": 0, "loss": float("nan")}, {"step": 5, "loss": None}])
    assert nan["n_val"] == 0
    with pytest.raises(ValueError):
        overfitting_report([], [], k=1)


def test_normal_ci() -> None:
    low, high = normal_ci(0.5, 0.1)
    assert low == pytest.approx(0.5 - 0.196, abs=1e-3) and high == pytest.approx(0.5 + 0.196, abs=1e-3)
    assert normal_ci(0.5, None) == (None, None) and normal_ci(None, 0.1) == (None, None)


def test_filters_are_bound_parameters(synthetic_db: Path) -> None:
    version = q.store_version(synthetic_db)
    hostile = "x'; DROP TABLE runs; --"
    assert q.runs(str(synthetic_db), version, model_like=hostile).empty
    assert q.runs(str(synthetic_db), version, domains=(hostile,)).empty
    assert store(synthetic_db).query("SELECT count(*) AS n FROM runs")[0]["n"] > 0
    evals = q.runs(str(synthetic_db), version, kinds=("eval",), statuses=("completed",))
    assert set(evals["kind"]) == {"eval"} and len(evals) == 6


def test_launch_command_and_errors(tmp_path: Path) -> None:
    from harness.dashboard import APP as LAUNCH_APP
    from harness.dashboard import launch, streamlit_command

    db = tmp_path / "s.duckdb"
    cmd = streamlit_command(db, port=8601, headless=True)
    assert cmd[1:4] == ["-m", "harness.dashboard_server", "run"] and cmd[4] == str(LAUNCH_APP) == str(APP)
    assert cmd[cmd.index("--server.port") + 1] == "8601" and cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[-3:] == ["--", "--db", str(db.resolve())]
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"  # this machine only, unless --address
    assert cmd[cmd.index("--client.toolbarMode") + 1] == "viewer"  # no deploy button
    wide = streamlit_command(db, address="0.0.0.0")
    assert wide[wide.index("--server.address") + 1] == "0.0.0.0"
    with pytest.raises(HarnessError, match="does not exist"):
        launch(db, None, True)


@pytest.mark.slow  # a streamlit server (no browser): ~15 s on 2 busy cores
def test_server_warms_every_page_before_the_first_visit(synthetic_db: Path, tmp_path: Path) -> None:
    """`harness dashboard`'s server runs every read-only page once as it starts (harness.dashboard_server), so a
    first visit finds imports and cached queries warm; each page's script must run there without an error."""
    import os
    import socket
    import subprocess
    import time

    from harness.dashboard import streamlit_command
    from harness.dashboard_server import READY_LINE, WARM_PAGES

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(streamlit_command(synthetic_db, port, headless=True,
                                                  options=["--server.fileWatcherType", "none"]),
                                stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "HARNESS_DB": str(synthetic_db)})
    try:
        deadline = time.monotonic() + 240
        while READY_LINE not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        line = next((x for x in log.read_text().splitlines() if READY_LINE in x), "")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "done in" in line and "(error)" not in line, log.read_text()
    assert all(f"{page or 'runs'} " in line for page in WARM_PAGES), line  # every page visited


def test_training_status_states() -> None:
    from dashboards.analysis import training_status

    falling = overfitting_report([], _rows([(0, 3.0), (10, 2.0), (20, 1.5)]), k=3)
    state, text = training_status(falling, 3)
    assert state == "undertrained" and "Undertrained?" in text and "step 20" in text
    few = overfitting_report([], _rows([(0, 3.0), (10, 2.0)]), k=3)
    state, text = training_status(few, 3)
    assert state == "few" and "Not enough validation points" in text and "undertrained" in text  # neutral + note
    assert training_status(overfitting_report([], []), 3)[0] == "none"
    ok = overfitting_report([], _rows([(0, 3.0), (10, 2.0), (20, 1.0), (30, 1.0), (40, 1.0)]), k=3)
    assert training_status(ok, 3)[0] == "ok"


def test_loss_kinds_keep_dpo_apart() -> None:
    from dashboards.analysis import LOSS_KINDS, loss_kind

    assert loss_kind("sft") == loss_kind("cpt") == "lm" and loss_kind("dpo") == "dpo"
    assert loss_kind(None, "dpo") == "dpo" and loss_kind("mystery") == "other"
    assert LOSS_KINDS["dpo"][0] != LOSS_KINDS["lm"][0] and "not a language-modelling loss" in LOSS_KINDS["dpo"][1]


def test_training_page_says_undertrained_and_captions_loss(synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The synthetic r1 cpt curve is lowest at its last evaluation: a note, not a green all-clear; every
    chart has its loss kind's caption."""
    run_id = store(synthetic_db).query("SELECT run_id FROM runs WHERE kind = 'train' AND stage = 'cpt'")[0]["run_id"]
    last = store(synthetic_db).query("SELECT max(step) AS s FROM train_logs WHERE run_id = ? AND split = 'validation'",
                                     [run_id])[0]["s"]
    at = open_page(synthetic_db, "training", monkeypatch, train_runs=[run_id])
    assert any("Undertrained?" in str(w.value) and f"step {last}" in str(w.value) for w in at.warning)
    assert not at.success
    assert "Language-modelling loss" in texts(at)
    assert frame_with(at, "state")["state"].tolist() == ["no (still falling: undertrained?)"]


def test_fmt_num_keeps_leading_digits() -> None:
    assert fmt_num(110.7428) == "110.74" and fmt_num(8.5113) == "8.5113" and fmt_num(0.1167) == "0.1167"
    assert fmt_num(0.04426) == "0.04426" and fmt_num(None) == "—" and fmt_num(float("nan")) == "—"
    assert fmt_num(-0.38) == "-0.3800" and fmt_num(12345.6) == "12,346"
    assert fmt_num(7_606_079_370_670_269.0) == "7.606e+15"  # a ratio over a near-zero baseline


def test_word_diff_marks_changed_words_and_escapes() -> None:
    from dashboards.common import word_diff_html

    old, new = word_diff_html("Sure, I can help <b>now</b>", "Sure, I will help <b>now</b>")
    assert "diff-del" in old and "can" in old
    assert "diff-ins" in new and "will" in new and "<b>" not in new and "&lt;b&gt;" in new
    same = word_diff_html("a b", "a b")
    assert "diff" not in same[0] + same[1]


def test_select_items_filters_and_sorts() -> None:
    from dashboards.analysis import select_items

    items = pd.DataFrame({"doc_id": [0, 1, 2, 3], "baseline": [1.0, 0.0, 0.5, 0.2],
                          "candidate": [0.0, 1.0, 0.5, 0.3]})
    assert select_items(items, True, "worse", "item")["doc_id"].tolist() == [0]
    assert select_items(items, True, "better", "item")["doc_id"].tolist() == [1, 3]
    assert select_items(items, False, "better", "item")["doc_id"].tolist() == [0]  # lower is better
    assert select_items(items, True, "unchanged", "item")["doc_id"].tolist() == [2]
    assert select_items(items, True, "all", "change")["doc_id"].tolist()[:2] == [0, 1]
    assert select_items(items, True, "all", "worst")["doc_id"].tolist()[0] == 0


def test_data_report_counts_replay_as_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dataset with replayed general-corpus rows: rows out > rows in, yet nothing shows a negative drop."""
    from dashboards.analysis import data_summary

    rep = {"kind": "text", "loaded": 400, "replayed_general": 140, "dropped_on_load": {"counts": {"bad_json": 2}},
           "steps": [{"step": "clean", "in": 398, "out": 329, "dropped": 69,
                      "dropped_by_reason": {"duplicate": 50, "too_short": 19}, "pii_counts_by_type": {"EMAIL": 7}}],
           "train": 422, "validation": 47}
    row = data_summary("transcripts", rep)
    assert row["dropped on load"] == 2 and row["dropped by cleaning"] == 69 and row["replay rows added"] == 140
    assert row["rows loaded"] - 2 - 69 + 140 == row["train"] + row["validation"]
    db = build_empty_store(tmp_path / "s.duckdb")
    s = Store(db)
    run = s.start_run("prep", domain="d", config={})
    s.add_data_report(dataset_hash="h", domain="d", dataset="transcripts", split=None, n_rows_in=400, n_rows_out=469,
                      report=rep, run_id=run)
    s.finish_run(run)
    at = open_page(db, "runs", monkeypatch, runs_pick=run)
    table = frame_with(at, "replay rows added")
    assert table["replay rows added"].tolist() == [140] and (table.select_dtypes("number") >= 0).all().all()
    assert not [j for j in at.json if "n_dropped" in str(j.value)]


def test_several_runs_in_one_table(synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Base and every stage of the domain side by side: each cell is the run's stored aggregate (SQL)."""
    at = open_page(synthetic_db, "compare", monkeypatch, cmp_many_on=True)
    chosen = at.get_by_key("cmp_many").value
    assert len(chosen) >= 3
    tables = [t.value for t in [*at.table, *at.dataframe]]
    table = next((t for t in tables if all(any(str(c).endswith(r[-6:]) for c in t.columns) for r in chosen)), None)
    assert table is not None, [list(t.columns) for t in tables]
    for run_id in chosen:
        col = next(c for c in table.columns if c.endswith(run_id[-6:]))
        rows = store(synthetic_db).query("SELECT task, value FROM eval_results WHERE run_id = ?", [run_id])
        want = {r["task"]: fmt_num(r["value"]) for r in rows}
        assert dict(zip(table["task"], table[col], strict=True)) == want
    assert url(at)["many"] == ["1"] and sorted(url(at)["runs"]) == sorted(chosen)


def test_training_page_shows_where_early_stopping_ended_a_run(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A run with an `early_stop` train_logs row (harness/recipes/callbacks.py) shows its step and reason; the
    row is not drawn as a curve point."""
    from harness.recipes.callbacks import EarlyStopOnValidationLoss

    db = build_synthetic_store(tmp_path / "early.duckdb")
    run_id = store(db).query("SELECT run_id FROM runs WHERE kind = 'train' AND stage = 'dpo' AND model_id LIKE '%-r2'")[
        0]["run_id"]
    stop = {"step": 40, "best_step": 20, "best_loss": 0.5, "patience": 2, "threshold": 0.0,
            "reason": "validation loss did not improve by more than 0 for 2 evaluation(s); best 0.5000 at step 20"}
    Store(db).add_train_logs([EarlyStopOnValidationLoss.log_row(run_id, stop)])
    at = open_page(db, "training", monkeypatch, train_runs=[run_id])
    info = " ".join(str(i.value) for i in at.info)
    assert "Early stopping ended dpo at step 40" in info and "best 0.5000 at step 20" in info
    assert frame_with(at, "early stop")["early stop"].tolist() == ["step 40"]
    assert frame_with(at, "overfitting")["validation points"].tolist() == [str(
        store(db).query("SELECT count(*) AS n FROM train_logs WHERE run_id = ? AND split = 'validation'",
                        [run_id])[0]["n"])]
