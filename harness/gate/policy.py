"""Release-gate policy: a YAML list of rules, each a pass/fail check on a Comparison.

Rules judge intervals, not point estimates, wherever noise could flip the outcome:
- floor:           candidate value >= threshold (<= for lower-is-better metrics). `on: ci` judges the
                   unfavourable CI bound instead, i.e. "we are confident the floor is met".
- min_improvement: candidate - baseline >= delta (signed so that positive is better); `significant: true`
                   additionally requires the corrected paired-test p < alpha (default: the policy's alpha).
- max_drop:        on a task (its metric) or a suite (macro mean). Default: fail only when we are
                   confident the drop exceeds max_drop, i.e. even the favourable CI bound of the
                   improvement is below -max_drop, so noise alone never fails a release. `strict: true`
                   is the non-inferiority reading: fail unless the unfavourable bound is >= -max_drop.
- max_forgetting:  forgetting ratio (candidate/baseline of the regression suite's macro mean). Default:
                   fail when confident the loss exceeds the limit, i.e. the ratio's CI upper bound
                   < 1 - max_forgetting. `strict: true`: fail when the CI lower bound is below it.
- min_n:           every named task (default: every task in the comparison) has >= min_n paired items;
                   pairs with the lenient defaults above so that "not confident" cannot mean "too few
                   items to ever be confident".
A rule naming a task or suite that is absent from the comparison fails: a gate never passes on missing data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.compare.stats import DEFAULT_N_BOOT, Correction
from harness.config_io import load_yaml_model


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None  # auto-generated from kind and target when omitted
    description: str = ""

    def target(self) -> str:
        raise NotImplementedError

    def default_name(self) -> str:
        return f"{self.kind}:{self.target()}"


class _TaskRule(_Rule):
    task: str
    metric: str | None = None  # None: the task's primary metric in the comparison

    def target(self) -> str:
        return self.task + (f"/{self.metric}" if self.metric else "")


class FloorRule(_TaskRule):
    kind: Literal["floor"]
    threshold: float
    on: Literal["estimate", "ci"] = "estimate"


class MinImprovementRule(_TaskRule):
    kind: Literal["min_improvement"]
    delta: float = 0.0
    significant: bool = False
    alpha: float | None = Field(None, gt=0, lt=1)


class MaxDropRule(_Rule):
    kind: Literal["max_drop"]
    task: str | None = None
    suite: str | None = None
    metric: str | None = None
    max_drop: float = Field(ge=0)
    strict: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> MaxDropRule:
        if (self.task is None) == (self.suite is None):
            raise ValueError("max_drop needs exactly one of `task` or `suite`")
        if self.metric and self.suite:
            raise ValueError("`metric` applies to a task; a suite is judged on its macro mean")
        return self

    def target(self) -> str:
        if self.suite:
            return f"suite:{self.suite}"
        return (self.task or "") + (f"/{self.metric}" if self.metric else "")


class MaxForgettingRule(_Rule):
    kind: Literal["max_forgetting"]
    suite: str = "general"
    max_forgetting: float = Field(ge=0, lt=1)
    strict: bool = False

    def target(self) -> str:
        return f"suite:{self.suite}"


class MinNRule(_Rule):
    kind: Literal["min_n"]
    min_n: int = Field(ge=1)
    tasks: list[str] | None = None  # default: every task of `suite`, or of the whole comparison
    suite: str | None = None

    def target(self) -> str:
        if self.tasks:
            return ",".join(self.tasks)
        return f"suite:{self.suite}" if self.suite else "all"


Rule = Annotated[FloorRule | MinImprovementRule | MaxDropRule | MaxForgettingRule | MinNRule,
                 Field(discriminator="kind")]


class GatePolicy(BaseModel):
    """A named list of rules plus the statistics settings the comparison behind them uses."""

    model_config = ConfigDict(extra="forbid")
    name: str = "gate"
    description: str = ""
    alpha: float = Field(0.05, gt=0, lt=1)  # CI level is 1 - alpha; also the default significance level
    correction: Correction = "holm"
    regression_suites: list[str] = Field(default_factory=lambda: ["general"])
    n_boot: int = Field(DEFAULT_N_BOOT, ge=200)
    seed: int = 0
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> GatePolicy:
        explicit = [r.name for r in self.rules if r.name]
        dupes = sorted({n for n in explicit if explicit.count(n) > 1})
        if dupes:
            raise ValueError(f"rule name(s) used more than once: {', '.join(dupes)}")
        taken = set(explicit)
        for rule in self.rules:
            if rule.name:
                continue
            base = rule.default_name()
            name, k = base, 2
            while name in taken:
                name, k = f"{base}#{k}", k + 1
            rule.name = name
            taken.add(name)
        return self

    def all_regression_suites(self) -> list[str]:
        """regression_suites plus every suite a max_forgetting rule names (the comparison must score them)."""
        extra = [r.suite for r in self.rules if isinstance(r, MaxForgettingRule)]
        return list(dict.fromkeys([*self.regression_suites, *extra]))


def load_policy(path: str | Path) -> GatePolicy:
    """Read a gate policy YAML; problems raise HarnessError naming the field."""
    return load_yaml_model(GatePolicy, Path(path))
