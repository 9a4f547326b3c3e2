"""Failures the user can fix that do not start life as a HarnessError: a full disk, a folder the user may not
write, a read-only file system, and typer's usage errors (a six-line box otherwise). `main()` turns them
into the one-line `error: ... fix: ...` form with exit code 2; anything else is a bug and keeps its traceback.

Why here and not at every `open()`: these errors can surface in any writer (the store, the model cache, a
stage folder, a JUnit file), and each writer already leaves nothing complete-looking behind when it raises
(stage folders are renamed into place only when finished; store writes are transactions)."""

from __future__ import annotations

import errno

import typer

from harness.errors import HarnessError

_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_PERMISSION = {errno.EACCES, errno.EPERM, errno.EROFS}
# DuckDB reports the OS error only as text
_DUCKDB_SPACE = ("no space left on device", "disk quota exceeded", "file too large")
_DUCKDB_PERMISSION = ("permission denied", "read-only file system", "operation not permitted")


def _where(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else exc.filename2
    return f" {name}" if name is not None else ""


def _from_os_error(exc: OSError) -> HarnessError | None:
    if exc.errno in _SPACE:
        return HarnessError(f"cannot write{_where(exc)}: {exc.strerror or 'no space left'}",
                            "free disk space (or raise the quota) and run the command again; nothing half-written "
                            "is marked complete")
    if exc.errno in _PERMISSION:
        return HarnessError(f"cannot access{_where(exc)}: {exc.strerror or 'permission denied'}",
                            "fix the permissions of that path, or point the harness elsewhere (--db PATH, "
                            "HARNESS_CACHE_DIR)")
    return None


def _from_duckdb(exc: Exception) -> HarnessError | None:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    low = text.lower()
    if any(s in low for s in _DUCKDB_SPACE):
        return HarnessError(f"the store could not be written: {first}",
                            "free disk space and run the command again; the store keeps every committed row")
    if any(s in low for s in _DUCKDB_PERMISSION):
        return HarnessError(f"the store could not be opened or written: {first}",
                            "fix the permissions of the store file and its folder, or pass --db PATH")
    return None


def _from_usage(exc: typer.TyperException) -> HarnessError:
    """typer's (vendored click's) usage errors: `--last abc`, an unknown option or command."""
    ctx = getattr(exc, "ctx", None)
    command = "harness"
    if ctx is not None:  # the root's name is whatever started us (`harness`, `python -m harness.cli`, a test)
        root = ctx.find_root()
        command += ctx.command_path[len(root.command_path):]
    message = " ".join(exc.format_message().split())
    return HarnessError(f"{command}: {message}", f"see `{command} --help`")


def as_harness_error(exc: BaseException) -> HarnessError | None:
    """The one-line error for a failure the user can fix, or None (a bug: let it raise)."""
    if isinstance(exc, HarnessError):
        return exc
    if isinstance(exc, typer.TyperException) and hasattr(exc, "format_message"):
        return _from_usage(exc)
    if isinstance(exc, OSError):
        return _from_os_error(exc)
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a core dependency
        return None
    if isinstance(exc, duckdb.Error):
        return _from_duckdb(exc)
    return None
