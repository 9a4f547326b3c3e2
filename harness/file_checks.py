"""Say what a path *is* when it cannot be read as a file: a folder, a named pipe (which would block a
reader forever), a device such as /dev/null, a socket, a symlink loop or a broken symlink; "not found"
only when nothing is there. Checked with `os.stat` before any `open`."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from harness.errors import HarnessError


def describe_non_file(path: Path) -> str | None:
    """None for a readable-looking regular file (following symlinks), else what the path is."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symlink loop (it resolves to itself)"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return f"is a broken symlink (its target {os.readlink(path)} does not exist)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "not found"
        if exc.errno == errno.EACCES:
            return "cannot be read (permission denied)"
        if exc.errno == errno.ENAMETOOLONG:
            return "has a name too long for the file system"
        return f"cannot be accessed ({exc.strerror})"
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode):
        null = os.path.realpath(path) == os.devnull
        return "is the null device (always empty), not a file" if null else "is a character device, not a file"
    if stat.S_ISBLK(mode):
        return "is a block device, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"


def require_file(path: Path, what: str, fix: str, *, folder_fix: str | None = None) -> None:
    """Raise a one-line HarnessError naming what `path` is, unless it is a regular file."""
    problem = describe_non_file(path)
    if problem is None:
        return
    if problem.startswith("is a folder") and folder_fix:
        fix = folder_fix
    raise HarnessError(f"{what} {path} {problem}", fix)
