"""The demo's closing table: each task's primary metric for base and every stage, the final-vs-base delta
with its paired-bootstrap CI and corrected p-value, and a one-line verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from harness.compare.report import Comparison, compare_runs, fmt_ci, fmt_p, forgetting_text
from harness.console import console, fmt_value
from harness.domains import Domain
from harness.store import Store

if TYPE_CHECKING:
    from harness.pipeline import PipelineResult


def _aggregates(store: Store, run_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = store.query("SELECT task, metric, value, stderr, n FROM eval_results WHERE run_id = ?", [run_id])
    return {(r["task"], r["metric"]): r for r in rows}


def verdict_line(comp: Comparison, domain_suites: list[str], final: str) -> tuple[str, bool]:
    primaries = [r for r in comp.rows if r.primary and r.suite in domain_suites]
    improved = [r.task for r in primaries if r.verdict == "improved"]
    regressed = [r.task for r in primaries if r.verdict == "regressed"]
    parts = [f"{final} vs base on {', '.join(domain_suites)}: {len(improved)}/{len(primaries)} tasks improved"
             f", {len(regressed)} regressed ({comp.correction}-corrected paired tests, α={comp.alpha})"]
    parts += [forgetting_text(f) for f in comp.forgetting]
    ok = bool(improved) and not regressed
    # says whether the domain improved; whether the model may ship is the gate's call, printed next
    return ("DOMAIN IMPROVED: " if ok else "DOMAIN NOT SHOWN IMPROVED: ") + "; ".join(parts), ok


def print_pipeline_summary(store: Store, domain: Domain, result: PipelineResult) -> tuple[Comparison, bool]:
    # base, then every stage lm-eval scored, in order (a method's own evaluation has other tasks: see `compare`)
    stages = [s for s in result.eval_runs if s not in result.own_evals]
    final = stages[-1]
    aggregates = {s: _aggregates(store, result.eval_runs[s]) for s in stages}
    comp = compare_runs(store, result.eval_runs["base"], result.eval_runs[final],
                        regression_suites=domain.manifest.regression_suites)
    table = Table("task", "metric", "n", *stages, f"Δ {final}−base\n[95% CI]", "p adj", "verdict",
                  title=f"{domain.name}: base vs stages (value ±stderr; n = paired items)", title_justify="left")
    colour = {"improved": "green", "regressed": "red"}
    for row in sorted(comp.rows, key=lambda r: (r.suite not in domain.manifest.suites, r.suite, r.task)):
        if not row.primary:
            continue
        metric = row.metric + ("" if row.higher_is_better else " ↓")
        cells = []
        for s in stages:
            agg = aggregates[s].get((row.task, row.metric))
            cells.append(fmt_value(agg["value"], agg["stderr"]).replace(" ± ", " ±") if agg else "—")
        delta = "—" if row.delta is None else f"{row.delta:+.3f}\n{fmt_ci(row.ci_low, row.ci_high, signed=True)}"
        task = row.task.removeprefix(f"{row.suite}_")
        verdict = row.verdict.replace("no significant change", "no sig. change")
        table.add_row(f"{row.suite}/{task}", metric, str(row.n), *cells, delta, fmt_p(row.p_adjusted),
                      f"[{colour.get(row.verdict, 'white')}]{verdict}[/]")
    console.print(table)
    line, ok = verdict_line(comp, domain.manifest.suites, final)
    console.print(f"[bold {'green' if ok else 'yellow'}]{line}[/]")
    return comp, ok


def same_item_runs(store: Store, model_id: str) -> dict[str, str]:
    """{lm-eval task: newest completed eval run} where a method's own evaluation scored `model_id` on that
    task's items (its eval_tasks row names them with `items_of`)."""
    rows = store.query(
        "SELECT t.task, r.run_id FROM runs r JOIN eval_tasks t USING (run_id) WHERE r.kind = 'eval' AND "
        "r.status = 'completed' AND r.model_id = ? AND json_extract_string(t.config_json, '$.items_of') IS NOT NULL "
        "ORDER BY r.finished_at", [model_id])
    return {r["task"]: r["run_id"] for r in rows}


def print_same_items(store: Store, domain: Domain, result: PipelineResult) -> None:
    """A head scored on a suite task's own items vs a generative model on those items (paired; the reported
    config drift is the scorer, which is the point of the comparison): its parent when that was evaluated
    (`--eval-stages all`), else the final generative stage, the one a release would ship beside the head."""
    generative = [s for s in result.eval_runs if s != "base" and s not in result.own_evals]
    for stage in result.own_evals:
        parent = domain.manifest.parent_of(stage)
        if parent not in result.eval_runs or parent in result.own_evals:
            parent = generative[-1] if generative else None
        parent_run = result.eval_runs.get(parent) if parent else None
        if parent_run is None:
            continue
        for task, run_id in same_item_runs(store, result.models[stage].model_id).items():
            row = compare_runs(store, parent_run, run_id, regression_suites=(),
                               allow_config_drift=True).row(task)
            if row is None or row.delta is None:
                continue
            console.print(
                f"{stage} (its own scorer) vs {parent} (lm-eval) on the same {row.n} {task} items: "
                f"{row.metric} {fmt_value(row.baseline)} {fmt_ci(row.baseline_ci_low, row.baseline_ci_high)} → "
                f"{fmt_value(row.candidate)} {fmt_ci(row.candidate_ci_low, row.candidate_ci_high)}, Δ {row.delta:+.3f} "
                f"{fmt_ci(row.ci_low, row.ci_high, signed=True)}, {row.test} p={fmt_p(row.p_value)}: {row.verdict}"
                f" (`harness compare {parent_run} {run_id} --allow-config-drift`)")
