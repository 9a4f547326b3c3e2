"""Keep the terminal for what matters: while a pipeline trains and evaluates, everything the libraries write
(logging, Python warnings, tqdm bars on stderr, subprocess chatter such as git's) goes to one log file, and the
terminal shows each distinct library warning once. The harness's own tables and progress lines go to stdout,
which is untouched.

    with quiet_run(log_file):
        ... train, evaluate ...
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from harness.paths import cache_dir

_VOLATILE = re.compile(r"\[Task: [^\]]+\]|^[\w.-]+: |metric \w+|'[^']*'|\S*/\S+|\d+(\.\d+)?")
# Library advice that does not apply under the harness: the harness picks chat-templated or plain prompts per task
# (`metadata.prompt_format`, harness/evaluation/prompt_format.py) and stores the choice in the task's identity, so
# lm-eval's "appears to be an instruct or chat variant but chat template is not applied" is kept in the log only.
# So is lm-eval chatter about what it does right by default: a group's accuracy not averaging a perplexity task,
# loglikelihood_rolling metrics taking their standard aggregation and direction, the `--metadata` hint, and a
# task whose metrics are defined on different items (legal_extract's f1_has_answer): the harness stores each
# metric's own n (evaluation/runner._count_items) and computes suite means itself, not with lm-eval's group weights.
# Also log-only: deprecations raised inside the libraries' own calls (TRL reads `is_gradient_checkpointing`) and
# bitsandbytes' note that the optional `kernels` package is absent (its plain CPU path runs): nothing a user can act on.
_LOG_ONLY = ("chat template is not applied", "tasks. Missing in:", "but aggregation is not",
             "but higher_is_better is not", "Custom kwargs can be passed to `--metadata`",
             "Metrics were not scored on the same number of documents",
             "`is_gradient_checkpointing` is deprecated", "from kernels-community")


def new_log_file(prefix: str) -> Path:
    folder = cache_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}.log"


class _Once(logging.Filter):
    """Passes a warning the first time its text (task names and numbers masked) is seen."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(text in " ".join(message.split()) for text in _LOG_ONLY):
            return False
        key = _VOLATILE.sub("#", message.splitlines()[0] if message else "")
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


@contextmanager
def quiet_run(log_file: Path, *, enabled: bool = True) -> Iterator[Path]:
    """Send library output to `log_file` (appended) and show each distinct library warning once on the
    terminal's stderr. Restores stderr and logging on exit, also on errors (so the CLI's one-line error shows)."""
    if not enabled:
        yield log_file
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved_fd = os.dup(2)
    terminal = os.fdopen(os.dup(saved_fd), "w", buffering=1, encoding="utf-8", errors="replace")
    with open(log_file, "a", encoding="utf-8", buffering=1) as log:
        os.dup2(log.fileno(), 2)
        root = logging.getLogger()
        to_file = logging.StreamHandler(log)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        once = logging.StreamHandler(terminal)
        once.setLevel(logging.WARNING)
        once.addFilter(_Once())
        once.setFormatter(logging.Formatter("warning (%(name)s): %(message)s"))
        previous_level = root.level
        root.addHandler(to_file)
        root.addHandler(once)
        root.setLevel(min(previous_level or logging.WARNING, logging.INFO))
        logging.captureWarnings(True)
        try:
            yield log_file
        finally:
            logging.captureWarnings(False)
            root.removeHandler(to_file)
            root.removeHandler(once)
            root.setLevel(previous_level)
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            terminal.close()
