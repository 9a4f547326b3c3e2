"""CLI values typer cannot check well, parsed into one-line HarnessErrors before anything runs."""

from __future__ import annotations

import math

from harness.errors import HarnessError

LIMIT_FIX = "pass --limit N (a whole number of items per task, N >= 1) or a fraction 0 < F < 1, e.g. --limit 20"


def parse_limit(raw: str | None) -> int | float | None:
    """`--limit`: a whole number of items per task (>= 1) or a fraction in (0, 1); None when not given.
    Called before any model is loaded or any run row is written, so a bad value leaves nothing behind."""
    if raw is None:
        return None
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise HarnessError(f"--limit {raw!r} is not a number", LIMIT_FIX) from None
    if math.isnan(value) or math.isinf(value):
        raise HarnessError(f"--limit {raw!r} is not a finite number", LIMIT_FIX)
    if value <= 0:
        raise HarnessError(f"--limit {raw!r} must be greater than 0", LIMIT_FIX)
    if value < 1:
        return value
    if value != int(value):
        raise HarnessError(f"--limit {raw!r} is neither a whole number of items nor a fraction below 1", LIMIT_FIX)
    return int(value)


EVAL_STAGES = ("all", "final")


def parse_eval_stages(value: str) -> str:
    """`--eval-stages`: which stages a demo evaluates besides the base (harness.pipeline.stages_to_evaluate)."""
    if value not in EVAL_STAGES:
        raise HarnessError(f"--eval-stages {value!r} is not one of {', '.join(EVAL_STAGES)}",
                           "pass --eval-stages all (base and every stage) or final (base and the last stage "
                           "lm-eval can score)")
    return value
