"""`harness` command line. Heavy libraries are imported inside commands so `--help` stays fast."""

from __future__ import annotations

import os
import sys

# Before torch is imported: with spinning OpenMP waits, one training step took >10x longer whenever another
# process shared the 2 CPU cores; passive waiting keeps steps fast on busy machines.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from pathlib import Path
from typing import Annotated

import typer

from harness.console import console, err_console
from harness.errors import HarnessError

app = typer.Typer(
    help="Evaluation-driven domain adaptation: prep, train (`harness methods`), evaluate, compare, gate. "
    "Every config field with its doc: `harness config show DOMAIN`. New domain: `harness domain new NAME`.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich",
)
model_app = typer.Typer(help="The embedded default model and named pretrained models.", no_args_is_help=True)
app.add_typer(model_app, name="model")
domain_app = typer.Typer(help="Create domains.", no_args_is_help=True)
app.add_typer(domain_app, name="domain")
config_app = typer.Typer(help="Show resolved configuration and its schema.", no_args_is_help=True)
app.add_typer(config_app, name="config")

DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB store file [env HARNESS_DB].")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="`default`, `default:micro`, `smollm2-135m`, a trained "
                                       "stage (`DOMAIN:STAGE`, its train run id or its folder), a local HF folder, "
                                       "a PEFT adapter folder, or a cached hub id.")]
TrustOpt = Annotated[bool, typer.Option("--trust-remote-code", help="Allow model code from the model repo.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto | cpu | cuda.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override config: stage.key=value (repeatable).")]
LauncherOpt = Annotated[str, typer.Option("--launcher", help="none | accelerate: run each training stage (eval: the "
                                          "hf backend, data parallel) under `accelerate launch`.")]
AccelerateOpt = Annotated[Path | None, typer.Option("--config", help="accelerate yaml for --launcher accelerate "
                                                    "(examples/accelerate/: ddp, fsdp, deepspeed_zero2/3, cpu_ddp).")]
SharedOpt = Annotated[str | None, typer.Option("--shared", help="Shared store folder [env HARNESS_SHARED_STORE].")]


def _store(db: Path | None):
    from harness.store import Store

    return Store(db)


@model_app.command("build")
def model_build(
    preset: Annotated[str, typer.Option(help="Preset: default | micro.")] = "default",
    force: Annotated[bool, typer.Option(help="Rebuild even when cached.")] = False,
) -> None:
    """Build (or reuse) the embedded default model: tokenizer + small Llama pretrained on a general corpus.

    Example: harness model build --preset default
    """
    import json

    from harness.models.embedded import PRESETS, build_embedded_model

    if preset not in PRESETS:
        raise HarnessError(f"unknown preset '{preset}'", f"use one of: {', '.join(PRESETS)}")
    folder = build_embedded_model(preset, force=force)
    meta = json.loads((folder / "harness_model.json").read_text())
    console.print(f"[green]model ready[/green] {folder}")
    console.print({k: meta[k] for k in meta if k in {"fingerprint", "n_params", "build_seconds", "final_loss"}})


@model_app.command("path")
def model_path(model: Annotated[str, typer.Argument(help="Any --model value, e.g. smollm2-135m or default.")]) -> None:
    """Print the folder a model resolves to (fetching/converting/building it first when needed), e.g. for
    plain `lm_eval --model_args pretrained=$(harness model path smollm2-135m)`.

    Example: harness model path smollm2-135m
    """
    from harness.models.refs import resolve_model

    print(resolve_model(model, progress=False).path)


@app.command("domains")
def domains() -> None:
    """List the domains: ./domains of this folder, HARNESS_DOMAINS_DIR, and the built-in ones.

    Example: harness domains
    """
    from rich.table import Table

    from harness.domains import list_domains, load_domain

    table = Table("domain", "datasets", "stages (method ← dataset)", "suites", "folder", "description")
    for name in list_domains():
        try:
            d = load_domain(name)
        except HarnessError as exc:  # one broken manifest must not hide the others
            table.add_row(name, "", "", "", "", f"[red]invalid[/red]: {exc.problem}")
            continue
        m = d.manifest
        table.add_row(name, ", ".join(f"{k} ({v.kind})" for k, v in m.datasets.items()),
                      ", ".join(f"{k} ({v.method} ← {v.data})" for k, v in m.stages.items()),
                      ", ".join(m.suites + m.regression_suites), str(d.root), m.description)
    console.print(table)


@domain_app.command("new")
def domain_new(
    name: Annotated[str, typer.Argument(help="Domain name (lowercase letters, digits, _).")],
    root: Annotated[Path | None, typer.Option(help="Parent folder (default: ./domains).")] = None,
) -> None:
    """Scaffold a domain that runs at once: manifest, stub generator, recipes, gate policy and an lm-eval suite.

    Example: harness domain new acme && harness demo --domain acme --model default:micro
    """
    from harness.scaffold import new_domain

    folder = new_domain(name, root)
    console.print(f"[green]domain ready[/green] {folder}")
    console.print(f"next: harness demo --domain {name} --model default:micro   (then edit {folder / 'hooks.py'})")


@app.command("methods")
def methods(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the training methods: the dataset kinds each reads and what it produces.

    Example: harness methods --json
    """
    import json

    from rich.table import Table

    from harness.methods import discover

    found = discover()
    if as_json:
        print(json.dumps([m.to_json() for m in found.values()], indent=2))
        return
    table = Table("method", "reads", "produces", "needs", "config", "summary")
    for m in found.values():
        table.add_row(m.name, ", ".join(m.reads), m.produces, ", ".join(m.needs), m.config.__name__, m.summary)
    console.print(table)


@config_app.command("show")
def config_show(
    domain: Annotated[str, typer.Argument(help="Domain name.")],
    set_: SetOpt = None,
    schema: Annotated[bool, typer.Option("--schema/--no-schema", help="Print each stage's fields with docs.")] = True,
) -> None:
    """Print a domain's resolved manifest and each stage's config (value, default, doc of every field).

    Example: harness config show support_chat --set sft.max_steps=20
    """
    import yaml
    from rich.table import Table

    from harness.domains import DatasetSpec, Manifest, StageSpec
    from harness.methods import schema_rows
    from harness.pipeline import PipelineOptions, plan_pipeline

    d, plans = plan_pipeline(PipelineOptions(domain=domain, overrides=set_ or []))
    console.rule(f"manifest: {d.root / 'manifest.yaml'} (resolved)")
    console.print(yaml.safe_dump(d.manifest.model_dump(mode="json", exclude_defaults=False), sort_keys=False,
                                 allow_unicode=True), markup=False, highlight=False)
    if schema:
        for title, cls in (("manifest", Manifest), ("datasets.<name>", DatasetSpec), ("stages.<name>", StageSpec)):
            table = Table("field", "type", "default", "doc", title=f"{title} fields", title_justify="left")
            for row in schema_rows(cls):
                table.add_row(*row)
            console.print(table)
    for plan in plans:
        values = plan.config.model_dump(mode="json")
        table = Table("field", "value", "default", "doc", title=f"stage {plan.stage}: method {plan.method.name} "
                      f"({plan.method.config.__name__}), dataset {plan.dataset}, parent {plan.parent}",
                      title_justify="left")
        for name, _, default, doc in schema_rows(plan.method.config):
            value: object = values
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, dict):
                continue
            table.add_row(name, repr(value), default, doc)
        console.print(table)


@app.command("prep")
def prep(
    domain: Annotated[str, typer.Argument(help="Domain name (see `harness domains`).")],
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Use a file for a dataset: DATASET=PATH (e.g. chats=my_chats.jsonl).")] = None,
    set_: SetOpt = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Tokenizer for token/packing statistics "
                                              "(default: the embedded default model if built).")] = None,
    trust_remote_code: TrustOpt = False,
    db: DbOpt = None,
) -> None:
    """Prepare a domain's datasets (load, clean, split) and print the data report.

    Example: harness prep support_chat --source chats=my_chats.jsonl --set datasets.chats.system="Be brief."
    """
    from harness.pipeline import prep_domain_cli

    prep_domain_cli(domain, sources=source or [], overrides=set_ or [], db=db, model=model,
                    trust_remote_code=trust_remote_code)


@app.command("train")
def train(
    domain: Annotated[str, typer.Argument(help="Domain name.")],
    stage: Annotated[list[str] | None, typer.Option(
        "--stage", help="Stage(s) of the domain to run (repeatable; default: all, in order).")] = None,
    model: ModelOpt = "default",
    source: Annotated[list[str] | None, typer.Option("--source", help="DATASET=PATH data file override.")] = None,
    set_: SetOpt = None,
    device: DeviceOpt = "auto",
    trust_remote_code: TrustOpt = False,
    launcher: LauncherOpt = "none",
    accelerate_config: AccelerateOpt = None,
    db: DbOpt = None,
) -> None:
    """Run a domain's training stages and print what each produced (run id, DOMAIN:STAGE, folder).

    A stage whose parent stage is not part of the run starts from --model. Outputs are cached by fingerprint.

    Example: harness train support_chat --stage sft --model ./my-base --set sft.max_steps=50
    Example: harness train support_chat --stage dpo --model support_chat:sft
    Example: harness train support_chat --launcher accelerate --config examples/accelerate/ddp.yaml
    """
    from harness.pipeline import PipelineOptions, run_pipeline

    stages = None if not stage or stage == ["all"] else stage
    opts = PipelineOptions(domain=domain, base_model=model, stages=stages,
                           sources=source or [], overrides=set_ or [], device=device, evaluate=False,
                           trust_remote_code=trust_remote_code, launcher=launcher,
                           accelerate_config=accelerate_config)
    run_pipeline(opts, db)


@app.command("eval")
def evaluate(
    model: ModelOpt = "default",
    suite: Annotated[
        list[str] | None, typer.Option("--suite", "-s", help="Suite or lm-eval task (repeatable).")
    ] = None,
    limit: Annotated[str | None, typer.Option(help="Items per task (int >= 1) or fraction (0 < F < 1).")] = None,
    device: DeviceOpt = "auto",
    trust_remote_code: TrustOpt = False,
    no_reuse: Annotated[bool, typer.Option("--no-reuse", help="Re-evaluate even if stored.")] = False,
    backend: Annotated[str, typer.Option("--backend", help="hf | vllm: lm-eval's model type.")] = "hf",
    tensor_parallel: Annotated[int, typer.Option("--tensor-parallel", help="vllm: GPUs per model.")] = 1,
    launcher: LauncherOpt = "none",
    accelerate_config: AccelerateOpt = None,
    db: DbOpt = None,
) -> None:
    """Evaluate any model on lm-eval suites and store aggregate and per-item results.

    Example: harness eval --model default --suite support_chat --suite general
    Example: harness eval --model support_chat:sft --suite support_chat
    Example: harness eval --model ./big --backend vllm --tensor-parallel 4
    """
    from harness.cli_args import parse_limit

    lim = parse_limit(limit)  # before the heavy imports, the model, the store or any run row
    suites = suite or ["general"]
    from harness.evaluation.tables import results_table

    if not no_reuse:  # nothing changed: answered from the store, no torch/transformers/lm-eval, no model load
        from harness.evaluation.reuse import QuickRequest, stored_eval

        quick = stored_eval(db, QuickRequest(model, suites, lim, device, backend, tensor_parallel, launcher,
                                                     trust_remote_code))
        if quick is not None:
            console.print(results_table(quick.rows, title=f"{model} — run {quick.run_id} (reused)"))
            return
    from harness.device import plan_device
    from harness.distributed.launch import load_launcher
    from harness.evaluation import run_eval
    from harness.evaluation.backends import make_backend
    from harness.models.refs import resolve_model

    plan = plan_device(device)
    engine = make_backend(backend, tensor_parallel=tensor_parallel, device=plan,
                          launcher=load_launcher(launcher, accelerate_config))
    store = _store(db)
    ref = resolve_model(model, trust_remote_code=trust_remote_code, store=store)
    summary = run_eval(store, ref, suites, limit=lim, device=plan, reuse=not no_reuse, backend=engine)
    console.print(results_table(summary.rows, title=f"{ref.ref} — run {summary.run_id}"
                                + (" (reused)" if summary.reused else "")))


@app.command("runs")
def runs(
    kind: Annotated[str | None, typer.Option(help="Filter: build|prep|train|eval|gate|label.")] = None,
    domain: Annotated[str | None, typer.Option(help="Filter by domain.")] = None,
    last: Annotated[int, typer.Option(help="Show the N most recent.")] = 30,
    db: DbOpt = None,
) -> None:
    """List runs in the store (status, stage, model, timing).

    Example: harness runs --kind eval --last 10
    """
    from rich.table import Table

    from harness.store import Store

    store = Store(db, read_only=True)
    rows = store.query(
        "SELECT run_id, kind, domain, stage, status, model_id, started_at,"
        " date_diff('second', started_at, finished_at) AS seconds, error FROM runs"
        " WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR domain = ?) ORDER BY started_at DESC LIMIT ?",
        [kind, kind, domain, domain, last])
    table = Table("run_id", "kind", "domain", "stage", "status", "model_id", "started", "s", "error")
    colour = {"completed": "green", "failed": "red", "running": "yellow", "abandoned": "magenta"}
    for r in rows:
        table.add_row(r["run_id"], r["kind"], r["domain"] or "", r["stage"] or "",
                      f"[{colour.get(r['status'], 'white')}]{r['status']}[/]", (r["model_id"] or "")[:40],
                      str(r["started_at"])[:19], "" if r["seconds"] is None else str(r["seconds"]),
                      (r["error"] or "")[:60])
    console.print(table)


@app.command("demo")
def demo(
    domain: Annotated[str, typer.Option(help="Domain to run.")] = "support_chat",
    all_: Annotated[bool, typer.Option("--all", help="Every domain, one after another, then one summary table.")]
    = False,
    model: ModelOpt = "default",
    set_: SetOpt = None,
    limit: Annotated[str | None, typer.Option(help="Items per eval task (smoke runs).")] = None,
    device: DeviceOpt = "auto",
    launcher: LauncherOpt = "none",
    accelerate_config: AccelerateOpt = None,
    db: DbOpt = None,
    profile: Annotated[str | None, typer.Option(
        help="A profile of the domain (domains/<domain>/profiles/NAME.yaml): base model, eval limit, --set values.")
    ] = None,
    eval_stages: Annotated[str, typer.Option(
        "--eval-stages", help="Stages evaluated besides the base: final (the last stage lm-eval scores, and "
        "classifier heads) | all (every stage, a table column each).")] = "final",
) -> None:
    """The whole path on the embedded default: build base, prep, run the domain's stages, evaluate, compare.

    Example: harness demo            (embedded default, support_chat)
    Example: harness demo --model default:micro --limit 20   (smoke run)
    Example: harness demo --all   (every domain; closing table: verdicts, forgetting, gate per domain)
    Example: harness demo --eval-stages all   (also evaluate the intermediate stages: a column each)
    Example: harness demo --profile smollm2   (SmolLM2-135M-Instruct, CPU-sized)
    """
    from harness.cli_args import parse_eval_stages, parse_limit

    lim = parse_limit(limit)
    stages_evaluated = parse_eval_stages(eval_stages)
    if all_:
        from harness.demo_all import run_all

        rows = run_all(model=model, overrides=set_ or [], device=device, limit=lim, db=db,
                       eval_stages=stages_evaluated)
        raise typer.Exit(0 if all(not r.error and r.improved and not r.regressed for r in rows) else 1)
    from harness.pipeline import PipelineOptions, run_pipeline

    overrides = set_ or []
    stages = None
    if profile is not None:  # the profile's values, unless given on the command line
        from harness.profiles import load_profile

        prof = load_profile(domain, profile)
        model = prof.model if model == "default" else model
        lim = prof.eval_limit if limit is None else lim
        overrides = [*prof.overrides, *overrides]
        stages = prof.stages
    opts = PipelineOptions(domain=domain, base_model=model, overrides=overrides, device=device, evaluate=True,
                           stages=stages, eval_limit=lim, launcher=launcher, accelerate_config=accelerate_config,
                           eval_stages=stages_evaluated)
    result = run_pipeline(opts, db)
    raise typer.Exit(0 if result.ok else 1)


@app.command("compare")
def compare(
    baseline: Annotated[str, typer.Argument(help="Baseline: eval run id, model id, or model ref.")],
    candidate: Annotated[str, typer.Argument(help="Candidate: eval run id, model id, or model ref.")],
    regression_suite: Annotated[list[str] | None, typer.Option(
        "--regression-suite", help="Suites scored for forgetting (default: general).")] = None,
    correction: Annotated[str, typer.Option(help="holm | bh | none.")] = "holm",
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    show_flips: Annotated[int, typer.Option("--show-flips", help="List N flipped items per direction.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown instead of tables.")] = False,
    as_csv: Annotated[bool, typer.Option(
        "--csv", help="Print CSV: one row per task metric, suite and forgetting score (the dashboard's export).")
    ] = False,
    suite: Annotated[list[str] | None, typer.Option(
        "--suite", help="Suites whose tasks' primary metrics form the correction family (default: all).")] = None,
    allow_config_drift: Annotated[bool, typer.Option(
        "--allow-config-drift", help="Pair tasks evaluated with different task configs; every output says so.")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Paired, item-by-item comparison of two evaluated models with CIs, corrected p-values and verdicts.

    Example: harness compare eval-20261121-0101-abc123 eval-20261121-0110-def456 --show-flips 5
    Example: harness compare default ~/.cache/domain-harness/stages/support_chat-dpo-…/model --markdown
    """
    import json

    from harness.compare.report import compare_runs, render_rich, to_json, to_markdown
    from harness.store import Store

    if correction not in {"holm", "bh", "none"}:
        raise HarnessError(f"unknown correction '{correction}'", "use --correction holm, bh or none")
    if not 0 < alpha < 1:
        raise HarnessError(f"--alpha {alpha} is not a significance level", "pass --alpha between 0 and 1, e.g. 0.05")
    if sum((as_json, markdown, as_csv)) > 1:
        raise HarnessError("--json, --markdown and --csv are exclusive", "pass one output format")
    store = Store(db, read_only=True)
    comp = compare_runs(store, baseline, candidate, regression_suites=tuple(regression_suite or ["general"]),
                        correction=correction, alpha=alpha, max_flips=max(show_flips, 0), suites=suite,
                        allow_config_drift=allow_config_drift)
    if as_json:
        print(json.dumps(to_json(comp), indent=2))
    elif as_csv:
        from harness.dashboard import comparison_csv

        sys.stdout.write(comparison_csv(to_json(comp)))
    elif markdown:
        print(to_markdown(comp, max_flips=show_flips))
    else:
        console.print(render_rich(comp, show_flips=show_flips))


@app.command("gate")
def gate(
    policy: Annotated[Path, typer.Option("--policy", help="Gate policy YAML (e.g. domains/support_chat/gates.yaml).")],
    candidate: Annotated[str | None, typer.Option("--candidate", help="Eval run id, model id or model ref.")] = None,
    baseline: Annotated[str | None, typer.Option("--baseline", help="Eval run id, model id or model ref.")] = None,
    plan: Annotated[bool, typer.Option(
        "--plan", help="Print per rule the n, CI half-width and whether the margin is resolvable; judge nothing."
    )] = False,
    eval_missing: Annotated[bool, typer.Option(
        "--eval-missing", help="Evaluate candidate/baseline models that have no stored results.")] = False,
    suite: Annotated[list[str] | None, typer.Option(
        "--suite", help="Suites to evaluate with --eval-missing (default: the policy's domain suites).")] = None,
    allow_limit: Annotated[bool, typer.Option(
        "--allow-limit", help="Accept limited (--limit) evaluations; the verdict says so.")] = False,
    allow_config_drift: Annotated[bool, typer.Option(
        "--allow-config-drift", help="Pair tasks evaluated with different task configs; the verdict says so.")] = False,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    summary: Annotated[Path | None, typer.Option("--summary", help="Append a Markdown summary here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --plan: print JSON.")] = False,
    device: DeviceOpt = "auto",
    db: DbOpt = None,
) -> None:
    """Release gate: apply a policy to candidate vs baseline. Exit 0 PASS, 1 FAIL or INCONCLUSIVE, 2 input error.

    Example: harness gate --policy domains/support_chat/gates.yaml --baseline default --candidate ./tuned \
      --eval-missing --junit gate.xml --summary "$GITHUB_STEP_SUMMARY"
    Example: harness gate --plan --policy domains/support_chat/gates.yaml   (can each rule resolve its margin?)
    """
    from harness.gate.cli import run_gate_command, run_plan_command

    if plan:
        raise typer.Exit(run_plan_command(policy=policy, baseline=baseline, db=db, as_json=as_json))
    if not candidate or not baseline:
        raise HarnessError("gate needs --candidate and --baseline", "pass both, or --plan to size the policy")
    code = run_gate_command(policy=policy, candidate=candidate, baseline=baseline, eval_missing=eval_missing,
                            suites=suite, junit=junit, summary=summary, device=device, db=db,
                            allow_limit=allow_limit, allow_config_drift=allow_config_drift)
    raise typer.Exit(code)


@app.command("label")
def label(
    judge: Annotated[str, typer.Option("--judge", help="Judge model: `default`, `default:micro`, a trained stage, "
                                       "a local HF causal-LM folder or a cached hub id.")],
    data: Annotated[Path, typer.Option("--data", help="JSONL of {prompt, chosen, rejected} (relabelled; agreement "
                                       "reported) or {prompt, candidates: [...]} (every pair judged).")],
    out: Annotated[Path, typer.Option("--out", help="Preference JSONL to write (+ OUT.report.json).")],
    min_confidence: Annotated[float, typer.Option(help="Keep pairs the judge prefers with at least this "
                                                  "probability (0.5-1).", min=0.5, max=1.0)] = 0.5,
    limit: Annotated[int | None, typer.Option(help="Judge the first N records.", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the shown order of labelled pairs.")] = 0,
    device: DeviceOpt = "auto",
    trust_remote_code: TrustOpt = False,
    db: DbOpt = None,
) -> None:
    """RLAIF: a judge model labels reply pairs by its log-probabilities in both orders (ties kept out); the run,
    its kappa and every pair's judgement are stored (judge_runs, judge_labels).

    Example: harness label --judge default --data pairs.jsonl --out judged.jsonl
    """
    from harness.device import plan_device
    from harness.feedback.judge import label as run_label
    from harness.feedback.judge import print_report

    report = run_label(judge, data, out, min_confidence=min_confidence, seed=seed, limit=limit,
                       device=plan_device(device).device, trust_remote_code=trust_remote_code, record=True, db=db)
    print_report(report)


@app.command("dashboard")
def dashboard(
    db: DbOpt = None,
    port: Annotated[int | None, typer.Option(help="Port (default: streamlit's 8501).")] = None,
    headless: Annotated[bool, typer.Option(help="Do not open a browser.")] = False,
    address: Annotated[str, typer.Option(
        "--address", help="Interface to bind (default 127.0.0.1: this machine only; 0.0.0.0 exposes it).")
    ] = "127.0.0.1",
) -> None:
    """Open the Streamlit dashboard on a store: runs, compare, training curves, regressions, gates, sweeps;
    read-only except the labelling page.

    Example: harness dashboard --db harness.duckdb --port 8501
    Example: harness dashboard --address 0.0.0.0   (reachable from other machines)
    """
    from harness.dashboard import launch
    from harness.paths import default_store_path

    path = (db or default_store_path()).resolve()
    if not path.exists():
        raise HarnessError(f"store {path} does not exist", "run `harness demo` first or pass --db PATH")
    launch(path, port, headless, address)


@app.command("push")
def push(
    shared: SharedOpt = None,
    run: Annotated[list[str] | None, typer.Option("--run", help="Run id to push (repeatable; default: all).")] = None,
    db: DbOpt = None,
) -> None:
    """Copy finished runs of the local store into the team's shared store (Parquet, one folder per run; idempotent).

    Example: harness push --shared /mnt/team/harness-results
    """
    from harness.exchange_cli import push_command

    push_command(shared, run, db)


@app.command("pull")
def pull(
    shared: SharedOpt = None,
    run: Annotated[list[str] | None, typer.Option("--run", help="Run id to pull (repeatable; default: all).")] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the shared runs; change nothing.")] = False,
    db: DbOpt = None,
) -> None:
    """Copy runs of the team's shared store that the local store lacks (keyed by run id; idempotent).

    Example: harness pull --shared /mnt/team/harness-results && harness compare RUN_A RUN_B
    """
    from harness.exchange_cli import pull_command

    pull_command(shared, run, db, list_only)


@app.command("export-lm-eval")
def export_lm_eval(
    run_id: Annotated[str, typer.Argument(help="Eval run id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for results_*.json (+ samples_*.jsonl).")],
    samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Also write per-item samples.")] = True,
    db: DbOpt = None,
) -> None:
    """Write an eval run as lm-eval's results JSON (and samples JSONL), for tools that read lm-eval output.

    Example: harness export-lm-eval eval-20261121-010101-abc123 --out exports/
    """
    from harness.exchange_cli import export_command

    export_command(run_id, out, samples, db)


@app.command("import-lm-eval")
def import_lm_eval(
    folder: Annotated[Path, typer.Argument(help="Folder given to `lm_eval --output_path` (with --log_samples).")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="The model it evaluated (a --model ref), so "
                                              "the run joins that model's evaluations.")] = None,
    domain: Annotated[str | None, typer.Option(help="Domain to file the run under.")] = None,
    db: DbOpt = None,
) -> None:
    """Store an lm-eval results folder as an eval run, to compare and gate it like a `harness eval`.

    Example: harness import-lm-eval out/ --model default && harness compare default RUN_ID
    """
    from harness.exchange_cli import import_command

    import_command(folder, model, domain, db)


# Feedback loops (harness/feedback_cli.py): sweep, release, human labels, robustness, export.
from harness import feedback_cli  # noqa: E402

app.command("sweep")(feedback_cli.sweep)
app.command("release")(feedback_cli.release)
app.command("export")(feedback_cli.export)
app.add_typer(feedback_cli.labels_app, name="labels")
app.add_typer(feedback_cli.robustness_app, name="robustness")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback. `argv` lets
    tests run the real entry point in-process (tests/test_bad_input_corpus.py)."""
    from harness.cli_failures import as_harness_error

    try:
        # not standalone: usage errors reach us as exceptions (one line, not a usage box); --help and
        # typer.Exit come back as exit codes
        code = app(args=argv, standalone_mode=False)
    except typer.Abort:
        err_console.print("Aborted!")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - only known user-fixable failures are translated; others re-raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `harness` / `harness model`: show the help
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        error = as_harness_error(exc)
        if error is None:
            raise
        err_console.print(error.one_line(), markup=False, highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)

if __name__ == "__main__":
    main()
