"""The space file of `harness sweep`: which stage-config fields vary, how they are sampled, what is optimised."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = float | int | str | bool


class ParamSpace(BaseModel):
    """One stage-config field (dotted, e.g. `lora.r`): a list of `values`, or a numeric range `low`..`high`."""

    model_config = ConfigDict(extra="forbid")
    values: list[Scalar] | None = Field(None, description="Candidate values (the grid sampler needs these; TPE "
                                        "treats them as categorical).")
    low: float | None = Field(None, description="Range start (TPE only).")
    high: float | None = Field(None, description="Range end, inclusive (TPE only).")
    log: bool = Field(False, description="Sample the range on a log scale (learning rates).")
    type: Literal["float", "int"] = Field("float", description="Type of a range's values.")

    @model_validator(mode="after")
    def _one_form(self) -> ParamSpace:
        if (self.values is None) == (self.low is None or self.high is None):
            raise ValueError("give either `values: [...]` or both `low` and `high`")
        if self.values is not None and not self.values:
            raise ValueError("`values` is empty")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError("`low` must be below `high`")
        return self


class Objective(BaseModel):
    """What a trial scores: the stage's last validation loss, or one metric of a suite task after training."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["validation_loss", "suite_metric"] = Field("validation_loss", description="validation_loss "
                                                             "(minimised) or suite_metric (task + metric).")
    task: str | None = Field(None, description="lm-eval task scored after training (suite_metric).")
    metric: str | None = Field(None, description="Metric of that task, e.g. acc or bits_per_byte.")
    filter: str = Field("none", description="lm-eval filter of the metric.")
    direction: Literal["minimize", "maximize"] | None = Field(None, description="Default: minimize for the "
                                                              "loss, the metric's own direction otherwise.")
    limit: int | float | None = Field(None, description="Items per task for the suite metric (None: all).")

    @model_validator(mode="after")
    def _needs_task(self) -> Objective:
        if self.kind == "suite_metric" and not (self.task and self.metric):
            raise ValueError("a suite_metric objective needs `task` and `metric`")
        return self

    @property
    def name(self) -> str:
        return "validation_loss" if self.kind == "validation_loss" else f"{self.task}/{self.metric}"


class PrunerSettings(BaseModel):
    """Optuna's MedianPruner, fed the stage's validation loss at every evaluation step."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="Stop a trial whose validation loss is worse than the median of "
                          "earlier trials at the same step.")
    n_startup_trials: int = Field(1, ge=0, description="Trials that always run to the end first.")
    n_warmup_steps: int = Field(0, ge=0, description="Training steps before a trial may be pruned.")


class SweepSpace(BaseModel):
    """A sweep: name (the resume key), sampler, objective, and the stage-config fields it varies."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Sweep name; re-running the same name continues "
                      "the sweep (Optuna storage in the cache).")
    sampler: Literal["grid", "tpe"] = Field("tpe", description="grid (every combination of `values`) or tpe.")
    seed: int = Field(0, description="Sampler seed.")
    objective: Objective = Field(default_factory=Objective, description="What each trial is scored on.")
    pruner: PrunerSettings = Field(default_factory=PrunerSettings, description="Pruning of hopeless trials.")
    params: dict[str, ParamSpace] = Field(description="Stage-config field -> its space.", min_length=1)

    @model_validator(mode="after")
    def _grid_needs_values(self) -> SweepSpace:
        if self.sampler == "grid":
            ranged = [k for k, p in self.params.items() if p.values is None]
            if ranged:
                raise ValueError(f"the grid sampler needs `values` for every parameter; {', '.join(ranged)} "
                                 "has a range")
        return self

    def grid_size(self) -> int:
        size = 1
        for p in self.params.values():
            size *= len(p.values or [])
        return size
