"""`harness demo --all`'s closing table, built from a real micro pipeline and the gates it stored."""

from __future__ import annotations

import shutil

import pytest

from harness.domains import load_domain


@pytest.mark.slow
def test_summary_row_matches_the_comparison_and_the_stored_gate(pipeline_run) -> None:
    from rich.console import Console

    from harness.demo_all import gate_outcome, render, summarise
    from harness.store import Store

    db, result, gates = pipeline_run
    store = Store(db, read_only=True)
    domain = load_domain("support_chat")
    row = summarise(store, domain, result, 12.0, limited=True)
    primaries = [r for r in result.comparison.rows if r.primary and r.suite in domain.manifest.suites]
    assert row.final == "dpo" and row.tasks == len(primaries) > 0
    assert row.improved == [r.task for r in primaries if r.verdict == "improved"]
    assert row.unchanged == sum(r.verdict not in ("improved", "regressed") for r in primaries)
    assert row.forgetting.startswith(f"{result.comparison.forgetting[0].ratio:.3f} [")
    # the pipeline itself ran no gate on a --limit eval; the fixture's own gate on the same runs is found
    assert row.gate == "not run (--limit eval)"
    outcome = gate_outcome(store, result.eval_runs["dpo"], result.eval_runs["base"])
    reverse = gate_outcome(store, result.eval_runs["base"], result.eval_runs["dpo"])  # the other stored gate
    for text, exit_code in ((outcome, gates["tuned_vs_base"]), (reverse, gates["base_vs_tuned"])):
        status = text.split(" ")[0]
        assert status in ("PASS", "FAIL", "INCONCLUSIVE") and " pass" in text
        assert (status == "PASS") == (exit_code == 0)  # the exit code the gate command returned
    assert gate_outcome(store, result.eval_runs["cpt"], result.eval_runs["base"]) == "not run"
    console = Console(record=True, width=200)
    console.print(render([row]))
    text = console.export_text()
    assert row.regressed == [r.task for r in primaries if r.verdict == "regressed"]
    counts = f"{len(row.improved)} / {row.unchanged} / {len(row.regressed)} of {row.tasks} (dpo)"
    assert "support_chat" in text and counts in text


@pytest.mark.parametrize(("name", "stages", "final"), [
    ("support_chat", None, ["dpo", "intent_head"]),  # its classifier head: own evaluation, a product of its own
    ("finance", None, ["dpo", "sentiment_head"]),  # likewise its sentiment head
    ("legal", None, ["dpo", "clause_head"]),  # a head whose parent (cpt) is not the final stage
    ("legal", ["cpt", "sft", "dpo"], ["dpo"]),  # no head in the plan: the final lm-eval stage only
    ("support_chat", ["cpt", "intent_head"], ["cpt", "intent_head"]),  # the last lm-eval stage, whatever its name
    ("support_chat", ["sft"], ["sft"]),
])
def test_which_stages_are_evaluated(name, stages, final) -> None:
    """`all` evaluates every stage in plan order; `final` the last one lm-eval scores (what the tables' verdicts
    and the gate compare with the base) and the stages that evaluate themselves (heads)."""
    from harness.pipeline import PipelineOptions, plan_pipeline, stages_to_evaluate

    _, plans = plan_pipeline(PipelineOptions(domain=name, stages=stages))
    assert stages_to_evaluate(plans, "all") == [p.stage for p in plans] == (stages or [p.stage for p in plans])
    assert stages_to_evaluate(plans, "final") == final


def test_eval_stages_default_per_form_and_flag(monkeypatch) -> None:
    """Both demo forms evaluate the final stages unless told otherwise; the flag changes either (the pipeline and
    run_all are replaced by recorders: this is the CLI's wiring only)."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    import harness.demo_all
    import harness.pipeline
    from harness.cli import app

    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(harness.demo_all, "run_all", lambda **kw: seen.append(("all", kw["eval_stages"])) or [])
    monkeypatch.setattr(harness.pipeline, "run_pipeline",
                        lambda opts, db: seen.append(("one", opts.eval_stages)) or SimpleNamespace(ok=True))
    for args in (["--all"], ["--all", "--eval-stages", "all"], [], ["--eval-stages", "final"]):
        result = CliRunner().invoke(app, ["demo", *args])
        assert result.exit_code == 0, result.output
    assert seen == [("all", "final"), ("all", "all"), ("one", "final"), ("one", "final")]
    CliRunner().invoke(app, ["demo", "--eval-stages", "all"])
    assert seen[-1] == ("one", "all")


def test_bad_eval_stages_is_one_line() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "harness.cli", "demo", "--all", "--eval-stages", "last"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("error: --eval-stages 'last'") and "fix:" in lines[0]


@pytest.mark.slow
def test_final_only_pipeline_evaluates_base_and_last_stage(pipeline_run, capsys, tmp_path) -> None:
    """The micro pipeline again on a copy of its store with `final`: the same trained stages (fingerprint cache),
    only base, dpo (both answered by the fixture's stored runs) and the head (its own evaluation, which adds runs:
    hence the copy, the fixture's store is shared) evaluated, and the same closing-table row."""
    from conftest import MICRO_EVAL_LIMIT, MICRO_OVERRIDES

    from harness.demo_all import summarise
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.store import Store

    shared_db, first, _ = pipeline_run
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(shared_db, db)
    result = run_pipeline(PipelineOptions(domain="support_chat", base_model="default:micro",
                                          overrides=MICRO_OVERRIDES, eval_limit=MICRO_EVAL_LIMIT, progress=False,
                                          eval_stages="final"), db)
    assert list(result.eval_runs) == ["base", "dpo", "intent_head"] and result.own_evals == {"intent_head"}
    assert result.eval_runs["base"] == first.eval_runs["base"] and result.eval_runs["dpo"] == first.eval_runs["dpo"]
    assert result.train_runs == first.train_runs  # every stage still trained (here: reused), only evals skipped
    assert {k for k in result.seconds if k.startswith("eval_")} == {"eval_base", "eval_dpo", "eval_intent_head"}
    # the head's same-items line compares it with the final generative stage when its parent (sft) was not evaluated
    assert "intent_head (its own scorer) vs dpo (lm-eval) on the same" in " ".join(capsys.readouterr().out.split())
    store, domain = Store(db, read_only=True), load_domain("support_chat")
    again, before = summarise(store, domain, result, limited=True), summarise(store, domain, first, limited=True)
    assert (again.final, again.improved, again.regressed, again.forgetting) == (
        before.final, before.improved, before.regressed, before.forgetting)
