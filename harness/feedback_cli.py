"""CLI commands of the feedback loops (sweep, release, labels, robustness, export); harness/cli.py registers
them. Heavy imports stay inside the functions so `harness --help` stays fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.console import console

DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB store file [env HARNESS_DB].")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Base model: `default`, `default:micro`, a trained "
                                       "stage, a local HF folder, a cached hub id.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto | cpu | cuda.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override config: stage.key=value (repeatable).")]
LimitOpt = Annotated[str | None, typer.Option(help="Items per task (int >= 1) or fraction (0 < F < 1).")]

labels_app = typer.Typer(help="Human preference labels from the dashboard's labelling page.", no_args_is_help=True)
robustness_app = typer.Typer(help="Adversarial robustness: perturbed suites, the robustness gap, augmentation.",
                             no_args_is_help=True)


def sweep(
    domain: Annotated[str, typer.Argument(help="Domain name.")],
    stage: Annotated[str, typer.Option("--stage", help="The stage whose config is searched.")],
    space: Annotated[Path, typer.Option("--space", help="Space file (YAML): name, sampler, objective, params.")],
    trials: Annotated[int, typer.Option("--trials", help="Finished trials the sweep should hold.")] = 8,
    model: ModelOpt = "default",
    set_: SetOpt = None,
    device: DeviceOpt = "auto",
    db: DbOpt = None,
) -> None:
    """Hyperparameter search with Optuna (grid or TPE); each trial is a normal, cached stage run.

    Re-running the same sweep (same `name:` in the space file) continues it.

    Example: harness sweep support_chat --stage sft --space examples/sweep_sft.yaml --trials 6
    """
    from rich.table import Table

    from harness.file_checks import require_file
    from harness.loops.sweep import run_sweep

    require_file(space, "space file", "pass --space with a YAML file (see examples/sweep_sft.yaml)")
    result = run_sweep(domain, stage, space, trials, db=db, base_model=model, overrides=set_ or [],
                       device=device)
    table = Table("trial", "state", "params", f"objective ({result.direction})", "n", "train run",
                  title=f"sweep {result.name}", title_justify="left")
    for r in result.all_rows:
        table.add_row(str(r["trial"]), r["state"], str(r["params_json"]),
                      "—" if r["objective"] is None else f"{r['objective']:.4f}", str(r["n"] or "—"),
                      r["train_run_id"] or "—")
    console.print(table)
    if result.importances:
        console.print("parameter importance (optuna fANOVA): " + ", ".join(
            f"{k} {v:.2f}" for k, v in result.importances.items()))


def release(
    domain: Annotated[str, typer.Argument(help="Domain name.")],
    data: Annotated[Path, typer.Option("--data", help="New training data (JSONL of the stage's records).")],
    stage: Annotated[str | None, typer.Option("--stage", help="Stage to train (default: the sft stage).")] = None,
    replay: Annotated[float, typer.Option("--replay", help="Share of training rows replayed from earlier "
                                          "releases' data (0 = none).")] = 0.0,
    policy: Annotated[Path | None, typer.Option("--policy", help="Gate policy (default: the domain's).")] = None,
    suite: Annotated[list[str] | None, typer.Option("--suite", "-s", help="Suites/tasks to evaluate (default: "
                                                    "the domain's suites and regression suites).")] = None,
    limit: LimitOpt = None,
    allow_limit: Annotated[bool, typer.Option("--allow-limit", help="Gate limited evals (smoke runs).")] = False,
    model: ModelOpt = "default",
    set_: SetOpt = None,
    device: DeviceOpt = "auto",
    db: DbOpt = None,
) -> None:
    """Train from the last release on new data, evaluate, gate against the last release and the base; the
    candidate becomes the next release only when both gates pass.

    Example: harness release support_chat --data new_chats.jsonl --replay 0.3
    """
    import sys

    from harness.cli_args import parse_limit
    from harness.loops.release import run_release

    lim = parse_limit(limit)
    result = run_release(domain, data, db=db, stage=stage, replay=replay, base_model=model,
                         overrides=set_ or [], policy=policy, eval_limit=lim, allow_limit=allow_limit, device=device,
                         suites=suite or None)
    if not result.released:
        sys.exit(1)


@labels_app.command("export")
def labels_export(
    out: Annotated[Path, typer.Option("--out", help="JSONL preference file to write.")],
    task: Annotated[str | None, typer.Option("--task", help="Only labels of this task.")] = None,
    db: DbOpt = None,
) -> None:
    """Write the human labels as {prompt, chosen, rejected} records (ties left out), for a preference stage.

    Example: harness labels export --out pairs.jsonl
    Then: harness train support_chat --stage dpo --source pairs=pairs.jsonl
    """
    from harness.loops.labels import export_labels
    from harness.store import Store

    n, ties = export_labels(Store(db, read_only=True), out, task)
    console.print(f"{n} preference pairs written to {out} ({ties} ties left out)")


@robustness_app.command("gap")
def robustness_gap(
    suite: Annotated[str, typer.Option("--suite", "-s", help="Suite to perturb (e.g. support_chat, general).")],
    perturb: Annotated[str, typer.Option("--perturb", help="Comma-separated: typos, casing, whitespace, "
                                         "paraphrase, distractor, shuffle_options.")] = "typos,casing,whitespace",
    seed: Annotated[int, typer.Option(help="Perturbation seed.")] = 0,
    rate: Annotated[float, typer.Option(help="Share of words a typo or synonym touches.")] = 0.15,
    task: Annotated[list[str] | None, typer.Option("--task", help="Only these tasks of the suite (repeatable).")]
    = None,
    model: ModelOpt = "default",
    limit: LimitOpt = None,
    device: DeviceOpt = "auto",
    db: DbOpt = None,
) -> None:
    """Evaluate a model on a suite and on its seeded perturbed copy; print the paired robustness gap.

    Example: harness robustness gap --model support_chat:sft --suite support_chat --perturb typos,shuffle_options
    """
    from harness.cli_args import parse_limit
    from harness.config_io import validate
    from harness.device import plan_device
    from harness.models.refs import resolve_model
    from harness.robustness.gap import gap_table
    from harness.robustness.perturb import PerturbationSpec
    from harness.robustness.run import parse_kinds, run_robustness
    from harness.store import Store

    lim = parse_limit(limit)
    spec = validate(PerturbationSpec, {"kinds": parse_kinds(perturb), "seed": seed, "rate": rate}, "--perturb")
    store = Store(db)
    ref = resolve_model(model, store=store)
    result = run_robustness(store, ref, suite, spec, limit=lim, device=plan_device(device), tasks=task)
    console.print(f"perturbed suite {result.suite.group} at {result.suite.folder}"
                  + (f" (not perturbed: {result.suite.skipped})" if result.suite.skipped else ""), highlight=False)
    console.print(gap_table(result.rows, f"robustness gap of {ref.ref}: clean {result.clean_run} vs perturbed "
                            f"{result.perturbed_run}"))


@robustness_app.command("augment")
def robustness_augment(
    data: Annotated[Path, typer.Argument(help="SFT data (JSONL chats or prompt/completion records).")],
    out: Annotated[Path, typer.Option("--out", help="Augmented JSONL to write.")],
    perturb: Annotated[str, typer.Option("--perturb", help="Perturbation kinds, comma-separated.")] =
    "typos,casing,whitespace",
    fraction: Annotated[float, typer.Option(help="Share of rows that get a perturbed copy.")] = 0.5,
    seed: Annotated[int, typer.Option(help="Perturbation seed.")] = 0,
) -> None:
    """Adversarial training data: the rows plus perturbed copies (same perturbations as the suites).

    Example: harness robustness augment chats.jsonl --out chats_adv.jsonl
    Then: harness train support_chat --stage sft --source chats=chats_adv.jsonl
    """
    from harness.config_io import validate
    from harness.robustness.perturb import PerturbationSpec
    from harness.robustness.run import augment_file, parse_kinds

    spec = validate(PerturbationSpec, {"kinds": parse_kinds(perturb), "seed": seed}, "--perturb")
    n, extra = augment_file(data, out, spec, fraction)
    console.print(f"{out}: {n} rows + {extra} perturbed copies")


def export(
    model: Annotated[str, typer.Argument(help="Train run id, DOMAIN:STAGE or stage folder.")],
    to: Annotated[Path, typer.Option("--to", help="Folder to write (new or empty).")],
    adapter: Annotated[bool, typer.Option("--adapter", help="Export only the LoRA adapter.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty folder.")] = False,
    db: DbOpt = None,
) -> None:
    """Export a trained model (or its adapter) with a Hugging Face model card: stored eval results (value,
    n, CI), the gate outcome and the data report summary.

    Example: harness export support_chat:dpo --to ./release-v3
    """
    from harness.export import export_model

    result = export_model(model, to, db=db, adapter_only=adapter, force=force)
    console.print(f"[green]exported[/green] {result.model_id} to {result.folder}: {result.n_results} eval results, "
                  f"gate {result.gate_status or 'none'}", highlight=False)
