"""User-facing errors: one line naming the problem and the fix, exit code 2, no traceback."""

from __future__ import annotations


class HarnessError(Exception):
    """An input or usage problem the user can fix. The CLI prints it as one line and exits 2."""

    exit_code = 2

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem.rstrip(".")
        self.fix = fix.rstrip(".")
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"error: {self.problem}. fix: {self.fix}."
