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


def _check_limited(comparison: object, allow_limit: bool) -> None:
    from harness.compare.report import Comparison

    assert isinstance(comparison, Comparison)
    limited = [f"{run} (--limit {limit})" for side in (comparison.baseline, comparison.candidate)
               for run, limit in side.limits.items()]
    if limited and not allow_limit:
        raise HarnessError(f"a gate needs full evaluations, got LIMITED eval(s): {', '.join(limited)}",
                           "evaluate without --limit, or pass --allow-limit to gate a smoke run anyway")


def _outcome_cell(outcome: str) -> str:
    return {"pass": "[green]PASS[/]", "fail": "[bold red]FAIL[/]", "inconclusive": "[bold yellow]INCONCLUSIVE[/]"}[
        outcome]


def run_gate_command(*, policy: Path, candidate: str, baseline: str, eval_missing: bool,
                     suites: list[str] | None, junit: Path | None, summary: Path | None, device: str,
                     db: Path | None, allow_limit: bool = False, allow_config_drift: bool = False) -> int:
    from harness.compare.report import to_markdown

    gate_policy = load_policy(policy)
    if eval_missing:
        store = Store(db)
        wanted = _suites_for(gate_policy, suites)
        candidate = _ensure_evaluated(store, candidate, wanted, device)
        baseline = _ensure_evaluated(store, baseline, wanted, device)
    else:
        store = Store(db, read_only=True)
    comparison, outcome = run_gate(store, gate_policy, baseline=baseline, candidate=candidate,
                                   allow_config_drift=allow_config_drift)
    _check_limited(comparison, allow_limit)
    from rich.table import Table

    table = Table("rule", "kind", "reading", "observed", "threshold", "result", "detail",
                  title=f"gate {gate_policy.name}: {outcome.candidate.label} vs {outcome.baseline.label}")
    for r in outcome.results:
        table.add_row(r.name, r.kind, r.reading, "—" if r.observed is None else f"{r.observed:.4g}",
                      "—" if r.threshold is None else f"{r.threshold:.4g}", _outcome_cell(r.outcome), r.detail)
    console.print(table)
    if junit:
        write_junit(outcome, junit)
    if summary:
        write_summary(to_markdown_summary(outcome, to_markdown(comparison)), summary)
    writer = store if not store.read_only else Store(db)
    gate_id = store_gate(writer, outcome, policy=gate_policy, policy_path=policy, domain=gate_policy.name)
    colour = {"PASS": "bold green", "FAIL": "bold red", "INCONCLUSIVE": "bold yellow"}[outcome.status]
    console.print(f"[{colour}]GATE {outcome.headline()}[/] (stored as {gate_id})")
    return outcome.exit_code


def run_plan_command(*, policy: Path, baseline: str | None, db: Path | None, as_json: bool = False) -> int:
    """Print, per rule, the n it will see and whether that n can resolve its margin."""
    import json

    from rich.table import Table

    from harness.gate.plan import (
        plan_policy,
        plan_rows_json,
        rule_metrics,
        rule_tasks,
        task_stats_from_store,
        task_stats_from_suites,
    )

    gate_policy = load_policy(policy)
    if baseline:
        known = task_stats_from_store(Store(db, read_only=True), baseline)
        source = f"stored baseline {baseline}"
    else:
        known = task_stats_from_suites(rule_tasks(gate_policy), rule_metrics(gate_policy))
        source = "the suite definitions (item counts); spread from the policy's planning assumptions"
    rows = plan_policy(gate_policy, known)
    if as_json:
        print(json.dumps({"policy": gate_policy.name, "alpha": gate_policy.alpha, "source": source,
                          "planning": gate_policy.planning.model_dump(), "rules": plan_rows_json(rows)}, indent=2))
        return 0
    p = gate_policy.planning
    table = Table("rule", "kind", "target", "n", "margin", f"CI ±\n({1 - gate_policy.alpha:.0%})",
                  "P(pass)\nif unchanged", "MDE", "resolves?", "note",
                  title=f"gate plan {gate_policy.name}: n from {source}; assumed discordance {p.discordance}, "
                        f"relative sd {p.relative_sd}, baseline score {p.baseline_score} where not stored")

    for column in table.columns:
        column.overflow = "fold"

    def f(x: float | None, pct: bool = False) -> str:
        return "—" if x is None else (f"{x:.0%}" if pct else f"{x:.3f}")

    for r in rows:
        res = "—" if r.resolvable is None else ("[green]yes[/]" if r.resolvable else "[bold red]NO[/]")
        table.add_row(r.rule, r.kind, r.target, "—" if r.n is None else str(r.n), f(r.margin), f(r.half_width),
                      f(r.pass_if_unchanged, pct=True), f(r.mde), res, r.note)
    console.print(table)
    bad = [r.rule for r in rows if r.resolvable is False]
    if bad:
        console.print(f"[yellow]{len(bad)} rule(s) cannot resolve their margin at this n: {', '.join(bad)} — add "
                      "items or widen the margin, or expect INCONCLUSIVE[/]")
    console.print("A non-inferiority rule passes a model whose true loss equals its margin with probability "
                  f"<= {gate_policy.alpha / 2:.1%} (one-sided bound of the {1 - gate_policy.alpha:.0%} CI).")
    return 0
