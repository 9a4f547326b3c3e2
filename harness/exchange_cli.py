"""Bodies of the commands that move results between stores and tools: `harness push` / `pull` (the team's shared
store, harness/store/shared.py), `harness export` (lm-eval results JSON) and `harness import-lm-eval`
(harness/evaluation/lm_eval_io.py). cli.py only registers them."""

from __future__ import annotations

import os
from pathlib import Path

from harness.console import console
from harness.errors import HarnessError

SHARED_ENV = "HARNESS_SHARED_STORE"


def shared_root(shared: str | None) -> str:
    root = shared or os.environ.get(SHARED_ENV)
    if not root:
        raise HarnessError("no shared store given", f"pass --shared PATH or set {SHARED_ENV}")
    return root


def _report(verb: str, transfer, where: str) -> None:
    console.print(f"{verb} {len(transfer.moved)} run(s) ({transfer.rows} rows) {where}; "
                  f"{len(transfer.present)} already there", highlight=False)
    for run_id, why in transfer.skipped.items():
        console.print(f"[yellow]skipped[/yellow] {run_id}: {why}", highlight=False)


def push_command(shared: str | None, runs: list[str] | None, db: Path | None) -> None:
    from harness.store import Store
    from harness.store.shared import push

    root = shared_root(shared)
    transfer = push(Store(db, read_only=True), root, runs or None)
    _report("pushed", transfer, f"to {root}")


def pull_command(shared: str | None, runs: list[str] | None, db: Path | None, list_only: bool) -> None:
    from rich.table import Table

    from harness.store import Store
    from harness.store.shared import list_shared, pull

    root = shared_root(shared)
    if list_only:
        table = Table("run_id", "kind", "status", "model_id", "rows", "pushed by", "pushed at")
        for r in list_shared(root):
            table.add_row(r["run_id"], r.get("kind") or "", r.get("status") or "", (r.get("model_id") or "")[:40],
                          str(r["rows"]), r["pushed_by"] or "", (r["pushed_at"] or "")[:19])
        console.print(table)
        return
    transfer = pull(Store(db), root, runs or None)
    _report("pulled", transfer, f"from {root}")


def export_command(run_id: str, out: Path, samples: bool, db: Path | None) -> None:
    from harness.evaluation.lm_eval_io import export_run
    from harness.store import Store

    files = export_run(Store(db, read_only=True), run_id, out, samples=samples)
    console.print(f"wrote {files[0]}" + (f" and {len(files) - 1} samples file(s)" if len(files) > 1 else ""),
                  highlight=False)


def import_command(folder: Path, model: str | None, domain: str | None, db: Path | None) -> None:
    from harness.evaluation.lm_eval_io import import_folder
    from harness.evaluation.tables import results_table
    from harness.store import Store

    store = Store(db)
    model_id = None
    if model is not None:
        from harness.models.refs import resolve_model

        model_id = resolve_model(model, store=store).model_id
    run_id = import_folder(store, folder, model_id=model_id, domain=domain)
    rows = store.query("SELECT * FROM eval_results WHERE run_id = ? ORDER BY task, metric", [run_id])
    console.print(results_table(rows, title=f"imported {folder} — run {run_id}"))
