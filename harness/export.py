"""`harness export RUN_OR_STAGE --to DIR`: a trained model as a Hugging Face model folder with a model card.

The folder gets the merged model (or, with `--adapter`, only the PEFT adapter), a README.md built with
huggingface_hub's ModelCard/ModelCardData whose `model-index` carries every stored primary-metric result of
the model's newest evaluations (task, metric, value, and in the metric's `args`: n, stderr, 95% CI, limit),
the newest gate the model was a candidate of (status, policy, rules), and the data report summary of the
data it was trained on. Everything comes from the store; nothing is re-evaluated."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.store import Store

Z95 = 1.959963984540054


@dataclass
class ExportResult:
    folder: Path
    model_id: str
    n_results: int
    gate_status: str | None
    adapter_only: bool


def _train_run(store: Store, model_id: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM runs WHERE kind = 'train' AND status = 'completed' AND model_id = ?"
                       " ORDER BY started_at DESC LIMIT 1", [model_id])
    return rows[0] if rows else None


def eval_results(store: Store, model_id: str) -> list[dict[str, Any]]:
    """Per task: the primary metric of the newest complete eval of the model (unlimited preferred)."""
    rows = store.query(
        "SELECT r.run_id, r.finished_at, json_extract(r.config_json, '$.limit') AS lim, e.suite, e.task,"
        " e.metric, coalesce(e.filter, 'none') AS filter, e.value, e.stderr, e.n, e.higher_is_better,"
        " t.primary_metric, coalesce(t.primary_filter, 'none') AS primary_filter"
        " FROM runs r JOIN eval_results e ON e.run_id = r.run_id"
        " LEFT JOIN eval_tasks t ON t.run_id = r.run_id AND t.task = e.task"
        " WHERE r.kind = 'eval' AND r.status = 'completed' AND r.model_id = ?"
        " ORDER BY (json_extract(r.config_json, '$.limit') IS NULL OR"
        "           json_extract_string(r.config_json, '$.limit') = 'null') DESC, r.finished_at DESC", [model_id])
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["task"] in out or r["value"] is None or r["metric"] != (r["primary_metric"] or r["metric"]):
            continue
        if r["primary_metric"] and r["filter"] != r["primary_filter"]:
            continue
        lim = json.loads(r["lim"]) if isinstance(r["lim"], str) else r["lim"]
        r["limit"] = lim
        out[r["task"]] = r
    return [out[k] for k in sorted(out)]


def newest_gate(store: Store, eval_runs: list[str]) -> dict[str, Any] | None:
    """The newest gate whose candidate side is one of these eval runs (a side may list several runs)."""
    rows = store.query(
        "SELECT g.gate_id, g.policy, g.passed, g.baseline_run, g.candidate_run, g.created_at,"
        " json_extract_string(r.config_json, '$.status') AS status FROM gates g LEFT JOIN runs r ON"
        " r.run_id = g.run_id ORDER BY g.created_at DESC")
    wanted = set(eval_runs)
    rows = [g for g in rows if wanted & set((g["candidate_run"] or "").split(","))]
    if not rows:
        return None
    gate = rows[0]
    gate["rules"] = store.query("SELECT rule, kind, task, metric, observed, threshold, passed FROM gate_results"
                                " WHERE gate_id = ? ORDER BY rule", [gate["gate_id"]])
    return gate


def data_summary(store: Store, train: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not train or not train.get("data_hash"):
        return []
    return store.query("SELECT dataset, split, n_rows_in, n_rows_out, n_dropped FROM data_reports"
                       " WHERE dataset_hash = ? ORDER BY dataset, split", [train["data_hash"]])


def _card(model_id: str, results: list[dict[str, Any]], gate: dict[str, Any] | None,
          data: list[dict[str, Any]], train: dict[str, Any] | None, adapter_only: bool, base_ref: str | None) -> Any:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    evals = []
    for r in results:
        ci = None if r["stderr"] is None else [r["value"] - Z95 * r["stderr"], r["value"] + Z95 * r["stderr"]]
        evals.append(EvalResult(
            task_type="text-generation", task_name=r["task"], dataset_type=r["task"],
            dataset_name=r["suite"] or r["task"], metric_type=r["metric"], metric_name=r["metric"],
            metric_value=float(r["value"]),
            metric_args={"n": int(r["n"]) if r["n"] is not None else None, "stderr": r["stderr"], "ci95": ci,
                         "filter": r["filter"], "limit": r["limit"], "eval_run": r["run_id"],
                         "higher_is_better": r["higher_is_better"]},
            verified=False))
    extra: dict[str, Any] = {"harness_model_id": model_id}
    if gate is not None:
        extra["harness_gate"] = {"status": gate["status"] or ("PASS" if gate["passed"] else "FAIL"),
                                 "gate_id": gate["gate_id"], "policy": gate["policy"],
                                 "baseline_run": gate["baseline_run"]}
    if data:
        extra["harness_data"] = [{k: r[k] for k in ("dataset", "split", "n_rows_in", "n_rows_out", "n_dropped")}
                                 for r in data]
    card_data = ModelCardData(model_name=model_id, library_name="peft" if adapter_only else "transformers",
                              tags=["domain-harness"], eval_results=evals or None, **extra)
    lines = [f"# {model_id}", "", "Exported by `harness export` from the harness store.", ""]
    if train:
        cfg = json.loads(train["config_json"]) if isinstance(train["config_json"], str) else train["config_json"]
        lines += [f"- training run: `{train['run_id']}` ({train['domain']}:{train['stage']}, method "
                  f"{cfg.get('method')}), parent: `{base_ref or cfg.get('parent')}`",
                  f"- contents: {'PEFT adapter (apply to the parent)' if adapter_only else 'merged model'}", ""]
    lines += ["## Evaluation", "", "| task | metric | value | n | 95% CI |", "|---|---|---|---|---|"]
    for r in results:
        ci = "n/a" if r["stderr"] is None else (f"[{r['value'] - Z95 * r['stderr']:.4f}, "
                                                f"{r['value'] + Z95 * r['stderr']:.4f}]")
        lim = "" if r["limit"] is None else f" (limit {r['limit']})"
        lines.append(f"| {r['task']} | {r['metric']} | {r['value']:.4f} | {r['n']}{lim} | {ci} |")
    if not results:
        lines.append("| (no stored evaluation of this model) | | | | |")
    lines += ["", "## Gate", ""]
    if gate is None:
        lines.append("No gate has judged this model.")
    else:
        status = extra["harness_gate"]["status"]
        lines += [f"**{status}** (`{gate['gate_id']}`, policy `{gate['policy']}`, baseline run "
                  f"`{gate['baseline_run']}`)", "", "| rule | kind | observed | threshold | passed |",
                  "|---|---|---|---|---|"]
        lines += [f"| {g['rule']} | {g['kind']} | {g['observed']} | {g['threshold']} | {g['passed']} |"
                  for g in gate["rules"]]
    lines += ["", "## Training data", ""]
    if data:
        lines += ["| dataset | split | rows in | rows out | dropped |", "|---|---|---|---|---|"]
        lines += [f"| {r['dataset']} | {r['split']} | {r['n_rows_in']} | {r['n_rows_out']} | {r['n_dropped']} |"
                  for r in data]
    else:
        lines.append("No data report stored for this model's training data.")
    return ModelCard(f"---\n{card_data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")


def export_model(ref_text: str, to: Path, *, db: Path | None, adapter_only: bool = False,
                 force: bool = False) -> ExportResult:
    """Copy the model (or adapter) of a run/stage to `to` and write its model card there."""
    from harness.models.refs import resolve_model

    store = Store(db, read_only=True)
    ref = resolve_model(ref_text, store=store, progress=False)
    stage_meta = Path(ref.path).parent / "stage.json"
    meta = json.loads(stage_meta.read_text()) if stage_meta.exists() else {}
    source = Path(ref.path)
    if adapter_only:
        adapter = meta.get("adapter_path") or ref.adapter_path
        if not adapter:
            raise HarnessError(f"{ref_text} was trained without LoRA: there is no adapter to export",
                               "drop --adapter to export the full model")
        source = Path(adapter)
    to = Path(to).expanduser()
    if to.exists() and any(to.iterdir()) and not force:
        raise HarnessError(f"{to} exists and is not empty", "pass an empty or new folder, or --force to replace it")
    train = _train_run(store, ref.model_id)
    results = eval_results(store, ref.model_id)
    gate = newest_gate(store, sorted({r["run_id"] for r in results}))
    data = data_summary(store, train)
    card = _card(ref.model_id, results, gate, data, train, adapter_only, meta.get("parent"))
    tmp = to.with_name(to.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    card.save(tmp / "README.md")
    (tmp / "harness_export.json").write_text(json.dumps({
        "model_id": ref.model_id, "source": str(source), "adapter_only": adapter_only,
        "gate": None if gate is None else {"gate_id": gate["gate_id"], "status": card.data.harness_gate["status"]},
        "n_results": len(results)}, indent=2, default=str))
    if to.exists():
        shutil.rmtree(to)
    tmp.rename(to)
    return ExportResult(to, ref.model_id, len(results), None if gate is None else card.data.harness_gate["status"],
                        adapter_only)
