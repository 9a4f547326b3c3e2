"""lm-eval's own file format, both ways: export an eval run as lm-eval's results JSON (+ samples JSONL), and
import a folder written by `lm_eval --output_path DIR --log_samples` as an eval run, so evaluations run
elsewhere are compared and gated like the harness's own.

An import goes through the same row builders as a live evaluation (harness/evaluation/runner.py), so its
aggregates, per-item rows and task identities are stored exactly as `harness eval` stores them. lm-eval's
sample files differ from its in-memory samples in three ways that are undone here: request arguments become
`{"gen_args_i": {"arg_j": ...}}`, responses are stringified (`sanitize_list`), and targets are strings.
A task config's identity leaves out what `lm_eval` merges into every task's metadata from `--model_args`
(the model path, dtype, ...): which model ran is the run's model id, not the task's identity.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.fingerprint import fingerprint
from harness.store import Store

RESULTS_GLOB = "results_*.json"
_SAMPLES = re.compile(r"^samples_(?P<task>.+)_(?P<stamp>\d{4}-\d{2}-\d{2}T[\d\-.:]+)\.jsonl$")


# -- import -----------------------------------------------------------------------------------------------------
def find_results(folder: Path) -> Path:
    """The newest results JSON under an lm-eval output folder (lm-eval nests it in a per-model folder)."""
    from harness.file_checks import describe_non_file

    if not folder.is_dir():
        problem = describe_non_file(folder) or "is not a folder"
        raise HarnessError(f"lm-eval output {folder} {problem}", "pass the folder given to lm_eval --output_path")
    found = sorted(folder.rglob(RESULTS_GLOB), key=lambda p: p.name)
    if not found:
        raise HarnessError(f"no {RESULTS_GLOB} under {folder}", "pass the folder given to lm_eval --output_path")
    return found[-1]


def _samples_files(results_file: Path) -> dict[str, Path]:
    """task -> samples JSONL written in the same lm-eval run (same timestamp) as `results_file`."""
    stamp = results_file.stem.removeprefix("results_")
    out: dict[str, Path] = {}
    for path in results_file.parent.glob("samples_*.jsonl"):
        match = _SAMPLES.match(path.name)
        if match and match["stamp"] == stamp:
            out[match["task"]] = path
    return out


def _float_or(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def restore_sample(sample: dict[str, Any]) -> dict[str, Any]:
    """A logged sample as lm-eval held it in memory (what the runner's row builder reads)."""
    args = sample.get("arguments")
    if isinstance(args, Mapping):
        def index(key: str) -> int:
            return int(key.rsplit("_", 1)[-1])
        args = [[a[k] for k in sorted(a, key=index)] for _, a in sorted(args.items(), key=lambda kv: index(kv[0]))]
    resps = sample.get("filtered_resps") or []
    if resps and all(isinstance(r, list | tuple) and len(r) == 2 for r in resps):  # (loglikelihood, is_greedy)
        resps = [(_float_or(r[0]), r[1] in (True, "True")) for r in resps]
    target = sample.get("target")
    if isinstance(target, str) and target.isdigit() and args and resps and isinstance(resps[0], tuple) \
            and int(target) < len(args):
        target = int(target)  # a multiple-choice gold index, stringified on save
    return {**sample, "arguments": args, "filtered_resps": resps, "target": target}


def _model_arg_keys(config: Mapping[str, Any]) -> set[str]:
    raw = config.get("model_args") or ""
    if isinstance(raw, Mapping):
        return set(raw)
    return {part.split("=", 1)[0].strip() for part in str(raw).split(",") if "=" in part}


def imported_identities(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """eval_tasks rows (minus run_id) from the task configs lm-eval saved, hashed as task_identities does."""
    from harness.evaluation.prompt_format import declared_format, effective_format
    from harness.evaluation.tasks import meta_from_config, normalized_config, suite_of

    run_config = results.get("config") or {}
    model_keys = _model_arg_keys(run_config)
    out: dict[str, dict[str, Any]] = {}
    groups = set((results.get("group_subtasks") or {}).keys())
    for task, raw in (results.get("configs") or {}).items():
        if task in groups:
            continue
        config = normalized_config(raw)
        meta = config.get("metadata")
        if isinstance(meta, dict):
            for key in model_keys:
                meta.pop(key, None)
        if run_config.get("fewshot_seed") is not None:
            config["fewshot_seed"] = run_config["fewshot_seed"]
        # as task_identities does: plain, or which chat template rendered the prompt (the CLI saves the template
        # it applied as `chat_template`; none when run without --apply_chat_template)
        config["prompt_format"] = effective_format(declared_format(task, config), results.get("chat_template"))
        info = meta_from_config(task, config, suite_of(task))
        n = ((results.get("n-samples") or {}).get(task) or {}).get("effective")
        out[task] = {
            "task": task, "suite": info.suite or task, "config_hash": fingerprint(config), "code_hash": None,
            "config_json": config, "primary_metric": info.primary_metric, "primary_filter": info.primary_filter,
            "higher_is_better": info.higher_is_better, "chance": info.chance, "n_docs": n,
            "lm_eval_version": results.get("lm_eval_version"), "harness_version": None,
        }
    return out


def import_folder(store: Store, folder: Path, *, model_id: str | None = None, domain: str | None = None) -> str:
    """Store an lm-eval output folder (results + logged samples) as a completed eval run; returns its run id."""
    from harness.evaluation.runner import (
        _aggregate_rows,
        _count_items,
        _fill_missing_stderr,
        _sample_rows,
        _task_to_suite,
    )

    results_file = find_results(Path(folder))
    try:
        results = json.loads(results_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise HarnessError(f"{results_file} is not valid JSON ({exc})", "pass an lm-eval output folder") from exc
    if not isinstance(results.get("results"), dict):
        raise HarnessError(f"{results_file} has no 'results' table; it is not lm-eval output",
                           "pass the folder given to lm_eval --output_path")
    identities = imported_identities(results)
    files = _samples_files(results_file)
    missing = sorted(set(identities) - set(files))
    if missing:
        raise HarnessError(f"{results_file.parent} has no logged samples for {', '.join(missing)}",
                           "re-run lm_eval with --log_samples (compare and gate pair items, so they need them)")
    samples: dict[str, list[dict[str, Any]]] = {}
    for task, path in files.items():
        with open(path, encoding="utf-8") as fh:
            samples[task] = [restore_sample(json.loads(line)) for line in fh if line.strip()]
    results["samples"] = samples
    run_config = results.get("config") or {}
    model_id = model_id or f"lm-eval-{fingerprint(run_config.get('model'), run_config.get('model_args'))}"
    config = {"source": "lm_eval", "folder": str(Path(folder).resolve()), "results_file": str(results_file),
              "limit": run_config.get("limit"), "model": run_config.get("model_args"),
              "backend": {"name": run_config.get("model")}, "lm_eval_config": run_config,
              "date": results.get("date")}
    with store.tracked_run("eval", domain=domain, config=config, model_id=model_id, fingerprint=model_id) as run_id:
        suite_of = _task_to_suite(results, identities)
        aggregates = _aggregate_rows(results, run_id, model_id, suite_of)
        rows = _sample_rows(results, run_id, model_id, suite_of)
        _fill_missing_stderr(aggregates, rows)
        _count_items(aggregates, rows)
        store.add_eval(run_id, aggregates, rows, model_id=model_id, tasks=list(identities.values()))
    return run_id


# -- export -----------------------------------------------------------------------------------------------------
def _stderr(value: Any) -> Any:
    return value if isinstance(value, int | float) and math.isfinite(value) else "N/A"


def results_json(store: Store, run_id: str) -> dict[str, Any]:
    """An eval run as lm-eval's results JSON (the keys lm-eval's own tools and leaderboards read)."""
    run = store.run(run_id)
    if run is None or run["kind"] != "eval":
        raise HarnessError(f"{run_id} is not an eval run in {store.path}", "list them with `harness runs --kind eval`")
    if run["status"] != "completed":
        raise HarnessError(f"eval run {run_id} is {run['status']}, not completed", "export a completed eval run")
    cfg = json.loads(run["config_json"] or "{}")
    tasks = store.query("SELECT * FROM eval_tasks WHERE run_id = ? ORDER BY task", [run_id])
    rows = store.query("SELECT * FROM eval_results WHERE run_id = ? ORDER BY task, metric, filter", [run_id])
    out: dict[str, Any] = {"results": {}, "group_subtasks": {}, "configs": {}, "versions": {}, "n-shot": {},
                           "higher_is_better": {}, "n-samples": {}}
    for t in tasks:
        config = json.loads(t["config_json"] or "{}")
        out["configs"][t["task"]] = config
        out["versions"][t["task"]] = (config.get("metadata") or {}).get("version")
        out["n-shot"][t["task"]] = config.get("num_fewshot")
        out["group_subtasks"].setdefault(t["suite"] or t["task"], []).append(t["task"])
    for r in rows:
        task = out["results"].setdefault(r["task"], {"alias": r["task"]})
        task[f"{r['metric']},{r['filter']}"] = r["value"]
        task[f"{r['metric']}_stderr,{r['filter']}"] = _stderr(r["stderr"])
        out["higher_is_better"].setdefault(r["task"], {})[r["metric"]] = r["higher_is_better"]
        if r["n"] is not None:  # lm-eval's one count per task: its largest metric's (a metric may skip items)
            n = max(r["n"], (out["n-samples"].get(r["task"]) or {}).get("effective") or 0)
            out["n-samples"][r["task"]] = {"original": n, "effective": n}
    backend = (cfg.get("backend") or {}).get("name", "hf")
    started = run["started_at"]
    out["config"] = {"model": backend, "model_args": cfg.get("model"), "limit": cfg.get("limit"),
                     "batch_size": cfg.get("batch_size"), "fewshot_seed": next(
                         (c.get("fewshot_seed") for c in out["configs"].values() if "fewshot_seed" in c), None)}
    out["lm_eval_version"] = next((t["lm_eval_version"] for t in tasks if t["lm_eval_version"]), None)
    out["date"] = started.replace(tzinfo=UTC).timestamp() if isinstance(started, datetime) else None
    out["model_name"] = cfg.get("model") or run["model_id"]
    out["harness"] = {"run_id": run_id, "model_id": run["model_id"], "suites": cfg.get("suites")}
    return out


def _logged_value(metric: str, value: Any, weight: Any) -> Any:
    """What lm-eval logs per item: the value, or for perplexity-type metrics (loglikelihood, weight), the
    inverse of runner.ROLLING_ITEM_VALUE."""
    if weight is None or value is None or not weight:
        return value
    if metric == "bits_per_byte":
        return [-value * weight * math.log(2), weight]
    if metric in ("word_perplexity", "byte_perplexity") and value > 0:
        return [-weight * math.log(value), weight]
    return value


def _sample_line(row: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    return {"doc_id": row["doc_id"], "doc_hash": row["doc_hash"], "prompt_hash": row["prompt_hash"],
            "filter": row["filter"], "target": row["target"], "arguments": {"gen_args_0": {"arg_0": row["prompt"]}},
            "filtered_resps": [row["prediction"]], "metrics": sorted(metrics), **metrics}


def export_run(store: Store, run_id: str, out_dir: Path, *, samples: bool = True) -> list[Path]:
    """Write `results_<stamp>.json` (and, with `samples`, one `samples_<task>_<stamp>.jsonl` per task, lm-eval's
    layout) into `out_dir`; returns the files written."""
    data = results_json(store, run_id)
    stamp = datetime.fromtimestamp(data["date"] or 0, UTC).strftime("%Y-%m-%dT%H-%M-%S.%f")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_file = out_dir / f"results_{stamp}.json"
    results_file.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    written = [results_file]
    if samples:
        rows = store.query("SELECT * FROM eval_samples WHERE run_id = ? ORDER BY task, doc_id, filter, metric",
                           [run_id])
        by_doc: dict[tuple[str, Any, Any], tuple[dict[str, Any], dict[str, Any]]] = {}
        for r in rows:
            key = (r["task"], r["doc_hash"], r["filter"])
            first, metrics = by_doc.setdefault(key, (r, {}))
            metrics[r["metric"]] = _logged_value(r["metric"], r["value"], r["weight"])
        for task in sorted({k[0] for k in by_doc}):
            path = out_dir / f"samples_{task}_{stamp}.jsonl"
            with open(path, "w", encoding="utf-8") as fh:
                for (t, _, _), (first, metrics) in by_doc.items():
                    if t == task:
                        fh.write(json.dumps(_sample_line(first, metrics), default=str) + "\n")
            written.append(path)
    return written
