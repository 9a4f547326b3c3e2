"""Shared rich console and number formatting: every figure is shown with its n and uncertainty."""

from __future__ import annotations

import sys

from rich.console import Console

# Wide enough for the comparison tables when output is captured (CI logs), the terminal's width otherwise.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def fmt_value(value: float | None, stderr: float | None = None, n: int | None = None, digits: int = 3) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    if stderr is not None:
        text += f" ± {stderr:.{digits}f}"
    if n is not None:
        text += f" (n={n})"
    return text
