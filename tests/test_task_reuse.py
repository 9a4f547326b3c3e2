"""Task-level eval reuse (harness/evaluation/runner.py): each requested task a completed run of the same model,
limit, dtype and backend holds with the same config, suite-code and suite-data hash is copied from that run; lm-eval
evaluates only the rest, and the new run stores every requested task, with each copied task's origin in its config
(`reused_tasks`).

Real evaluations of (a copy of) the micro model on a copy of the general suite (HARNESS_SUITES_DIR) whose
arithmetic task is made a chat task, `--limit 4`: first two of its tasks (arithmetic and the perplexity task), then
the whole suite, which must evaluate only the other three; a fresh `--no-reuse` evaluation of the whole suite is the
reference every value is checked against. The engine is the real hf backend, wrapped to record which task names
lm-eval was handed.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.evaluation.backends import EvalBackend
from harness.evaluation.runner import split_requests

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 4
ARITH, DATES, FACTS, PPL, UNITS = ("general_arithmetic", "general_dates", "general_facts", "general_ppl",
                                    "general_units")
ALL = {ARITH, DATES, FACTS, PPL, UNITS}
RESULT_COLS = "task, metric, filter, value, stderr, n, higher_is_better, suite, model_id"
SAMPLE_COLS = "task, doc_id, doc_hash, metric, value, prediction, target, prompt, filter, prompt_hash, weight"
TASK_COLS = ("task, suite, config_hash, code_hash, config_json, primary_metric, primary_filter, higher_is_better,"
             " chance, n_docs")


@dataclass(frozen=True)
class RecordingBackend(EvalBackend):
    """The hf engine, unchanged (same identity, so the same reuse key), noting the task names of each call."""

    calls: list[list[str]] = field(default_factory=list, compare=False)

    def evaluate(self, model: Any, device: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(list(kwargs["tasks"]))
        return super().evaluate(model, device, **kwargs)

    def evaluated(self) -> set[str]:
        return {name for call in self.calls for name in call}


@pytest.fixture(scope="module")
def setup(micro_model: Path, tmp_path_factory: pytest.TempPathFactory):
    from harness.evaluation.runner import run_eval
    from harness.models.refs import resolve_model
    from harness.store import Store

    tmp = tmp_path_factory.mktemp("task-reuse")
    suites = tmp / "suites"
    shutil.copytree(ROOT / "suites", suites, ignore=shutil.ignore_patterns("__pycache__"))
    yaml_file = suites / "general" / f"{ARITH}.yaml"  # its config hash then follows the model's chat template
    yaml_file.write_text(yaml_file.read_text().replace("prompt_format: plain", "prompt_format: chat"))
    model = tmp / "model"  # a copy keeping harness_model.json: its id stays the build's when its template is edited
    shutil.copytree(micro_model, model)
    previous = os.environ.get("HARNESS_SUITES_DIR")
    os.environ["HARNESS_SUITES_DIR"] = str(suites)
    store = Store(tmp / "store.duckdb")
    ref = resolve_model(str(model), store=store)
    first_engine, second_engine = RecordingBackend(), RecordingBackend()
    first = run_eval(store, ref, [ARITH, PPL], limit=LIMIT, backend=first_engine)
    second = run_eval(store, ref, ["general"], limit=LIMIT, backend=second_engine)
    fresh = run_eval(store, ref, ["general"], limit=LIMIT, reuse=False)
    yield {"store": store, "ref": ref, "suites": suites, "model": model, "first": first, "second": second,
           "fresh": fresh, "first_calls": first_engine.calls, "second_calls": second_engine.calls}
    if previous is None:
        os.environ.pop("HARNESS_SUITES_DIR", None)
    else:
        os.environ["HARNESS_SUITES_DIR"] = previous


def rows(store, table: str, cols: str, run_id: str, tasks: set[str]) -> list[tuple]:
    order = {"eval_samples": "task, metric, filter, doc_hash", "eval_tasks": "task"}.get(table, "task, metric, filter")
    return [tuple(r.values()) for r in store.query(
        f"SELECT {cols} FROM {table} WHERE run_id = ? AND list_contains(?, task) ORDER BY {order}",
        [run_id, sorted(tasks)])]


def config(store, run_id: str) -> dict[str, Any]:
    return json.loads(store.run(run_id)["config_json"])


def test_adding_tasks_evaluates_only_those(setup):
    """The whole suite after two of its tasks: lm-eval gets the other three by name (the group is split), the new
    run stores all five and says where the two came from."""
    store, first, second = setup["store"], setup["first"], setup["second"]
    assert {name for call in setup["first_calls"] for name in call} == {ARITH, PPL}
    assert {name for call in setup["second_calls"] for name in call} == {DATES, FACTS, UNITS}
    assert second.run_id != first.run_id and not second.reused
    assert second.reused_tasks == {ARITH: first.run_id, PPL: first.run_id}
    assert config(store, second.run_id)["reused_tasks"] == {ARITH: first.run_id, PPL: first.run_id}
    assert all("reused_tasks" not in config(store, s.run_id) for s in (first, setup["fresh"]))
    stored = {r["task"] for r in store.query("SELECT task FROM eval_tasks WHERE run_id = ?", [second.run_id])}
    assert stored == ALL == {r["task"] for r in second.rows}
    assert {r["task"] for r in store.query("SELECT DISTINCT task FROM eval_samples WHERE run_id = ?",
                                           [second.run_id])} == ALL
    assert store.run(second.run_id)["status"] == "completed"


def test_reused_tasks_are_the_source_runs_rows(setup):
    """Values, stderr, n, per-item rows and task identities of the copied tasks are the source run's, row for row."""
    store, first, second = setup["store"], setup["first"], setup["second"]
    for table, cols in (("eval_results", RESULT_COLS), ("eval_samples", SAMPLE_COLS), ("eval_tasks", TASK_COLS)):
        source = rows(store, table, cols, first.run_id, {ARITH, PPL})
        assert source and rows(store, table, cols, second.run_id, {ARITH, PPL}) == source, table
    ppl = [r for r in second.rows if r["task"] == PPL]
    assert ppl and all(r["stderr"] is not None and r["n"] == LIMIT for r in ppl)  # the filled-in stderr came too
    stats = "task, metric, filter, n, n_values, total, task_docs"
    assert rows(store, "eval_sample_stats", stats, second.run_id, {ARITH, PPL}) == rows(
        store, "eval_sample_stats", stats, first.run_id, {ARITH, PPL})
    lo, hi = store.sample_rows_range(second.run_id)  # the run's rows, copied ones included, lie together
    total = store.query("SELECT count(*) AS n FROM eval_samples WHERE run_id = ?", [second.run_id])[0]["n"]
    assert hi - lo + 1 == total


def test_values_equal_a_fresh_full_evaluation(setup):
    """Each task of the composed run, evaluated here or copied, has the values of a fresh evaluation of the whole
    suite; compare pairs the two runs item by item with no difference."""
    from harness.compare.report import compare_runs

    store, second, fresh = setup["store"], setup["second"], setup["fresh"]
    cols = "task, metric, filter, value, stderr, n, higher_is_better, suite"
    assert rows(store, "eval_results", cols, second.run_id, ALL) == rows(store, "eval_results", cols, fresh.run_id,
                                                                         ALL)
    cols = "task, doc_hash, metric, value, prediction, target, filter, weight"
    assert rows(store, "eval_samples", cols, second.run_id, ALL) == rows(store, "eval_samples", cols, fresh.run_id,
                                                                         ALL)
    comp = compare_runs(store, fresh.run_id, second.run_id, regression_suites=())
    primaries = [r for r in comp.rows if r.primary]
    assert {r.task for r in primaries} == ALL
    assert all(r.n == LIMIT and r.delta == 0 and r.verdict != "improved" and r.verdict != "regressed"
               for r in primaries)


def test_whole_run_reuse_is_unchanged(setup):
    """A request holding exactly a stored run's tasks gets that run back: no new run, no lm-eval call."""
    from harness.evaluation.runner import run_eval

    engine = RecordingBackend()
    again = run_eval(setup["store"], setup["ref"], ["general"], limit=LIMIT, backend=engine)
    assert again.reused and again.run_id == setup["fresh"].run_id and engine.calls == []


def test_tasks_from_several_runs_need_no_lm_eval(setup):
    """No stored run holds exactly these tasks, but each is stored: a new run of copies, lm-eval never called."""
    from harness.evaluation.runner import run_eval

    store, engine = setup["store"], RecordingBackend()
    composed = run_eval(store, setup["ref"], [UNITS, ARITH], limit=LIMIT, backend=engine)
    assert engine.calls == [] and not composed.reused and composed.n_samples == 0
    # the newest run holding each task is the fresh one; the origin is the run lm-eval evaluated it in
    assert composed.reused_tasks == {UNITS: setup["fresh"].run_id, ARITH: setup["fresh"].run_id}
    assert rows(store, "eval_results", RESULT_COLS, composed.run_id, {UNITS, ARITH}) == rows(
        store, "eval_results", RESULT_COLS, setup["fresh"].run_id, {UNITS, ARITH})


def test_changed_task_config_is_not_reused(setup):
    """Another chat template changes the chat task's config hash only (its prompt format): that task alone is
    evaluated again, the four plain ones are copied. The model id is unchanged, so only the task key decided."""
    from harness.evaluation.prompt_format import chat_template_of
    from harness.evaluation.runner import run_eval
    from harness.models.refs import resolve_model

    model = setup["model"]
    target = model / "chat_template.jinja"
    target = target if target.exists() else model / "tokenizer_config.json"
    text = target.read_text(encoding="utf-8")
    anchor = "<|assistant|>" if "<|assistant|>" in text else "assistant"
    target.write_text(text.replace(anchor, anchor.replace("assistant", "agent"), 1), encoding="utf-8")
    chat_template_of.cache_clear()
    try:
        ref = resolve_model(str(model), store=setup["store"])
        assert ref.model_id == setup["ref"].model_id
        engine = RecordingBackend()
        changed = run_eval(setup["store"], ref, ["general"], limit=LIMIT, backend=engine)
    finally:
        target.write_text(text, encoding="utf-8")
        chat_template_of.cache_clear()
    assert engine.evaluated() == {ARITH}
    assert set(changed.reused_tasks) == ALL - {ARITH}
    hashes = {r["run_id"]: r["config_hash"] for r in setup["store"].query(
        "SELECT run_id, config_hash FROM eval_tasks WHERE task = ?", [ARITH])}
    assert hashes[changed.run_id] != hashes[setup["first"].run_id] == hashes[setup["fresh"].run_id]


def test_edited_suite_file_re_evaluates_its_folder(setup):
    """The suite-code hash is the suite folder's: an edited YAML (here the perplexity task's) re-evaluates every
    task of that folder, as the whole-run key always did; nothing stale is copied."""
    from harness.evaluation.runner import run_eval

    yaml_file = setup["suites"] / "general" / f"{PPL}.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    yaml_file.write_text(text + "\n# an edit\n", encoding="utf-8")
    try:
        engine = RecordingBackend()
        edited = run_eval(setup["store"], setup["ref"], [DATES, PPL], limit=LIMIT, backend=engine)
    finally:
        yaml_file.write_text(text, encoding="utf-8")
    assert engine.evaluated() == {DATES, PPL} and edited.reused_tasks == {}


MEMBERS = {"general": [ARITH, DATES, UNITS, FACTS, PPL], "support": ["s_a", "s_b"]}


@pytest.mark.parametrize(("requested", "reused", "expected"), [
    (["support", "general"], set(), ["support", "general"]),  # nothing reused: the request as it was
    (["support", "general"], {ARITH, PPL}, ["support", DATES, UNITS, FACTS]),  # a partly reused group is split
    (["support", "general"], ALL, ["support"]),  # a wholly reused group is left out
    (["general", ARITH], {ARITH}, [DATES, UNITS, FACTS, PPL]),  # a task named twice is left out both times
    (["support", "general"], ALL | {"s_a", "s_b"}, []),
])
def test_split_requests(requested, reused, expected):
    tasks = {t for name in requested for t in MEMBERS.get(name, [name])}
    assert split_requests(requested, tasks, reused, MEMBERS) == expected


def test_split_requests_declines_groups_it_cannot_see_into():
    """A group the suite definitions do not list (lm-eval's own) could not be left out task by task."""
    assert split_requests(["mmlu", "general"], ALL | {"mmlu_anatomy"}, {ARITH}, MEMBERS) is None
    assert split_requests(["general"], ALL | {"extra_from_lm_eval"}, {ARITH}, MEMBERS) is None
