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
from dashboards.common import fmt, fmt_ci  # noqa: E402
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
        at.switch_page(f"pages/{page}.py").run()
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
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no dataframe with column {column!r}; shown: {[list(d.value.columns) for d in at.dataframe]}")


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
    assert set(frame_with(at, "kind")["run_id"]) == all_ids
    assert f"{len(all_ids)} of {len(all_ids)} runs" in texts(at)

    evals = {r["run_id"] for r in store(dashboard_db).query("SELECT run_id FROM runs WHERE kind = ?", ["eval"])}
    at.get_by_key("runs_kind").set_value(["eval"])
    at.run()
    assert set(frame_with(at, "kind")["run_id"]) == evals
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
        assert close(got["value"], want["value"]) and close(got["stderr"], want["stderr"])
        assert close(got["n"], want["n"])
        assert got["≈95% CI"] == fmt_ci(*normal_ci(want["value"], want["stderr"]), 4)
    # per-item rows of the run are one tab further
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


def test_compare_page_shows_the_paired_comparison(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.compare import compare_runs

    at = open_page(dashboard_db, "compare", monkeypatch)
    evals = q.eval_runs(str(dashboard_db), q.store_version(dashboard_db))
    baseline = evals["run_id"][at.get_by_key("cmp_baseline").value]
    candidate = evals["run_id"][at.get_by_key("cmp_candidate").value]
    regression = tuple(at.get_by_key("cmp_regression").value)
    comp = compare_runs(store(dashboard_db), baseline, candidate, regression_suites=regression, correction="holm",
                        alpha=0.05, n_boot=4000, max_flips=10)

    shown = frame_with(at, "verdict")
    assert list(shown["task"]) == [r.task for r in comp.rows]
    assert list(shown["verdict"]) == [r.verdict for r in comp.rows]
    assert list(shown["n"]) == [r.n for r in comp.rows]
    assert all(close(a, b) for a, b in zip(shown["delta"], [r.delta for r in comp.rows], strict=True))
    assert list(shown["Δ 95% CI"]) == [fmt_ci(r.ci_low, r.ci_high, signed=True) for r in comp.rows]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["improved"] == str(sum(r.verdict == "improved" for r in comp.rows))
    assert metrics["regressed"] == str(sum(r.verdict == "regressed" for r in comp.rows))
    for f in comp.forgetting:
        assert metrics[f"Kept (chance-corrected) · {f.suite}"] == fmt(f.ratio)
        assert f"95% CI {fmt_ci(f.ci_low, f.ci_high)} · n = {f.n} items" in texts(at)
    if not comp.forgetting:
        assert "No forgetting score" in texts(at)

    flipped = [fc for fc in comp.flip_counts if fc.right_to_wrong or fc.wrong_to_right]
    if flipped:
        fc = flipped[0]
        direction = "right_to_wrong" if fc.right_to_wrong else "wrong_to_right"
        at.get_by_key("flip_task").set_value(fc.task)
        at.get_by_key("flip_dir").set_value(direction)
        at.run()
        flips = [f for f in comp.flips if f.task == fc.task and f.direction == direction]
        code = [c.value for c in at.code]
        for f in flips:  # prompt, then both outputs side by side
            assert (f.prompt or "") in code
            assert (f.baseline_prediction or "—") in code and (f.candidate_prediction or "—") in code
        assert f"showing {len(flips)} of {getattr(fc, direction)} flipped items" in texts(at)


def test_training_page_marks_min_validation_step(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(dashboard_db, "training", monkeypatch)
    if not store(dashboard_db).query("SELECT 1 FROM train_logs LIMIT 1"):
        assert "No train run with a loss curve" in texts(at)
        return
    summary = frame_with(at, "min val step")
    assert len(summary) >= 1
    for rec in summary.to_dict("records"):
        rows = store(dashboard_db).query(
            "SELECT step, split, loss FROM train_logs WHERE run_id = ? AND loss IS NOT NULL", [rec["run"]])
        val = [r for r in rows if r["split"] == "validation"]
        report = overfitting_report([r for r in rows if r["split"] == "train"], val)
        if val:
            best = min(val, key=lambda r: (r["loss"], r["step"]))
            assert rec["min val step"] == best["step"] == report["min_val_step"]
            assert rec["min val loss"] == fmt(best["loss"], 4)
        assert rec["overfitting"] == ("YES" if report["overfitting"] else "no")
    assert len(at.get("vega_lite_chart")) == len(summary)


def test_regression_page_follows_the_domain_over_time(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(dashboard_db, "regression", monkeypatch)
    if not store(dashboard_db).query("SELECT 1 FROM runs WHERE domain IS NOT NULL LIMIT 1"):
        assert "No run in the store names a domain yet" in texts(at)
        return
    domain, task = at.get_by_key("reg_domain").value, at.get_by_key("reg_task").value
    choices = q.series_choices(str(dashboard_db), q.store_version(dashboard_db), domain)
    metric, filter_ = choices.loc[choices["task"] == task, ["metric", "filter"]].iloc[at.get_by_key("reg_metric").value]
    expected = store(dashboard_db).query(
        "SELECT r.run_id, e.value, e.n FROM runs r JOIN eval_results e ON e.run_id = r.run_id"
        f" WHERE {q.DOMAIN_EVALS} AND e.task = $task AND e.metric = $metric AND coalesce(e.filter, '') = $filter"
        " ORDER BY coalesce(r.finished_at, r.started_at), r.run_id",
        {"domain": domain, "task": task, "metric": metric, "filter": filter_})
    shown = frame_with(at, "gate id")
    assert list(shown["run"]) == [r["run_id"] for r in expected]
    assert all(close(a, r["value"]) for a, r in zip(shown["value"], expected, strict=True))
    assert all(close(a, r["n"]) for a, r in zip(shown["n"], expected, strict=True))
    gates = store(dashboard_db).query("SELECT candidate_run, passed FROM gates ORDER BY created_at")
    latest = {}
    for g in gates:
        for run in (g["candidate_run"] or "").split(","):
            latest[run] = g["passed"]
    for run, gate in zip(shown["run"], shown["gate"], strict=True):
        assert gate == {True: "passed", False: "FAILED", None: "—"}[latest.get(run)]


def test_gates_page_shows_history_rule_by_rule(dashboard_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gates = store(dashboard_db).query("SELECT gate_id, passed FROM gates ORDER BY created_at DESC, gate_id")
    if not gates:
        at = open_page(dashboard_db, "gates", monkeypatch)
        assert "No gate has been run yet" in texts(at)
        return
    at = open_page(dashboard_db, "gates", monkeypatch)
    table = frame_with(at, "rules failed")
    assert list(table["gate"]) == [g["gate_id"] for g in gates]
    assert list(table["result"]) == ["passed" if g["passed"] else "FAILED" for g in gates]
    newest = gates[0]["gate_id"]
    assert at.get_by_key("gates_pick").value == newest
    rules = store(dashboard_db).query("SELECT rule, passed, observed FROM gate_results WHERE gate_id = ?"
                                      " ORDER BY rule", [newest])
    shown = frame_with(at, "threshold").sort_values("rule")
    assert list(shown["rule"]) == [r["rule"] for r in rules]
    assert list(shown["result"]) == ["pass" if r["passed"] else "FAIL" for r in rules]
    assert all(close(a, r["observed"]) for a, r in zip(shown["observed"], rules, strict=True))
    failed = [r["rule"] for r in rules if not r["passed"]]
    assert len([e for e in at.error if any(f"**{name}**" in str(e.value) for name in failed)]) == len(failed)


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
    details = store(synthetic_db).query("SELECT rule, detail_json->>'detail' AS detail FROM gate_results"
                                        " WHERE gate_id = ? AND NOT passed", [failed])
    assert details
    for d in details:
        assert f"**{d['rule']}** — {d['detail']}" in [str(e.value) for e in at.error]


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
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(LAUNCH_APP) == str(APP)
    assert cmd[cmd.index("--server.port") + 1] == "8601" and cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[-3:] == ["--", "--db", str(db.resolve())]
    with pytest.raises(HarnessError, match="does not exist"):
        launch(db, None, True)


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
    assert frame_with(at, "overfitting")["validation points"].tolist() == [
        store(db).query("SELECT count(*) AS n FROM train_logs WHERE run_id = ? AND split = 'validation'",
                        [run_id])[0]["n"]]
