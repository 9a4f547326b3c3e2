"""Shared rich console and number formatting: every figure is shown with its n and uncertainty."""

from __future__ import annotations

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def fmt_value(value: float | None, stderr: float | None = None, n: int | None = None, digits: int = 3) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    if stderr is not None:
        text += f" ± {stderr:.{digits}f}"
    if n is not None:
        text += f" (n={n})"
    return text
