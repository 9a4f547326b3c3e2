"""`harness demo --all`: every domain's demo, one after another, on one store, then one summary table.

Each domain runs the same pipeline as `harness demo --domain NAME` (its own tables and gate are printed as it
goes); the closing table puts them side by side: how many of the domain's tasks the tuned model (the last
stage lm-eval scored) improved / regressed against the base (Holm-corrected paired tests, as in each demo),
how much general skill it kept (chance-corrected, with its CI and n) and the general bits-per-byte ratio, the
domain gate's outcome (PASS / FAIL / INCONCLUSIVE with its rule counts) and the wall time. A domain that fails
to run is a row with its error, and the others still run.

Only the base and each domain's final lm-eval-scorable stage are evaluated unless `--eval-stages all` asks for
every stage: nothing in the closing table or the gate reads the intermediate ones. Task-level eval reuse
(harness/evaluation/runner.py) evaluates the base on the general suite once per store, not once per domain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.console import console
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.domains import Domain
    from harness.pipeline import PipelineResult
    from harness.store import Store


@dataclass
class DomainSummary:
    domain: str
    tasks: int = 0  # the domain suites' primary metrics compared
    improved: list[str] = field(default_factory=list)
    regressed: list[str] = field(default_factory=list)
    forgetting: str = "—"  # general skill kept [CI] (n)
    perplexity: str = "—"  # general bits-per-byte ratio [CI] (n)
    gate: str = "—"  # PASS / FAIL / INCONCLUSIVE with rule counts, or why there is none
    seconds: float = 0.0
    error: str | None = None
    final: str = ""  # the stage compared with the base

    @property
    def unchanged(self) -> int:
        return self.tasks - len(self.improved) - len(self.regressed)


def _ci(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "—"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def gate_outcome(store: Store, candidate_run: str, baseline_run: str) -> str:
    """The newest stored gate on exactly this candidate and baseline eval run: status and rule counts."""
    rows = store.query(
        "SELECT g.gate_id, json_extract_string(r.config_json, '$.status') AS status FROM gates g "
        "JOIN runs r ON r.run_id = g.run_id WHERE g.candidate_run = ? AND g.baseline_run = ? "
        "ORDER BY g.created_at DESC LIMIT 1", [candidate_run, baseline_run])
    if not rows:
        return "not run"
    outcomes = store.query(
        "SELECT json_extract_string(detail_json, '$.outcome') AS outcome, count(*) AS n FROM gate_results "
        "WHERE gate_id = ? GROUP BY 1", [rows[0]["gate_id"]])
    counts = {r["outcome"]: r["n"] for r in outcomes}
    total = sum(counts.values())
    detail = f"{counts.get('pass', 0)}/{total} pass"
    for outcome in ("fail", "inconclusive"):
        if counts.get(outcome):
            detail += f", {counts[outcome]} {outcome}"
    return f"{rows[0]['status']} ({detail})"


def summarise(store: Store, domain: Domain, result: PipelineResult, seconds: float = 0.0, *,
              limited: bool = False) -> DomainSummary:
    """One row of the closing table from a finished pipeline (its comparison and the gate it stored)."""
    row = DomainSummary(domain.name, seconds=seconds)
    comp = result.comparison
    scored = [s for s in result.eval_runs if s not in result.own_evals]
    if comp is None or len(scored) < 2:
        row.error = "no stage lm-eval could score"
        return row
    row.final = scored[-1]
    primaries = [r for r in comp.rows if r.primary and r.suite in domain.manifest.suites]
    row.tasks = len(primaries)
    row.improved = [r.task for r in primaries if r.verdict == "improved"]
    row.regressed = [r.task for r in primaries if r.verdict == "regressed"]
    for f in comp.forgetting:  # the regression suite(s); the demo's domains have one, `general`
        if f.ratio is not None:
            row.forgetting = f"{_ci(f.ratio, f.ci_low, f.ci_high)} (n={f.n})"
        if f.ppl_ratio is not None:
            row.perplexity = f"×{_ci(f.ppl_ratio, f.ppl_ci_low, f.ppl_ci_high)} (n={f.ppl_n})"
    if result.gate_exit is None:
        row.gate = "not run (--limit eval)" if limited else "not run"
    else:
        row.gate = gate_outcome(store, result.eval_runs[row.final], result.eval_runs["base"])
    return row


def render(rows: list[DomainSummary]) -> Any:
    from rich.table import Table

    table = Table("domain", "tuned vs base\n(improved / no sig. / regressed)", "general skill kept\n[95% CI] (n)",
                  "general bits/byte\n×[95% CI] (n)", "gate", "wall s",
                  title="all domains: tuned model (last stage) vs base, Holm-corrected paired tests per domain",
                  title_justify="left")
    for r in rows:
        if r.error:
            table.add_row(r.domain, f"[red]{r.error}[/]", "—", "—", "—", f"{r.seconds:.0f}")
            continue
        verdicts = f"{len(r.improved)} / {r.unchanged} / {len(r.regressed)} of {r.tasks} ({r.final})"
        colour = {"PASS": "green", "FAIL": "red", "INCONCLUSIVE": "yellow"}.get(r.gate.split(" ")[0], "white")
        table.add_row(r.domain, verdicts, r.forgetting, r.perplexity, f"[{colour}]{r.gate}[/]", f"{r.seconds:.0f}")
    return table


def run_all(*, model: str = "default", overrides: list[str] | None = None, device: str = "auto",
            limit: int | float | None = None, db: Path | None = None,
            domains: list[str] | None = None, eval_stages: Literal["all", "final"] = "final") -> list[DomainSummary]:
    """Run every domain's demo (or `domains`) in turn on one store; print and return the summary rows.
    `eval_stages`: `final` (default) evaluates the base and each domain's last lm-eval-scorable stage only, all the
    closing table and the gate read; `all` evaluates every stage as `harness demo --domain` does."""
    from harness.domains import list_domains, load_domain
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.store import Store

    names = domains or list_domains()
    rows: list[DomainSummary] = []
    t_all = time.perf_counter()
    for i, name in enumerate(names, 1):
        console.rule(f"demo {i}/{len(names)}: {name}")
        t = time.perf_counter()
        try:
            domain = load_domain(name)
            result = run_pipeline(PipelineOptions(domain=name, base_model=model, overrides=overrides or [],
                                                  device=device, eval_limit=limit, eval_stages=eval_stages), db)
            rows.append(summarise(Store(db), domain, result, time.perf_counter() - t, limited=limit is not None))
        except HarnessError as exc:  # one domain's bad input does not stop the others
            rows.append(DomainSummary(name, error=f"{exc.problem}", seconds=time.perf_counter() - t))
    console.print(render(rows))
    console.print(f"all domains: {time.perf_counter() - t_all:.0f} s wall")
    return rows
