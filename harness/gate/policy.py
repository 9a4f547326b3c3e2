"""Release-gate policy: a YAML list of rules, each judged on a Comparison with one of three outcomes.

PASS = the data show the requirement is met; FAIL = the data show it is not; INCONCLUSIVE = the interval
still spans the limit (too few items to tell). A gate passes only when every rule passes.

- floor:           candidate value >= threshold (<= for lower-is-better). `on: estimate` judges the point
                   estimate (pass/fail); `on: ci` requires the unfavourable CI bound to meet it.
- min_improvement: candidate - baseline >= delta (signed so that positive is better). `significant: true`
                   requires the corrected paired test (family = the policy's significant rules) to show it;
                   confidently below delta fails, otherwise the rule is inconclusive.
- max_drop:        on a task (its metric) or a suite (macro mean over every member task the suite definition
                   lists). Non-inferiority by default: PASS only when the unfavourable CI bound of the
                   improvement is >= -max_drop. `lenient: true` is the old reading (fail only when confident
                   the drop exceeds the limit) and is named as such in every output.
- max_forgetting:  the chance-corrected forgetting ratio of a regression suite (candidate/baseline of the
                   macro mean of (score - chance)/(1 - chance)) must be >= 1 - max_forgetting, judged the
                   same way (non-inferiority unless lenient).
- max_perplexity_increase: candidate/baseline bits per byte of the suite's perplexity-type tasks must be
                   <= 1 + max_increase (non-inferiority unless lenient).
- min_n:           every named task (default: every task in the comparison) has >= min_n paired items.
A rule naming a task or suite (or a suite member) absent from the comparison fails: missing data never
passes. `harness gate --plan` shows, per rule, whether its n can resolve its margin at all.
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

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: object) -> object:
        """YAML 1.1 reads an unquoted `on:` key as the boolean True; take it as the `on` field."""
        if isinstance(data, dict) and True in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data


class MinImprovementRule(_TaskRule):
    kind: Literal["min_improvement"]
    delta: float = 0.0
    significant: bool = False
    alpha: float | None = Field(None, gt=0, lt=1)


def _no_strict(data: object) -> object:
    if isinstance(data, dict) and "strict" in data:
        raise ValueError("`strict` was removed: non-inferiority (the old strict reading) is now the default; "
                         "write `lenient: true` for the old default")
    return data


class MaxDropRule(_Rule):
    kind: Literal["max_drop"]
    task: str | None = None
    suite: str | None = None
    metric: str | None = None
    max_drop: float = Field(ge=0, description="largest acceptable loss, in the metric's units")
    lenient: bool = Field(False, description="fail only when confident the loss exceeds the margin "
                                             "(default: pass only when confident it does not)")

    _strict = model_validator(mode="before")(_no_strict)

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
    max_forgetting: float = Field(ge=0, lt=1, description="largest acceptable share of the baseline's "
                                                          "above-chance suite score lost")
    lenient: bool = False

    _strict = model_validator(mode="before")(_no_strict)

    def target(self) -> str:
        return f"suite:{self.suite}"


class MaxPerplexityIncreaseRule(_Rule):
    kind: Literal["max_perplexity_increase"]
    suite: str = "general"
    max_increase: float = Field(ge=0, description="largest acceptable relative increase of the suite's bits "
                                                  "per byte (0.1 = 10% worse)")
    lenient: bool = False

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


Rule = Annotated[FloorRule | MinImprovementRule | MaxDropRule | MaxForgettingRule | MaxPerplexityIncreaseRule
                 | MinNRule, Field(discriminator="kind")]


class Planning(BaseModel):
    """Assumptions `harness gate --plan` uses where no stored baseline eval says otherwise."""

    model_config = ConfigDict(extra="forbid")
    discordance: float = Field(0.2, gt=0, le=1, description="share of 0/1 items expected to flip between "
                                                             "baseline and candidate (either way)")
    baseline_score: float = Field(0.7, gt=0, le=1, description="assumed baseline accuracy of regression-suite "
                                                               "tasks, for forgetting rules")
    relative_sd: float = Field(0.1, gt=0, description="assumed per-item sd of the paired difference of a "
                                                      "continuous metric, relative to its baseline value")


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
    planning: Planning = Field(default_factory=Planning)
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
        extra = [r.suite for r in self.rules if isinstance(r, MaxForgettingRule | MaxPerplexityIncreaseRule)]
        return list(dict.fromkeys([*self.regression_suites, *extra]))


def load_policy(path: str | Path) -> GatePolicy:
    """Read a gate policy YAML; problems raise HarnessError naming the field."""
    return load_yaml_model(GatePolicy, Path(path))
