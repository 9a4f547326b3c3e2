"""The Sweeps page, the release history on the regression page and the judge runs on the labelling page
(AppTest, no training): rows written through the same writers the loops use; importance comes from
optuna.importance over them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dashboard_fixture import build_synthetic_store
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import optuna

    from harness.store import Store
    from harness.store.feedback import add_judge_run, add_release, add_sweep_trial

    path = build_synthetic_store(tmp_path_factory.mktemp("pages") / "store.duckdb")
    store = Store(path)
    dists = {"learning_rate": optuna.distributions.distribution_to_json(
        optuna.distributions.CategoricalDistribution([1e-4, 1e-3, 3e-3])),
        "lora.r": optuna.distributions.distribution_to_json(optuna.distributions.CategoricalDistribution([8, 64]))}
    # the objective follows the learning rate only: importance must say so
    for i, (lr, r) in enumerate([(1e-4, 8), (1e-3, 8), (3e-3, 8), (1e-4, 64), (1e-3, 64), (3e-3, 64)]):
        add_sweep_trial(store, {"sweep": "s1", "trial": i, "domain": "support_chat", "stage": "sft",
                                "state": "complete", "params_json": {"learning_rate": lr, "lora.r": r},
                                "objective": {1e-4: 3.0, 1e-3: 2.5, 3e-3: 2.0}[lr] + (0.001 if r == 64 else 0),
                                "objective_name": "validation_loss", "direction": "minimize", "n": 40,
                                "detail_json": {"distributions": dists}})
    add_sweep_trial(store, {"sweep": "s1", "trial": 6, "domain": "support_chat", "stage": "sft", "state": "pruned",
                            "params_json": {"learning_rate": 1e-4, "lora.r": 8}, "objective_name": "validation_loss",
                            "direction": "minimize", "detail_json": {"step": 4, "distributions": dists}})
    gates = [r["gate_id"] for r in store.query("SELECT gate_id FROM gates ORDER BY created_at")]
    add_release(store, {"domain": "support_chat", "version": 1, "released": True, "model_id": "m1", "model_ref": "x",
                        "gate_vs_base": gates[0], "outcome": "PASS", "data_path": "/d/batch1.jsonl", "replay": 0.0})
    add_release(store, {"domain": "support_chat", "version": None, "released": False, "model_id": "m2",
                        "model_ref": "y", "gate_vs_last": gates[-1], "gate_vs_base": gates[0], "outcome": "FAIL",
                        "data_path": "/d/batch2.jsonl", "replay": 0.3})
    label_run = store.start_run("label", config={"judge": "judge-x"}, model_id="judge-model-1")
    pairs = [{"pair_index": i, "source_record": i, "prompt": f"p{i}", "reply_x": "good", "reply_y": "bad",
              "p_order_1": p1, "p_order_2": p2, "p_x": (p1 + 1 - p2) / 2, "confidence": max((p1 + 1 - p2) / 2,
              1 - (p1 + 1 - p2) / 2), "winner": w, "existing_label": "x", "label_agrees": w == "x" if w != "tie"
              else None} for i, (p1, p2, w) in enumerate([(0.9, 0.2, "x"), (0.8, 0.6, "tie"), (0.7, 0.1, "x")])]
    add_judge_run(store, label_run, {"judge_model_id": "judge-model-1", "judge_ref": "judge-x", "out_path": "j.jsonl",
                                     "n_pairs": 3, "n_written": 2, "n_ties": 1, "n_labelled": 3,
                                     "position_bias": 0.05, "kappa": 0.5, "kappa_ci_low": 0.1, "kappa_ci_high": 0.9,
                                     "kappa_n": 2, "agreement": 1.0}, pairs)
    return path


def _open(db: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("HARNESS_DB", str(db))
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_sweeps_page_shows_trials_and_importance(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.loops.sweep_importance import importances
    from harness.store import Store

    imp = importances(Store(db, read_only=True).query("SELECT * FROM sweep_trials WHERE sweep = 's1'"))
    assert imp["learning_rate"] > 0.9 > imp["lora.r"]  # seeded fANOVA: the objective follows the lr only
    at = _open(db, "sweeps", monkeypatch)
    assert [t.value for t in at.title] == ["Sweeps"]
    text = " ".join(c.value for c in at.caption)
    assert "7 trials: 6 complete, 1 pruned, 0 failed" in text and "best: trial 2" in text
    assert at.subheader[0].value == "Parameter importance"


def test_regression_page_lists_every_release_with_gate_outcomes(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(db, "regression", monkeypatch)
    assert "Releases" in [s.value for s in at.subheader]
    table = at.table[-1].value
    assert list(table["version"]) == ["v1", "rejected"] and list(table["outcome"]) == ["PASS", "FAIL"]


def test_a_trial_cut_off_mid_run_is_asked_again(tmp_path: Path) -> None:
    """A killed sweep leaves a RUNNING trial in its study: resuming fails it and asks the same parameters."""
    import optuna

    from harness.loops.sweep import _requeue_interrupted

    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", study_name="s")
    cut = study.ask()
    x = cut.suggest_float("x", 0, 1)
    assert _requeue_interrupted(study) == 1
    assert [t.state.name for t in study.trials] == ["FAIL", "WAITING"]
    assert study.ask().suggest_float("x", 0, 1) == x


def test_labelling_page_lists_judge_runs_with_kappa_and_pairs(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.store import Store

    store = Store(db, read_only=True)
    (run,) = store.query("SELECT status, model_id FROM runs WHERE kind = 'label'")
    assert run == {"status": "completed", "model_id": "judge-model-1"}  # flipped with its rows, one transaction
    at = _open(db, "labelling", monkeypatch)
    assert [e.label for e in at.expander][:1] == ["AI judge runs (`harness label --judge`): 1"]
    table = at.table[0].value
    assert list(table["ties kept out"]) == [1] and list(table["kappa vs labels [95% CI] (n)"]) == [
        "0.50 [0.10, 0.90] (n=2)"]
    assert list(at.dataframe[0].value["winner"]) == ["x", "tie", "x"]
