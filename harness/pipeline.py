"""The domain pipeline: base model → prep → stages (CPT → SFT → DPO) → evals → comparison.

Everything is validated before the store is touched, every stage output is addressed by a fingerprint of
its inputs (config, data hash, parent model, seed, library versions) and reused when unchanged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.config_io import deep_merge, parse_overrides, validate
from harness.console import console
from harness.device import DevicePlan, plan_device
from harness.domains import Domain, Manifest, load_domain
from harness.errors import HarnessError
from harness.file_checks import describe_non_file
from harness.fingerprint import fingerprint, library_versions
from harness.models.refs import ModelRef, resolve_model
from harness.paths import cache_dir
from harness.recipes import STAGES, load_recipe_config, recipe
from harness.store import Store


class PipelineOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str
    base_model: str = "default"
    stages: list[str] | None = None  # None = the manifest's stages
    sources: list[str] = Field(default_factory=list)  # STAGE=PATH
    overrides: list[str] = Field(default_factory=list)  # --set key=value
    device: str = "auto"
    evaluate: bool = True
    eval_limit: int | float | None = None
    trust_remote_code: bool = False
    progress: bool = True


@dataclass
class StagePlan:
    stage: str
    module: Any
    config: Any


@dataclass
class PipelineResult:
    ok: bool
    base: ModelRef
    models: dict[str, ModelRef] = field(default_factory=dict)  # stage -> model
    train_runs: dict[str, str] = field(default_factory=dict)
    eval_runs: dict[str, str] = field(default_factory=dict)  # "base" | stage -> eval run id
    comparison: Any = None
    seconds: dict[str, float] = field(default_factory=dict)
    gate_exit: int | None = None  # the domain gate on final vs base (full evaluations only)


def _apply_sources(manifest_data: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    for item in sources:
        if "=" not in item:
            raise HarnessError(f"--source '{item}' is not STAGE=PATH", "write e.g. --source sft=data/chats.jsonl")
        stage, path = item.split("=", 1)
        problem = describe_non_file(Path(path).expanduser())
        if problem and not problem.startswith("is a folder"):  # a folder may be a saved HF dataset
            raise HarnessError(f"data file {path} {problem}", "check the path passed with --source")
        spec = dict(manifest_data.get("data", {}).get(stage, {}))
        spec.update({"source": "file", "path": str(Path(path).expanduser().resolve())})
        manifest_data.setdefault("data", {})[stage] = spec
    return manifest_data


def plan_pipeline(opts: PipelineOptions) -> tuple[Domain, list[StagePlan]]:
    """Resolve domain, manifest overrides and every stage config; raises HarnessError before any work."""
    domain = load_domain(opts.domain)
    overrides = parse_overrides(opts.overrides)
    stage_names = domain.manifest.stages if opts.stages is None else opts.stages
    manifest_over = {k: v for k, v in overrides.items() if k not in STAGES}
    if manifest_over or opts.sources:
        data = deep_merge(domain.manifest.model_dump(), manifest_over)
        data = _apply_sources(data, opts.sources)
        domain = Domain(domain.root, validate(Manifest, data, f"{domain.root / 'manifest.yaml'} + --set/--source"))
    plans = []
    for stage in stage_names:
        if stage not in domain.manifest.stages:
            raise HarnessError(f"domain '{domain.name}' has no stage '{stage}'",
                               f"use one of: {', '.join(domain.manifest.stages)}")
        cfg = load_recipe_config(stage, domain.recipe_path(stage), overrides.get(stage))
        plans.append(StagePlan(stage, recipe(stage), cfg))
    return domain, plans


def _stage_dir(domain: str, stage: str, fp: str) -> Path:
    return cache_dir() / "stages" / f"{domain}-{stage}-{fp}"


def _record_model(store: Store, ref: ModelRef, *, base_ref: str | None, method: str,
                  n_params: int | None = None, trainable: int | None = None) -> None:
    store.add_model(ref.model_id, ref.path, base_ref=base_ref, method=method, is_adapter=False,
                    n_params=n_params, trainable_params=trainable, fingerprint=ref.model_id)


def run_stage(store: Store, domain: Domain, plan: StagePlan, parent: ModelRef, data: Any,
              device: DevicePlan, progress: bool = True) -> tuple[ModelRef, str]:
    """Train one stage, or reuse its cached output; returns the stage model and its train run id."""
    train_path, val_path = data.stage_paths(plan.stage)
    data_hash = data.stage_hash(plan.stage)
    fp = fingerprint(plan.stage, plan.config, data_hash, parent.model_id, device.dtype_name, library_versions())
    out_dir = _stage_dir(domain.name, plan.stage, fp)
    meta_file = out_dir / "stage.json"
    config = {"recipe": plan.stage, "config": plan.config.model_dump(mode="json"), "parent": parent.ref}
    seed = getattr(plan.config, "seed", None)
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        ref = ModelRef(meta["model_path"], meta["model_path"], meta["model_id"], "stage",
                       trust_remote_code=parent.trust_remote_code)
        known = store.query("SELECT run_id FROM runs WHERE kind = 'train' AND status = 'completed' AND model_id = ?"
                            " ORDER BY started_at DESC LIMIT 1", [ref.model_id])
        if known:
            return ref, known[0]["run_id"]
        # Cached output from another store: record the run with the curves saved next to the model.
        run_id = store.start_run("train", domain=domain.name, stage=plan.stage, config={**config, "reused": True},
                                 parent_model_id=parent.model_id, fingerprint=fp, data_hash=data_hash, seed=seed,
                                 output_path=out_dir)
        logs = json.loads((out_dir / "train_logs.json").read_text()) if (out_dir / "train_logs.json").exists() else []
        store.add_train_logs([{**row, "run_id": run_id} for row in logs])
        _record_model(store, ref, base_ref=parent.path, method=meta.get("method", "full"),
                      n_params=meta.get("n_params"), trainable=meta.get("trainable_params"))
        store.finish_run(run_id, model_id=ref.model_id)
        return ref, run_id

    with store.tracked_run("train", domain=domain.name, stage=plan.stage, config=config,
                           parent_model_id=parent.model_id, fingerprint=fp, data_hash=data_hash, seed=seed,
                           output_path=out_dir) as run_id:
        tmp_dir = out_dir.with_name(out_dir.name + ".partial")
        output = plan.module.run(plan.config, model_path=parent.path, train_path=train_path,
                                 validation_path=val_path, output_dir=tmp_dir, store=store, run_id=run_id,
                                 device=device, trust_remote_code=parent.trust_remote_code, progress=progress)
        model_id = f"{domain.name}-{plan.stage}-{fp}"
        final_model = out_dir / Path(output.model_path).relative_to(tmp_dir)
        logs = store.query("SELECT step, epoch, split, loss, learning_rate, grad_norm, tokens_seen, metrics_json"
                           " FROM train_logs WHERE run_id = ? ORDER BY step", [run_id])
        (tmp_dir / "train_logs.json").write_text(json.dumps(logs, default=str))
        meta = {"model_path": str(final_model), "model_id": model_id, "stage": plan.stage,
                "method": "lora" if output.adapter_path else "full", "n_params": output.n_params,
                "trainable_params": output.trainable_params, "parent": parent.model_id, "fingerprint": fp,
                "adapter_path": None if not output.adapter_path else
                str(out_dir / Path(output.adapter_path).relative_to(tmp_dir))}
        (tmp_dir / "stage.json").write_text(json.dumps(meta, indent=2))
        if out_dir.exists():
            import shutil

            shutil.rmtree(out_dir)
        tmp_dir.rename(out_dir)
        ref = ModelRef(str(final_model), str(final_model), model_id, "stage",
                       trust_remote_code=parent.trust_remote_code)
        _record_model(store, ref, base_ref=parent.path, method=meta["method"], n_params=output.n_params,
                      trainable=output.trainable_params)
        store.finish_run(run_id, model_id=model_id)
    return ref, run_id


def run_pipeline(opts: PipelineOptions, db: Path | None) -> PipelineResult:
    from harness.prep import prepare_domain, record_prep

    t0 = time.perf_counter()
    device = plan_device(opts.device)
    domain, plans = plan_pipeline(opts)
    seconds: dict[str, float] = {}
    console.rule(f"[bold]{domain.name}[/bold] on {opts.base_model} ({device.device}, {device.dtype_name})")
    base = resolve_model(opts.base_model, trust_remote_code=opts.trust_remote_code, progress=opts.progress)
    seconds["base_model"] = time.perf_counter() - t0
    t = time.perf_counter()
    data = prepare_domain(domain)  # bad input fails here, before the store is opened
    from harness.token_report import add_token_reports

    add_token_reports(data, base.path, {p.stage: p.config.max_length for p in plans}, base.trust_remote_code)
    seconds["prep"] = time.perf_counter() - t
    store = Store(db)
    record_prep(store, data, seed=domain.manifest.seed)
    _record_model(store, base, base_ref=None, method=base.method)
    result = PipelineResult(ok=True, base=base)
    parent = base
    for plan in plans:
        t = time.perf_counter()
        console.print(f"[bold]stage {plan.stage}[/bold] ← {parent.model_id}")
        parent, run_id = run_stage(store, domain, plan, parent, data, device, opts.progress)
        result.models[plan.stage] = parent
        result.train_runs[plan.stage] = run_id
        seconds[f"train_{plan.stage}"] = time.perf_counter() - t

    if opts.evaluate:
        from harness.evaluation import run_eval

        suites = domain.manifest.suites + domain.manifest.regression_suites
        for name, ref in [("base", base), *result.models.items()]:
            t = time.perf_counter()
            console.print(f"[bold]eval {name}[/bold] on {', '.join(suites)}")
            summary = run_eval(store, ref, suites, limit=opts.eval_limit, device=device, domain=domain.name,
                               stage=name)
            result.eval_runs[name] = summary.run_id
            seconds[f"eval_{name}"] = time.perf_counter() - t
        from harness.summary import print_pipeline_summary

        result.comparison, result.ok = print_pipeline_summary(store, domain, result)
        policy = domain.path(domain.manifest.gate_policy) if domain.manifest.gate_policy else None
        if policy is not None and policy.exists() and opts.eval_limit is None:  # a --limit run has too few items
            from harness.gate.cli import run_gate_command

            final = list(result.models)[-1] if result.models else "base"
            result.gate_exit = run_gate_command(
                policy=policy, candidate=result.eval_runs[final], baseline=result.eval_runs["base"],
                eval_missing=False, suites=None, junit=None, summary=None, device=opts.device, db=db)
    seconds["total"] = time.perf_counter() - t0
    result.seconds = seconds
    console.print("timings (s): " + ", ".join(f"{k}={v:.0f}" for k, v in seconds.items()))
    return result


def prep_domain_cli(domain_name: str, *, sources: list[str], overrides: list[str], db: Path | None,
                    model: str | None = None, trust_remote_code: bool = False) -> None:
    """Prepare, add token statistics with `model`'s tokenizer (the embedded default when already built),
    store the data reports, print them."""
    from harness.prep import prepare_domain, print_prep_report, record_prep
    from harness.token_report import add_token_reports, histogram_table, token_table

    opts = PipelineOptions(domain=domain_name, sources=sources, overrides=overrides)
    domain, plans = plan_pipeline(opts)
    tokenizer_path = None
    if model is not None:
        tokenizer_path = resolve_model(model, trust_remote_code=trust_remote_code).path
    else:
        from harness.models.embedded import embedded_model_dir

        built = embedded_model_dir("default")
        tokenizer_path = str(built) if (built / "config.json").exists() else None
    data = prepare_domain(domain)
    if tokenizer_path:
        add_token_reports(data, tokenizer_path, {p.stage: p.config.max_length for p in plans}, trust_remote_code)
    record_prep(Store(db), data, seed=domain.manifest.seed)
    print_prep_report(data, console)
    if tokenizer_path:
        console.print(token_table(data))
        console.print(histogram_table(data))
    else:
        console.print("token statistics skipped: pass --model (or build the default with `harness model build`)")
