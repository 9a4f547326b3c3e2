"""`harness dashboard`: run the Streamlit app in dashboards/ on a store, read-only.

Streamlit is started as a subprocess (`python -m harness.dashboard_server run`: Streamlit's own CLI plus a
warm-up of every page, see that module) rather than in-process, because its
server owns the process (signals, event loop) and the app must find the store through its own argv.

The server binds 127.0.0.1 unless told otherwise (`--address`), hides the developer toolbar (deploy, rerun,
clear cache: `client.toolbarMode=viewer`) and never writes to the store. In a source checkout the app is
`<repo>/dashboards/app.py`; an installed wheel carries it as `harness/_data/dashboards/app.py` (setup.py)."""

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
from harness.paths import PACKAGED_DATA, PROJECT_ROOT

DEFAULT_ADDRESS = "127.0.0.1"


def app_path() -> Path:
    """The app of a source checkout, else the copy an installed wheel carries."""
    checkout = PROJECT_ROOT / "dashboards" / "app.py"
    return checkout if checkout.exists() else PACKAGED_DATA / "dashboards" / "app.py"


APP = app_path()


def streamlit_command(db: Path, port: int | None = None, headless: bool = False,
                      options: Sequence[str] = (), address: str = DEFAULT_ADDRESS) -> list[str]:
    """The command line `launch` runs (separate so tests can start the same server). `options` are extra
    streamlit flags, e.g. ("--server.fileWatcherType", "none"). It is `streamlit run` through
    harness.dashboard_server, which warms every page once in the server process as it starts."""
    cmd = [sys.executable, "-m", "harness.dashboard_server", "run", str(app_path()),
           "--browser.gatherUsageStats", "false", "--server.headless", "true" if headless else "false",
           "--server.address", address, "--client.toolbarMode", "viewer", *options]
    if port is not None:
        cmd += ["--server.port", str(port)]
    return [*cmd, "--", "--db", str(Path(db).expanduser().resolve())]


def launch(db: Path, port: int | None = None, headless: bool = False, address: str = DEFAULT_ADDRESS) -> None:
    """Serve the dashboard on `db` until interrupted (Ctrl-C stops the server and returns)."""
    db = Path(db).expanduser().resolve()
    if not db.exists():
        raise HarnessError(f"store {db} does not exist", "run `harness demo` first, or pass --db PATH")
    app = app_path()
    if not app.exists():
        raise HarnessError(f"dashboard app {app} not found",
                           "reinstall the harness (the wheel carries harness/_data/dashboards), or run from a "
                           "source checkout (pip install -e .)")
    if port is not None and not 0 < port < 65536:
        raise HarnessError(f"port {port} is out of range", "pass --port between 1 and 65535")
    if not address.strip():
        raise HarnessError("--address is empty", "pass an interface address, e.g. 127.0.0.1 or 0.0.0.0")
    env = {**os.environ, "HARNESS_DB": str(db)}
    proc = subprocess.Popen(streamlit_command(db, port, headless, address=address), cwd=app.parents[1], env=env)
    previous = _on_sigterm_interrupt()
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (e.g. a supervisor): never leave the server orphaned
        stop_process(proc)
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


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server process, killing it if it does not exit within `timeout` seconds (the CLI, the page
    benchmark and the browser test stop their Streamlit servers this way)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- export of a whole comparison (the dashboard's download button and `harness compare --csv`) -------------
CSV_COLUMNS = ("section", "suite", "task", "metric", "filter", "role", "higher_is_better", "n", "dropped_baseline",
               "dropped_candidate", "baseline", "baseline_ci_low", "baseline_ci_high", "candidate",
               "candidate_ci_low", "candidate_ci_high", "delta", "ci_low", "ci_high", "ratio", "ratio_ci_low",
               "ratio_ci_high", "test", "p_value", "p_adjusted", "verdict", "baseline_run", "candidate_run",
               "confidence", "correction", "n_boot")


def comparison_csv(comp: dict[str, Any]) -> str:
    """A comparison (Comparison.to_dict()) as one CSV: a row per task metric (section `task`; role primary or
    secondary, secondary rows are exploratory), per suite (`suite`) and per regression suite (`forgetting`:
    chance-corrected kept ratio; `forgetting_bits_per_byte`: the perplexity-type ratio)."""
    import csv
    import io

    common = {"confidence": comp.get("confidence"), "correction": comp.get("correction"), "n_boot": comp.get("n_boot")}
    b_runs, c_runs = comp["baseline"].get("runs", {}), comp["candidate"].get("runs", {})
    out: list[dict[str, Any]] = []
    for r in comp.get("rows", []):
        out.append({**{k: r.get(k) for k in CSV_COLUMNS if k in r}, "section": "task",
                    "role": "primary" if r.get("primary") else "secondary (exploratory)",
                    "baseline_run": b_runs.get(r["task"]), "candidate_run": c_runs.get(r["task"]), **common})
    for s in comp.get("suites", []):
        out.append({**{k: s.get(k) for k in CSV_COLUMNS if k in s}, "section": "suite", "task": ";".join(s["tasks"]),
                    "metric": "macro_mean", "role": "primary", **common})
    for f in comp.get("forgetting", []):
        out.append({"section": "forgetting", "suite": f["suite"], "task": ";".join(f["tasks"]),
                    "metric": "kept_above_chance", "n": f["n"], "baseline": f["baseline"],
                    "candidate": f["candidate"], "ratio": f["ratio"], "ratio_ci_low": f["ci_low"],
                    "ratio_ci_high": f["ci_high"], "higher_is_better": True, **common})
        if f.get("ppl_ratio") is not None:
            out.append({"section": "forgetting_bits_per_byte", "suite": f["suite"], "task": ";".join(f["ppl_tasks"]),
                        "metric": f"{f['ppl_metric']}_ratio", "n": f["ppl_n"], "baseline": f["ppl_baseline"],
                        "candidate": f["ppl_candidate"], "ratio": f["ppl_ratio"], "ratio_ci_low": f["ppl_ci_low"],
                        "ratio_ci_high": f["ppl_ci_high"], "higher_is_better": False, **common})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(out)
    return buf.getvalue()
