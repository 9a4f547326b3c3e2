"""`harness sweep`: Optuna over a stage's config, each trial a normal stage run.

A trial is `pipeline.run_stage` with `--set stage.field=value` overrides, so a configuration trained before
(in this sweep or anywhere) is reused from the fingerprint cache instead of retrained. The Optuna study lives
in an SQLite file in the cache keyed by the sweep name, so re-running the same sweep continues it: finished
trials stay, a trial cut off mid-run is asked again. Pruning: an Optuna MedianPruner fed the trainer's
validation loss by a TrainerCallback; a pruned trial stops training, its train run is marked failed with the
pruning step, and nothing of it is cached. Every trial (complete, pruned, failed) is a `sweep_trials` row."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from harness.config_io import load_yaml_model
from harness.console import console
from harness.errors import HarnessError
from harness.fingerprint import fingerprint
from harness.loops.sweep_importance import importances
from harness.loops.sweep_space import ParamSpace, SweepSpace
from harness.paths import cache_dir
from harness.store import Store

try:  # optuna is a dependency; imported lazily by callers through this module
    import optuna
except ImportError as exc:  # pragma: no cover
    raise HarnessError("optuna is not installed", "pip install optuna") from exc


class SweepTrialPruned(optuna.TrialPruned):
    """Raised inside trainer.train() so the stage never saves (nothing pruned looks complete)."""


class OptunaPruningCallback(TrainerCallback):
    """Reports each validation loss to the trial and stops training when the pruner says so.

    The study's direction applies to the reported values, so for a maximised objective the loss is reported
    negated (lower loss = better either way)."""

    def __init__(self, trial: optuna.Trial, maximize: bool) -> None:
        self.trial = trial
        self.sign = -1.0 if maximize else 1.0
        self.pruned: dict[str, float] | None = None
        self.reported = 0

    def report(self, step: int, loss: float) -> bool:
        """Report one validation point; True when the trial should stop here."""
        self.reported += 1
        self.trial.report(self.sign * float(loss), step)
        if self.trial.should_prune():
            self.pruned = {"step": step, "validation_loss": float(loss)}
            return True
        return False

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                    **kwargs: Any) -> None:
        loss = (metrics or {}).get("eval_loss")
        step = int(state.global_step)
        if loss is None or step == 0:  # step 0 (eval_on_start) is the same parent model for every trial
            return
        if self.report(step, float(loss)):
            raise SweepTrialPruned(f"pruned by sweep at step {step}: validation loss {float(loss):.4f} is worse "
                                   "than the median of earlier trials at that step")


@dataclass
class TrialResult:
    number: int
    state: str  # complete | pruned | failed
    params: dict[str, Any]
    objective: float | None = None
    n: int | None = None
    stderr: float | None = None
    train_run_id: str | None = None
    eval_run_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepResult:
    name: str
    direction: str
    trials: list[TrialResult]  # this invocation's trials
    all_rows: list[dict[str, Any]]  # every stored trial of the sweep
    importances: dict[str, float]


def study_path(name: str) -> Path:
    return cache_dir() / "sweeps" / f"{name}.db"


def direction_of(space: SweepSpace) -> str:
    if space.objective.direction:
        return space.objective.direction
    if space.objective.kind == "validation_loss":
        return "minimize"
    from harness.evaluation.runner import task_manager
    from harness.evaluation.tasks import task_identities

    ident = task_identities([space.objective.task], task_manager([space.objective.task])).get(space.objective.task, {})
    return "maximize" if ident.get("higher_is_better", True) else "minimize"


def _distribution(spec: ParamSpace) -> optuna.distributions.BaseDistribution:
    if spec.values is not None:
        return optuna.distributions.CategoricalDistribution(spec.values)
    if spec.type == "int":
        return optuna.distributions.IntDistribution(int(spec.low), int(spec.high), log=spec.log)
    return optuna.distributions.FloatDistribution(spec.low, spec.high, log=spec.log)


def open_study(space: SweepSpace, domain: str, stage: str, direction: str) -> optuna.Study:
    """Create or continue the sweep's study; a name reused for another domain, stage or space is refused."""
    path = study_path(space.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if space.sampler == "grid":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.GridSampler(
            {k: p.values for k, p in space.params.items()}, seed=space.seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=space.seed, n_startup_trials=2)
    pruner: optuna.pruners.BasePruner = (
        optuna.pruners.MedianPruner(n_startup_trials=space.pruner.n_startup_trials,
                                    n_warmup_steps=space.pruner.n_warmup_steps)
        if space.pruner.enabled else optuna.pruners.NopPruner())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=space.name, storage=f"sqlite:///{path}", sampler=sampler,
                                pruner=pruner, direction=direction, load_if_exists=True)
    identity = {"domain": domain, "stage": stage,
                "space": fingerprint(space.model_dump(mode="json", exclude={"pruner"}))}
    known = study.user_attrs.get("identity")
    if known is None:
        study.set_user_attr("identity", identity)
    elif known != identity:
        raise HarnessError(f"sweep '{space.name}' already exists for {known['domain']}:{known['stage']} with "
                           "another space", "give the space file a new `name:` (or delete "
                           f"{path} to start over)")
    return study


def _requeue_interrupted(study: optuna.Study) -> int:
    """Trials left RUNNING by a killed sweep: mark them failed and ask their parameters again."""
    stale = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.RUNNING]
    for t in stale:
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        study.enqueue_trial(t.params, skip_if_exists=False)
    return len(stale)


def _suggest(trial: optuna.Trial, space: SweepSpace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, spec in space.params.items():
        if spec.values is not None:
            params[name] = trial.suggest_categorical(name, spec.values)
        elif spec.type == "int":
            params[name] = trial.suggest_int(name, int(spec.low), int(spec.high), log=spec.log)
        else:
            params[name] = trial.suggest_float(name, spec.low, spec.high, log=spec.log)
    return params


def _validation_objective(store: Store, run_id: str, val_path: Path | None, cfg: Any) -> tuple[float, int]:
    rows = store.query("SELECT loss FROM train_logs WHERE run_id = ? AND split = 'validation' AND loss IS NOT NULL"
                       " ORDER BY step DESC LIMIT 1", [run_id])
    if not rows:
        raise HarnessError("the swept stage logged no validation loss", "give the stage's dataset a validation "
                           "split (manifest `validation_fraction`) or use a suite_metric objective")
    n_val = sum(1 for line in val_path.open() if line.strip()) if val_path else 0
    cap = getattr(cfg, "max_eval_samples", None)
    return float(rows[0]["loss"]), min(n_val, cap) if cap else n_val


def run_sweep(domain_name: str, stage: str, space_path: Path, n_trials: int, *, db: Path | None,
              base_model: str = "default", sources: list[str] | None = None, overrides: list[str] | None = None,
              device: str = "auto", trust_remote_code: bool = False, progress: bool = False) -> SweepResult:
    """Run trials until the sweep holds `n_trials` finished ones (re-running continues an interrupted sweep)."""
    from harness.device import plan_device
    from harness.models.refs import resolve_model
    from harness.pipeline import PipelineOptions, _record_model, lookup_store, plan_pipeline, run_stage
    from harness.prep import prepare_domain, record_prep
    from harness.store.feedback import add_sweep_trial

    if n_trials < 1:
        raise HarnessError(f"--trials {n_trials} is below 1", "pass --trials N with N >= 1")
    space = load_yaml_model(SweepSpace, space_path)
    base_opts = dict(domain=domain_name, base_model=base_model, stages=[stage], sources=sources or [],
                     trust_remote_code=trust_remote_code, progress=progress)

    def plan_for(params: dict[str, Any]):
        sets = list(overrides or []) + [f"{stage}.{k}={json.dumps(v)}" for k, v in params.items()]
        return plan_pipeline(PipelineOptions(**base_opts, overrides=sets))

    domain, _ = plan_for({})  # unknown domain/stage fail here
    for name, spec in space.params.items():  # every field and value is checked before any work
        for value in (spec.values or [spec.low, spec.high]):
            value = int(value) if spec.type == "int" and spec.values is None else value
            plan_for({name: value})
    if space.sampler == "grid" and n_trials > space.grid_size():
        console.print(f"the grid has {space.grid_size()} points: running {space.grid_size()} trials, not {n_trials}")
        n_trials = space.grid_size()
    direction = direction_of(space)
    plan_dev = plan_device(device)
    base = resolve_model(base_model, trust_remote_code=trust_remote_code, store=lookup_store(db))
    data = prepare_domain(domain)
    store = Store(db)
    record_prep(store, data, seed=domain.manifest.seed)
    _record_model(store, base, base_ref=None, method=base.method)
    study = open_study(space, domain.name, stage, direction)
    requeued = _requeue_interrupted(study)
    if requeued:
        console.print(f"sweep {space.name}: {requeued} interrupted trial(s) asked again")
    finished = {optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED}
    done = sum(t.state in finished for t in study.get_trials(deepcopy=False))
    console.print(f"sweep {space.name}: {done} trial(s) already finished, {max(0, n_trials - done)} to run "
                  f"({space.sampler}, {direction} {space.objective.name})")
    results: list[TrialResult] = []

    def objective(trial: optuna.Trial) -> float:
        """One trial, stored before Optuna hears its outcome (a pruned trial raises, a failed one is NaN)."""
        params = _suggest(trial, space)
        result = _run_trial(store, trial, params, plan_for, base, data, plan_dev, space, direction, progress,
                            run_stage)
        results.append(result)
        add_sweep_trial(store, {
            "sweep": space.name, "trial": result.number, "domain": domain.name, "stage": stage,
            "state": result.state, "params_json": params, "objective": result.objective,
            "objective_name": space.objective.name, "direction": direction, "n": result.n, "stderr": result.stderr,
            "train_run_id": result.train_run_id, "eval_run_id": result.eval_run_id,
            "detail_json": {**result.detail, "sampler": space.sampler, "distributions": {
                k: optuna.distributions.distribution_to_json(_distribution(p)) for k, p in space.params.items()}},
        })
        console.print(f"trial {result.number}: {result.state} {params} -> "
                      f"{'—' if result.objective is None else f'{result.objective:.4f}'}", highlight=False)
        if result.state == "pruned":
            raise optuna.TrialPruned(result.detail)
        return float("nan") if result.objective is None else result.objective  # NaN: Optuna records FAIL

    if n_trials > done:  # optimize, not ask/tell: the grid sampler stops the study itself when exhausted
        study.optimize(objective, n_trials=n_trials - done, catch=())
    rows = store.query("SELECT * FROM sweep_trials WHERE sweep = ? ORDER BY trial", [space.name])
    return SweepResult(space.name, direction, results, rows, importances(rows))


def _run_trial(store: Store, trial: optuna.Trial, params: dict[str, Any], plan_for: Any, base: Any, data: Any,
               plan_dev: Any, space: SweepSpace, direction: str, progress: bool, run_stage: Any) -> TrialResult:
    from harness.recipes.callbacks import extra_callbacks

    domain, plans = plan_for(params)
    plan = plans[0]
    pruner = OptunaPruningCallback(trial, maximize=direction == "maximize")
    result = TrialResult(trial.number, "complete", params)
    try:
        with extra_callbacks(pruner):
            ref, run_id = run_stage(store, domain, plan, base, data, plan_dev, progress)
    except optuna.TrialPruned:
        result.state, result.detail = "pruned", dict(pruner.pruned or {})
        failed = store.query("SELECT run_id, output_path FROM runs WHERE kind = 'train' AND status = 'failed'"
                             " ORDER BY started_at DESC LIMIT 1")
        if failed:
            result.train_run_id = failed[0]["run_id"]
            shutil.rmtree(Path(failed[0]["output_path"] + ".partial"), ignore_errors=True)
        return result
    except HarnessError:
        raise
    except Exception as exc:  # a diverging configuration fails its trial, not the sweep
        result.state, result.detail = "failed", {"error": f"{type(exc).__name__}: {exc}"[:500]}
        return result
    result.train_run_id = run_id
    if pruner.reported == 0:  # a stage reused from the cache: its stored curve goes through the same pruner
        curve = store.query("SELECT step, loss FROM train_logs WHERE run_id = ? AND split = 'validation' AND"
                            " step > 0 AND loss IS NOT NULL ORDER BY step", [run_id])
        if any(pruner.report(int(p["step"]), float(p["loss"])) for p in curve):
            result.state, result.detail = "pruned", {**(pruner.pruned or {}), "reused_stage": True}
            return result
    if space.objective.kind == "validation_loss":
        _, val_path = data.paths(plan.dataset)
        result.objective, result.n = _validation_objective(store, run_id, val_path, plan.config)
        return result
    from harness.evaluation import run_eval

    obj = space.objective
    summary = run_eval(store, ref, [obj.task], limit=obj.limit, device=plan_dev, domain=domain.name,
                       stage=plan.stage)
    rows = [r for r in summary.rows if r["task"] == obj.task and r["metric"] == obj.metric
            and (r.get("filter") or "none") == obj.filter]
    if not rows:
        raise HarnessError(f"task {obj.task} stored no metric {obj.metric} (filter {obj.filter})",
                           "check `objective.metric`/`filter` against `harness eval` output")
    result.eval_run_id = summary.run_id
    result.objective, result.n, result.stderr = float(rows[0]["value"]), rows[0]["n"], rows[0]["stderr"]
    return result
