"""The domain pipeline: base model → prep (datasets) → stages (method + dataset + config + parent) → evals →
comparison.

Everything is validated before the store is touched, every stage output is addressed by a fingerprint of
its inputs (method, config, data hash, parent model, seed, library versions) and reused when unchanged.
Stage outputs that lm-eval can score are evaluated with the domain and regression suites; a method producing
something else (a reward model, a classifier) evaluates its output with its own `evaluate` hook, which writes
the same store tables."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.config_io import deep_merge, parse_overrides, validate
from harness.console import console
from harness.data.loaders import GLOB_CHARS
from harness.device import DevicePlan, plan_device
from harness.domains import BASE, Domain, Manifest, load_domain
from harness.errors import HarnessError
from harness.file_checks import describe_non_file
from harness.fingerprint import fingerprint, library_versions
from harness.methods import Method, get_method, load_method_config
from harness.models.refs import ModelRef, resolve_model
from harness.paths import cache_dir
from harness.store import Store


class PipelineOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str
    base_model: str = "default"
    stages: list[str] | None = None  # None = the manifest's stages
    sources: list[str] = Field(default_factory=list)  # DATASET=PATH (or STAGE=PATH: that stage's dataset)
    overrides: list[str] = Field(default_factory=list)  # --set key=value
    device: str = "auto"
    evaluate: bool = True
    eval_stages: Literal["all", "final"] = "final"  # stages evaluated besides the base (stages_to_evaluate)
    eval_limit: int | float | None = None
    trust_remote_code: bool = False
    progress: bool = True
    quiet: bool = True  # library output to a log file; the terminal keeps tables, progress lines, warnings once
    launcher: str = "none"  # none | accelerate: each training stage under `accelerate launch` (harness/distributed)
    accelerate_config: Path | None = None  # the accelerate yaml for launcher=accelerate


@dataclass
class StagePlan:
    stage: str
    method: Method
    config: Any
    dataset: str
    parent: str  # a stage name or `base`
    models: dict[str, str] = field(default_factory=dict)  # extra models by role (teacher, reward): stage or ref

    @property
    def module(self) -> Any:
        return self.method.module


@dataclass
class PipelineResult:
    ok: bool
    base: ModelRef
    models: dict[str, ModelRef] = field(default_factory=dict)  # stage -> model
    train_runs: dict[str, str] = field(default_factory=dict)
    eval_runs: dict[str, str] = field(default_factory=dict)  # "base" | stage -> eval run id
    own_evals: set[str] = field(default_factory=set)  # stages evaluated by their method's hook, not lm-eval
    comparison: Any = None
    seconds: dict[str, float] = field(default_factory=dict)
    gate_exit: int | None = None  # the domain gate on final vs base (full evaluations only)


def _apply_sources(manifest_data: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    datasets = manifest_data.setdefault("datasets", {})
    stages = manifest_data.get("stages", {})
    for item in sources:
        if "=" not in item:
            raise HarnessError(f"--source '{item}' is not DATASET=PATH", "write e.g. --source chats=data/chats.jsonl")
        name, path = item.split("=", 1)
        if name not in datasets and name in stages:  # a stage name means the dataset that stage reads
            name = stages[name]["data"]
        if name not in datasets:
            raise HarnessError(f"--source names '{name}', which is neither a dataset nor a stage of the domain",
                               f"use one of the datasets: {', '.join(datasets) or '(none)'}")
        problem = None if any(c in path for c in GLOB_CHARS) else describe_non_file(Path(path).expanduser())
        if problem and not problem.startswith("is a folder"):  # a folder: its data files, or a saved HF dataset
            raise HarnessError(f"data file {path} {problem}", "check the path passed with --source")
        datasets[name] = {**datasets[name], "source": "file", "path": str(Path(path).expanduser().resolve())}
    return manifest_data


def plan_stage(domain: Domain, stage: str, overrides: dict[str, Any] | None = None) -> StagePlan:
    """A stage's method, config and dataset, checked against each other (kind the method reads, models it needs)."""
    spec = domain.stage(stage)
    method = get_method(spec.method)
    dataset = domain.manifest.datasets[spec.data]
    if dataset.kind not in method.reads:
        raise HarnessError(f"stage '{stage}' runs method '{method.name}' on dataset '{spec.data}' of kind "
                           f"'{dataset.kind}', but {method.name} reads {', '.join(method.reads)}",
                           f"point stage '{stage}' at a dataset of kind {' or '.join(method.reads)}, or change the "
                           "dataset's `kind:` (records of another kind are converted when possible)")
    missing = [r for r in method.needs if r not in ("policy", "reference") and r not in spec.models]
    if missing:
        raise HarnessError(f"stage '{stage}' (method {method.name}) needs a {missing[0]} model",
                           f"add `models: {{{missing[0]}: <model ref>}}` to stage '{stage}' in the manifest")
    config_path = domain.stage_config_path(stage)
    cfg = load_method_config(method, config_path, overrides,
                             source=f"stage '{stage}' config ({method.name} defaults + --set)")
    models = {role: ref for role, ref in spec.models.items() if role in method.needs}
    return StagePlan(stage, method, cfg, spec.data, domain.manifest.parent_of(stage), models)


def plan_pipeline(opts: PipelineOptions) -> tuple[Domain, list[StagePlan]]:
    """Resolve domain, manifest overrides and every stage config; raises HarnessError before any work."""
    domain = load_domain(opts.domain)
    overrides = parse_overrides(opts.overrides)
    stage_names = list(domain.manifest.stages) if opts.stages is None else opts.stages
    manifest_over = {k: v for k, v in overrides.items() if k not in domain.manifest.stages}
    if manifest_over or opts.sources:
        data = deep_merge(domain.manifest.model_dump(), manifest_over)
        data = _apply_sources(data, opts.sources)
        domain = Domain(domain.root, validate(Manifest, data, f"{domain.root / 'manifest.yaml'} + --set/--source"))
    plans = [plan_stage(domain, stage, overrides.get(stage)) for stage in stage_names]
    return domain, plans


def stages_to_evaluate(plans: list[StagePlan], mode: Literal["all", "final"]) -> list[str]:
    """The stages evaluated besides the base, in plan order. `all`: every stage (the table shows base vs each).
    `final` (the demos' default): the last stage lm-eval can score, the one the verdicts and the gate compare with
    the base, plus stages with their own evaluation (a classifier head is a product of its own, and its evaluation
    takes seconds); each intermediate lm-eval pass costs as much as the final one and feeds no decision."""
    if mode == "all":
        return [p.stage for p in plans]
    last = [p.stage for p in plans if p.method.lm_eval][-1:]
    return [p.stage for p in plans if p.stage in last or (not p.method.lm_eval and p.method.evaluate is not None)]


def _stage_dir(domain: str, stage: str, fp: str) -> Path:
    return cache_dir() / "stages" / f"{domain}-{stage}-{fp}"


def _record_model(store: Store, ref: ModelRef, *, base_ref: str | None, method: str,
                  n_params: int | None = None, trainable: int | None = None) -> None:
    store.add_model(ref.model_id, ref.path, base_ref=base_ref, method=method, is_adapter=False,
                    n_params=n_params, trainable_params=trainable, fingerprint=ref.model_id)


def resolve_stage_models(plan: StagePlan, domain: Domain, trained: dict[str, ModelRef], *, db: Path | None,
                         trust_remote_code: bool = False) -> dict[str, ModelRef]:
    """The stage's extra models by role: a stage of this run, another stage of the domain (`DOMAIN:STAGE` in the
    store or cache), or any model ref (`default`, a folder, a hub id)."""
    out: dict[str, ModelRef] = {}
    for role, ref in plan.models.items():
        if ref in trained:
            out[role] = trained[ref]
            continue
        name = f"{domain.name}:{ref}" if ref in domain.manifest.stages else ref
        out[role] = resolve_model(name, trust_remote_code=trust_remote_code, store=lookup_store(db))
    return out


def run_stage(store: Store, domain: Domain, plan: StagePlan, parent: ModelRef, data: Any,
              device: DevicePlan, progress: bool = True, log_file: Path | None = None,
              launcher: Any = None, models: dict[str, ModelRef] | None = None) -> tuple[ModelRef, str]:
    """Train one stage, or reuse its cached output; returns the stage model and its train run id. `launcher`
    (harness.distributed.launch.AccelerateLauncher) runs the method under `accelerate launch`. `models` are the
    extra models by role (resolve_stage_models); their ids join the fingerprint."""
    train_path, val_path = data.paths(plan.dataset)
    data_hash = data.dataset(plan.dataset).data_hash
    # the launch setup (process count: the global batch) joins the fingerprint; one-process ones are unchanged
    launch_id = () if launcher is None else (launcher.identity(),)
    extra_ids = {role: ref.model_id for role, ref in sorted((models or {}).items())}
    fp = fingerprint(plan.stage, plan.method.name, plan.config, data_hash, parent.model_id, device.dtype_name,
                     library_versions(), *launch_id, *([extra_ids] if extra_ids else []))
    out_dir = _stage_dir(domain.name, plan.stage, fp)
    meta_file = out_dir / "stage.json"
    config = {"method": plan.method.name, "dataset": plan.dataset, "config": plan.config.model_dump(mode="json"),
              "parent": parent.ref, "parent_stage": plan.parent, "trust_remote_code": parent.trust_remote_code,
              "log_file": None if log_file is None else str(log_file),
              **({} if launcher is None else {"launch": launcher.identity()})}
    if models:
        config["models"] = {role: {"ref": ref.ref, "model_id": ref.model_id} for role, ref in models.items()}
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
        # metrics_json was saved as the store's JSON text: back to an object, or the store would encode it twice
        store.add_train_logs([{**row, "run_id": run_id, "metrics_json": json.loads(row["metrics_json"])
                               if isinstance(row.get("metrics_json"), str) else row.get("metrics_json")}
                              for row in logs])
        _record_model(store, ref, base_ref=parent.path, method=meta.get("method", "full"),
                      n_params=meta.get("n_params"), trainable=meta.get("trainable_params"))
        store.finish_run(run_id, model_id=ref.model_id)
        return ref, run_id

    with store.tracked_run("train", domain=domain.name, stage=plan.stage, config=config,
                           parent_model_id=parent.model_id, fingerprint=fp, data_hash=data_hash, seed=seed,
                           output_path=out_dir) as run_id:
        tmp_dir = out_dir.with_name(out_dir.name + ".partial")
        extra = {"models": {role: ref.path for role, ref in models.items()}} if models else {}
        if launcher is None:
            output = plan.method.run(plan.config, model_path=parent.path, train_path=train_path,
                                     validation_path=val_path, output_dir=tmp_dir, store=store, run_id=run_id,
                                     device=device, trust_remote_code=parent.trust_remote_code, progress=progress,
                                     **extra)
        else:
            from harness.distributed.stage import launch_stage

            output = launch_stage(launcher, plan.method, plan.config, model_path=parent.path,
                                  train_path=train_path, validation_path=val_path, output_dir=tmp_dir, store=store,
                                  run_id=run_id, device=device, trust_remote_code=parent.trust_remote_code,
                                  progress=progress, **extra)
        model_id = f"{domain.name}-{plan.stage}-{fp}"
        final_model = out_dir / Path(output.model_path).relative_to(tmp_dir)
        logs = store.query("SELECT step, epoch, split, loss, learning_rate, grad_norm, tokens_seen, metrics_json"
                           " FROM train_logs WHERE run_id = ? ORDER BY step", [run_id])
        (tmp_dir / "train_logs.json").write_text(json.dumps(logs, default=str))
        meta = {"model_path": str(final_model), "model_id": model_id, "domain": domain.name, "stage": plan.stage,
                "recipe": plan.method.name, "produces": plan.method.produces,
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


def lookup_store(db: Path | None) -> Store | None:
    """The store opened read-only to resolve `--model RUN_ID | DOMAIN:STAGE`, or None when it does not exist."""
    from harness.paths import default_store_path

    path = Path(db) if db is not None else default_store_path()
    return Store(path, read_only=True) if path.exists() else None


def _max_lengths(plans: list[StagePlan]) -> dict[str, int]:
    """Per dataset, the longest max_length of the stages reading it (for token statistics)."""
    out: dict[str, int] = {}
    for p in plans:
        length = getattr(p.config, "max_length", None)
        if isinstance(length, int):
            out[p.dataset] = max(out.get(p.dataset, 0), length)
    return out


def print_trained(domain: Domain, plans: list[StagePlan], result: PipelineResult) -> None:
    """What training produced and how to use it: `--model <domain>:<stage>` or the run id."""
    from rich.table import Table

    table = Table("stage", "method", "produces", "train run", "model (use with --model)", "folder",
                  title=f"{domain.name}: trained models", title_justify="left")
    for plan in plans:
        ref = result.models[plan.stage]
        table.add_row(plan.stage, plan.method.name, plan.method.produces, result.train_runs[plan.stage],
                      f"{domain.name}:{plan.stage}", ref.path)
    console.print(table)


def run_pipeline(opts: PipelineOptions, db: Path | None) -> PipelineResult:
    """Plan (all input errors surface here), then run with library output in a log file (harness.runlog)."""
    from harness.distributed.launch import load_launcher
    from harness.runlog import new_log_file, quiet_run

    t0 = time.perf_counter()
    device = plan_device(opts.device)
    domain, plans = plan_pipeline(opts)
    launcher = load_launcher(opts.launcher, opts.accelerate_config)  # a bad launch config fails before any run
    console.rule(f"[bold]{domain.name}[/bold] on {opts.base_model} ({device.device}, {device.dtype_name})")
    log_file = new_log_file(domain.name)
    if opts.quiet:
        console.print(f"full logs: {log_file}", highlight=False)
    with quiet_run(log_file, enabled=opts.quiet):
        return _run_planned(opts, db, domain, plans, device, t0, log_file, launcher)


def _run_planned(opts: PipelineOptions, db: Path | None, domain: Domain, plans: list[StagePlan], device: DevicePlan,
                 t0: float, log_file: Path, launcher: Any = None) -> PipelineResult:
    from harness.prep import prepare_domain, record_prep

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    data = prepare_domain(domain)  # bad data, broken hooks fail here: before any model build or store write
    seconds["prep"] = time.perf_counter() - t
    t = time.perf_counter()
    base = resolve_model(opts.base_model, trust_remote_code=opts.trust_remote_code, progress=opts.progress,
                         store=lookup_store(db))
    seconds["base_model"] = time.perf_counter() - t
    t = time.perf_counter()
    from harness.token_report import add_token_reports

    add_token_reports(data, base.path, _max_lengths(plans), base.trust_remote_code)
    seconds["prep"] += time.perf_counter() - t
    for warning in data.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    store = Store(db)
    record_prep(store, data, seed=domain.manifest.seed)
    _record_model(store, base, base_ref=None, method=base.method)
    result = PipelineResult(ok=True, base=base)
    for plan in plans:
        t = time.perf_counter()
        parent = result.models.get(plan.parent, base)  # a parent stage outside this run: start from --model
        console.print(f"[bold]stage {plan.stage}[/bold] ({plan.method.name} on {plan.dataset}) ← {parent.model_id}")
        extra = resolve_stage_models(plan, domain, result.models, db=db, trust_remote_code=opts.trust_remote_code)
        ref, run_id = run_stage(store, domain, plan, parent, data, device, opts.progress, log_file, launcher, extra)
        if plan.method.after_train is not None:
            plan.method.after_train(store, ref, parent, domain=domain.name, stage=plan.stage,
                                    parent_stage=plan.parent)
        result.models[plan.stage] = ref
        result.train_runs[plan.stage] = run_id
        seconds[f"train_{plan.stage}"] = time.perf_counter() - t
    if plans:
        print_trained(domain, plans, result)

    if opts.evaluate:
        from harness.evaluation import run_eval

        suites = domain.manifest.suites + domain.manifest.regression_suites
        methods = {p.stage: p.method for p in plans}
        chosen = stages_to_evaluate(plans, opts.eval_stages)
        skipped = [p.stage for p in plans if p.stage not in chosen]
        if skipped:
            console.print(f"eval: base and {', '.join(chosen) or 'no stage'} (--eval-stages {opts.eval_stages}); "
                          f"not evaluated: {', '.join(skipped)}", highlight=False)
        for name, ref in [(BASE, base), *((s, result.models[s]) for s in chosen)]:
            t = time.perf_counter()
            method = methods.get(name)
            if method is not None and not method.lm_eval:
                if method.evaluate is None:
                    console.print(f"[yellow]eval {name} skipped[/yellow]: method {method.name} produces a "
                                  f"{method.produces} and declares no evaluation")
                    continue
                console.print(f"[bold]eval {name}[/bold] with {method.name}'s own evaluation")
                plan = next(p for p in plans if p.stage == name)
                summary = method.evaluate(store, ref, domain=domain, stage=name, paths=data.paths(plan.dataset),
                                          limit=opts.eval_limit, device=device)
                result.own_evals.add(name)
            else:
                console.print(f"[bold]eval {name}[/bold] on {', '.join(suites)}")
                summary = run_eval(store, ref, suites, limit=opts.eval_limit, device=device, domain=domain.name,
                                   stage=name)
            result.eval_runs[name] = summary.run_id
            seconds[f"eval_{name}"] = time.perf_counter() - t
        from harness.summary import print_pipeline_summary, print_same_items

        scored = [s for s in result.eval_runs if s not in result.own_evals]  # base + stages lm-eval scored
        if len(scored) < 2:
            console.print("no stage output lm-eval can score: no base-vs-stage table or gate (compare the own "
                          "evaluations with `harness compare RUN_A RUN_B`)")
        else:
            result.comparison, result.ok = print_pipeline_summary(store, domain, result)
            print_same_items(store, domain, result)
        policy = domain.path(domain.manifest.gate_policy) if domain.manifest.gate_policy else None
        if policy is not None and policy.exists() and opts.eval_limit is None and len(scored) > 1:
            from harness.gate.cli import run_gate_command  # (a --limit run has too few items for the gate)

            final = scored[-1]
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
        add_token_reports(data, tokenizer_path, _max_lengths(plans), trust_remote_code)
    record_prep(Store(db), data, seed=domain.manifest.seed)
    print_prep_report(data, console)
    if tokenizer_path:
        console.print(token_table(data))
        console.print(histogram_table(data))
    else:
        console.print("token statistics skipped: pass --model (or build the default with `harness model build`)")
