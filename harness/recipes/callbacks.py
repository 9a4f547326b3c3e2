"""Trainer callbacks shared by the recipes: loss curves into the store, and a log point at the last step."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

if TYPE_CHECKING:
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from harness.store import Store

# Keys with their own train_logs column (or no use on a curve); everything else goes to metrics_json.
_COLUMN_KEYS = {"loss", "learning_rate", "grad_norm", "epoch", "num_input_tokens_seen", "step"}
_SKIP_SUFFIXES = ("_runtime", "_per_second")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class StoreLoggingCallback(TrainerCallback):
    """Writes train and validation points into the store's `train_logs` table.

    Rows are buffered and flushed after each evaluation, at train end and every `flush_every` rows, so a run
    of a few hundred steps makes a handful of DuckDB transactions instead of one per log call. Recipes turn on
    `eval_on_start`, so every validation curve has a point before the first update and one after the last.
    """

    def __init__(self, store: Store, run_id: str, flush_every: int = 50) -> None:
        self.store = store
        self.run_id = run_id
        self.flush_every = flush_every
        self.buffer: list[dict[str, Any]] = []
        self.rows_written = 0

    def row(self, logs: dict[str, Any], state: TrainerState) -> dict[str, Any] | None:
        if "eval_loss" in logs:
            split, prefix = "validation", "eval_"
        elif "loss" in logs:  # the end-of-training summary carries `train_loss`, not `loss`: skipped
            split, prefix = "train", ""
        else:
            return None
        metrics: dict[str, float] = {}
        for key, value in logs.items():
            name = key.removeprefix(prefix)
            number = _number(value)
            if name in _COLUMN_KEYS or key.endswith(_SKIP_SUFFIXES) or number is None:
                continue
            metrics[name] = number
        tokens = logs.get("num_input_tokens_seen", state.num_input_tokens_seen)
        return {
            "run_id": self.run_id,
            "step": int(state.global_step),
            "epoch": _number(logs.get("epoch", state.epoch)),
            "split": split,
            "loss": _number(logs.get(f"{prefix}loss")),
            "learning_rate": _number(logs.get("learning_rate")),
            "grad_norm": _number(logs.get("grad_norm")),
            "tokens_seen": int(tokens) if tokens else None,
            "metrics_json": metrics or None,
        }

    def flush(self) -> None:
        if self.buffer:
            self.rows_written += self.store.add_train_logs(self.buffer)
            self.buffer = []

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        row = self.row(logs, state)
        if row is not None:
            self.buffer.append(row)
        if len(self.buffer) >= self.flush_every:
            self.flush()

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self.flush()

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self.flush()


class LogLastStepCallback(TrainerCallback):
    """Force a train log at the final step, so `train_loss_last` and the curve end where training ended
    even when max_steps is not a multiple of logging_steps."""

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> TrainerControl:
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_log = True
        return control


class RichProgressCallback(TrainerCallback):
    """One rich progress line per stage (steps, latest train and validation loss) instead of tqdm bars and the
    raw log dicts transformers prints; the full figures are in the store and the run's log file."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.progress: Any = None
        self.task: Any = None
        self.figures: dict[str, float] = {}

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                       **kwargs: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from harness.console import console

        self.progress = Progress(TextColumn(f"  [bold]{self.label}[/bold]"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[figures]}"), console=console)
        self.progress.start()
        self.task = self.progress.add_task(self.label, total=state.max_steps or None, figures="")

    def _figures(self) -> str:
        names = {"loss": "loss", "eval_loss": "val loss", "eval_rewards/accuracies": "val reward acc"}
        return "  ".join(f"{label} {self.figures[key]:.3f}" for key, label in names.items() if key in self.figures)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for key, value in (logs or {}).items():
            number = _number(value)
            if number is not None:
                self.figures[key] = number
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step, figures=self._figures())

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step, figures=self._figures())
            self.progress.stop()
            self.progress = None


class EarlyStopOnValidationLoss(TrainerCallback):
    """Stop training when validation loss has not dropped by more than `threshold` for `patience` evaluations.

    transformers' EarlyStoppingCallback needs checkpoints and load_best_model_at_end; recipes save once, at the
    end, so this one only stops (the saved model is the one at the stopping step) and says when and why.
    """

    def __init__(self, patience: int, threshold: float = 0.0) -> None:
        self.patience = patience
        self.threshold = threshold
        self.best: tuple[int, float] | None = None  # (step, loss)
        self.bad_evals = 0
        self.stopped_at: int | None = None

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    metrics: dict[str, Any] | None = None, **kwargs: Any) -> None:
        loss = _number((metrics or {}).get("eval_loss"))
        if loss is None:
            return
        if self.best is None or loss < self.best[1] - self.threshold:
            self.best, self.bad_evals = (int(state.global_step), loss), 0
            return
        self.bad_evals += 1
        if self.bad_evals >= self.patience and state.global_step < state.max_steps:
            control.should_training_stop = True
            self.stopped_at = int(state.global_step)

    def outcome(self, final_step: int) -> dict[str, Any] | None:
        """{step, best_step, best_loss, patience, threshold, reason} when training was stopped, else None."""
        if self.stopped_at is None or self.best is None:
            return None
        step, loss = self.best
        reason = (f"validation loss did not improve by more than {self.threshold:g} for {self.patience} "
                  f"evaluation(s); best {loss:.4f} at step {step}")
        return {"step": final_step, "best_step": step, "best_loss": loss, "patience": self.patience,
                "threshold": self.threshold, "reason": reason}

    @staticmethod
    def log_row(run_id: str, stop: dict[str, Any]) -> dict[str, Any]:
        """The train_logs row (split 'early_stop') that records the stop for the store and the dashboard."""
        return {"run_id": run_id, "step": stop["step"], "epoch": None, "split": "early_stop",
                "loss": stop["best_loss"], "learning_rate": None, "grad_norm": None, "tokens_seen": None,
                "metrics_json": stop}


class SaveEveryMinutes(TrainerCallback):
    """Ask the trainer for a checkpoint whenever `minutes` have passed since the last one (wall clock)."""

    def __init__(self, minutes: float) -> None:
        self.seconds = minutes * 60
        self.last = time.monotonic()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if time.monotonic() - self.last >= self.seconds:
            control.should_save = True
            self.last = time.monotonic()
        return control


# Callbacks a caller around the stage runner adds to every trainer built inside a `with extra_callbacks(...)`
# block (the sweep's Optuna pruner); recipes pick them up through `common.stage_callbacks`.
_EXTRA: ContextVar[tuple[TrainerCallback, ...]] = ContextVar("harness_extra_callbacks", default=())


@contextmanager
def extra_callbacks(*callbacks: TrainerCallback) -> Iterator[None]:
    token = _EXTRA.set(_EXTRA.get() + callbacks)
    try:
        yield
    finally:
        _EXTRA.reset(token)


def current_extra_callbacks() -> list[TrainerCallback]:
    return list(_EXTRA.get())
