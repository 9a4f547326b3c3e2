"""`harness demo --all`'s closing table, built from a real micro pipeline and the gates it stored."""

from __future__ import annotations

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
