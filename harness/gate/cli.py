"""`harness gate` glue: resolve or evaluate both sides, judge the policy, write JUnit/summary, store."""

from __future__ import annotations

from pathlib import Path

from harness.console import console
from harness.errors import HarnessError
from harness.gate.evaluate import run_gate, store_gate
from harness.gate.junit import to_markdown_summary, write_junit, write_summary
from harness.gate.policy import GatePolicy, load_policy
from harness.store import Store


def _suites_for(policy: GatePolicy, suites: list[str] | None) -> list[str]:
    if suites:
        return suites
    from harness.domains import list_domains, load_domain

    if policy.name in list_domains():
        manifest = load_domain(policy.name).manifest
        return list(dict.fromkeys(manifest.suites + manifest.regression_suites))
    return list(policy.all_regression_suites())


def _ensure_evaluated(store: Store, ref: str, suites: list[str], device: str) -> str:
    """Return something compare can resolve: the ref itself when stored, else a fresh eval run id."""
    from harness.compare.align import resolve_runs

    try:
        resolve_runs(store, ref)
        return ref
    except HarnessError:
        pass
    from harness.device import plan_device
    from harness.evaluation import run_eval
    from harness.models.refs import resolve_model

    model = resolve_model(ref)
    console.print(f"evaluating {ref} on {', '.join(suites)} (no stored results)")
    return run_eval(store, model, suites, device=plan_device(device)).run_id


def run_gate_command(*, policy: Path, candidate: str, baseline: str, eval_missing: bool,
                     suites: list[str] | None, junit: Path | None, summary: Path | None, device: str,
                     db: Path | None) -> int:
    from harness.compare.report import to_markdown

    gate_policy = load_policy(policy)
    if eval_missing:
        store = Store(db)
        wanted = _suites_for(gate_policy, suites)
        candidate = _ensure_evaluated(store, candidate, wanted, device)
        baseline = _ensure_evaluated(store, baseline, wanted, device)
    else:
        store = Store(db, read_only=True)
    comparison, outcome = run_gate(store, gate_policy, baseline=baseline, candidate=candidate)
    from rich.table import Table

    table = Table("rule", "kind", "observed", "threshold", "result", "detail",
                  title=f"gate {gate_policy.name}: {outcome.candidate.label} vs {outcome.baseline.label}")
    for r in outcome.results:
        table.add_row(r.name, r.kind, "—" if r.observed is None else f"{r.observed:.4g}",
                      "—" if r.threshold is None else f"{r.threshold:.4g}",
                      "[green]pass[/]" if r.passed else "[bold red]FAIL[/]", r.detail)
    console.print(table)
    if junit:
        write_junit(outcome, junit)
    if summary:
        write_summary(to_markdown_summary(outcome, to_markdown(comparison)), summary)
    writer = store if not store.read_only else Store(db)
    gate_id = store_gate(writer, outcome, policy=gate_policy, policy_path=policy, domain=gate_policy.name)
    verdict = "[bold green]GATE PASSED[/]" if outcome.passed else "[bold red]GATE FAILED[/]"
    failed = sum(not r.passed for r in outcome.results)
    console.print(f"{verdict} ({len(outcome.results) - failed}/{len(outcome.results)} rules pass; stored as {gate_id})")
    return outcome.exit_code
