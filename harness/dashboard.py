"""`harness dashboard`: run the Streamlit app in dashboards/ on a store, read-only.

Streamlit is started as a subprocess (`python -m streamlit run`) rather than in-process, because its
server owns the process (signals, event loop) and the app must find the store through its own argv."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from harness.errors import HarnessError
from harness.paths import PROJECT_ROOT

APP = PROJECT_ROOT / "dashboards" / "app.py"


def streamlit_command(db: Path, port: int | None = None, headless: bool = False,
                      options: Sequence[str] = ()) -> list[str]:
    """The command line `launch` runs (separate so tests can start the same server). `options` are extra
    streamlit flags, e.g. ("--server.fileWatcherType", "none")."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--browser.gatherUsageStats", "false",
           "--server.headless", "true" if headless else "false", *options]
    if port is not None:
        cmd += ["--server.port", str(port)]
    return [*cmd, "--", "--db", str(Path(db).expanduser().resolve())]


def launch(db: Path, port: int | None = None, headless: bool = False) -> None:
    """Serve the dashboard on `db` until interrupted (Ctrl-C stops the server and returns)."""
    db = Path(db).expanduser().resolve()
    if not db.exists():
        raise HarnessError(f"store {db} does not exist", "run `harness demo` first, or pass --db PATH")
    if not APP.exists():
        raise HarnessError(f"dashboard app {APP} not found",
                           "run the dashboard from a source checkout (pip install -e .), where dashboards/ exists")
    if port is not None and not 0 < port < 65536:
        raise HarnessError(f"port {port} is out of range", "pass --port between 1 and 65535")
    env = {**os.environ, "HARNESS_DB": str(db)}
    proc = subprocess.Popen(streamlit_command(db, port, headless), cwd=PROJECT_ROOT, env=env)
    previous = _on_sigterm_interrupt()
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (e.g. a supervisor): never leave the server orphaned
        _stop(proc)
        return
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if code != 0:
        raise HarnessError(f"streamlit exited with code {code}",
                           "read the streamlit output above (a port in use? pass --port)")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _on_sigterm_interrupt() -> signal.Handlers | Callable[..., Any] | int | None:
    """Turn SIGTERM into KeyboardInterrupt while we wait; returns the previous handler (None off the main
    thread, where handlers cannot be set)."""
    try:
        return signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:
        return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
