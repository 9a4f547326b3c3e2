"""Page speed of the dashboard in headless Chromium: time to interactive of every page (first visit after a
fresh server start = cold, second visit = warm) and of one widget change per page, against the issue's targets
(load <= 2 s, widget change <= 1 s) and against a trivial Streamlit page served and measured the same way in the
same run.

    .venv/bin/python benchmarks/bench_dashboard.py [--db STORE] [--width 1280] [--rounds 1] [--baseline-app PATH]
        [--until script|indicator]

Each round starts a fresh server the way `harness dashboard` does (its warm-up included: the round starts once the
server logged that the warm-up is done, and the seconds from start to then are printed), then visits every page
cold, warm, and changes one widget per page. Every server of a run, the reference page's included, listens on the
same port, so the browser has Streamlit's own scripts cached, as it has for a user reopening the dashboard after
a restart; the reference page's cold load is the browser's very first visit. --baseline-app serves another
checkout's app.py with plain `streamlit run`, alternating with the current one round by round, and prints the
current/baseline ratio (before/after in the same conditions).

Without --db it builds the synthetic store of tests/dashboard_fixture.py in a temporary folder; pass the store of
`harness demo` (or of the micro pipeline) to measure real data. "Interactive" = the page's own text is shown and the
script run the load or the change started has finished (its `script_finished` message has reached the page's
websocket), plus two animation frames for the browser to draw it; a change that starts no run is reported as such.
(--until indicator: the first definition, Streamlit's running indicator gone; see _idle.) Every figure is printed
with its target, the ratio to the target and the ratio to the reference page (the part of a load no page script can
remove: Streamlit's own start-up of a session, the websocket, the browser drawing). Load average and CPU are printed
with the results: on a shared machine they move every figure."""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
LOAD_TARGET_S, WIDGET_TARGET_S = 2.0, 1.0
# (name, url path, text the finished page shows, widget to change)
PAGES = [
    ("runs", "", "runs", "Model or run id contains"),
    ("compare", "compare", "Per task", "Show secondary metrics"),
    ("training", "training", "Stages overlaid", "Learning rate (2nd axis)"),
    ("regression", "regression", "completed eval runs", "Task"),
    ("gates", "gates", "Rules of one gate", "Domain"),  # a filter: the Gate picker has nothing to change on a
    # store with one gate (the demo's)
]
REFERENCE_APP = '''import streamlit as st
st.title("Reference page")
st.caption("A trivial page: what any Streamlit page costs to load here.")
if st.toggle("Reference toggle", key="ref_toggle"):
    st.write("toggled")
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UNTIL = "script"  # or "indicator": the first versions of this benchmark (see --until)
FRAME_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


class RunWatch:
    """The script runs the server reports to one page, read from the page's websocket: every ForwardMsg is an
    event, and `script_finished` (other than "finished early for a rerun") ends a run. The browser's own run-state
    attribute is not enough: under load React batches a fast rerun's states into one render, so a run can start
    and end without the attribute ever changing."""

    def __init__(self, page: Any) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self._done = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                      ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
        self.events: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        msg = self._msg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 (not a ForwardMsg: ignore)
            return
        kind = msg.WhichOneof("type") or "?"
        self.events.append("end" if kind == "script_finished" and msg.script_finished in self._done else kind)

    def mark(self) -> int:
        return len(self.events)

    def wait(self, page: Any, mark: int, start_timeout_s: float = 2.0, timeout_s: float = 120.0) -> bool:
        """Until a run that sent something after `mark` has finished, then two animation frames (the browser has
        drawn it); False when nothing came within `start_timeout_s` (a change that started no run)."""
        t0 = time.perf_counter()
        while "end" not in self.events[mark:]:
            waited = time.perf_counter() - t0
            if (waited > start_timeout_s and len(self.events) == mark) or waited > timeout_s:
                if len(self.events) == mark:
                    return False
                raise TimeoutError(f"no script run ended in {timeout_s} s: {self.events[mark:][-5:]}")
            page.wait_for_timeout(10)  # lets playwright deliver the websocket events
        page.evaluate(FRAME_JS)
        return True


_WATCHES: dict[int, RunWatch] = {}


def _watch(page: Any) -> RunWatch:
    if id(page) not in _WATCHES:
        _WATCHES[id(page)] = RunWatch(page)
    return _WATCHES[id(page)]


def _idle(page: Any, mark: int = 0, timeout_ms: int = 120_000) -> bool:
    """Wait until the script run that the last action started has finished; False when it started none.

    --until indicator keeps the first definition: wait up to 0.5 s for Streamlit's running indicator, then for it
    to go. That indicator only appears once a run has lasted 0.5 s and fades out for 0.2 s after it, so that
    definition counted 0.5 s for any run shorter than 0.5 s and added 0.2 s to longer ones (the trivial page's
    toggle measured 0.56-1.1 s that way)."""
    if UNTIL == "indicator":
        try:
            page.wait_for_selector("[data-testid='stStatusWidget']", timeout=500)
        except Exception:  # noqa: BLE001 (playwright's TimeoutError: the run was already over)
            pass
        page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms)
        return True
    return _watch(page).wait(page, mark, timeout_s=timeout_ms / 1000)


def _load(page: Any, url: str, text: str) -> float:
    mark = _watch(page).mark()
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(text, exact=False).first.wait_for(timeout=180_000)
    _idle(page, mark)
    return time.perf_counter() - t0


def _change(page: Any, label: str) -> float | None:
    """Seconds from the widget change to the end of the run it caused (None: it caused no run)."""
    mark = _watch(page).mark()
    t0 = time.perf_counter()
    if label in ("Task", "Gate"):  # a selectbox: open it, move to the next option, pick it
        page.locator("[data-testid='stSelectbox']").filter(has_text=label).first.click()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
    elif label == "Domain":  # a multiselect: open it, pick the first option
        page.locator("[data-testid='stMultiSelect']").filter(has_text=label).first.click()
        page.keyboard.press("Enter")
    elif label == "Model or run id contains":
        box = page.get_by_label(label)
        box.fill("eval")
        box.press("Enter")
    else:  # a toggle: click its label
        page.get_by_text(label, exact=False).first.click()
    ran = _idle(page, mark)
    return time.perf_counter() - t0 if ran else None


def _records(name: str, what: str, seconds: list[float | None], target: float) -> dict[str, Any]:
    """Median over rounds; a widget change that started no run in any round is reported as such (seconds None)."""
    ran = [x for x in seconds if x is not None]
    s = statistics.median(ran) if ran else None
    return {"page": name, "what": what, "seconds": None if s is None else round(s, 2), "target_s": target,
            "ratio_to_target": None if s is None else round(s / target, 2), "n": len(ran),
            "no_rerun": len(seconds) - len(ran), "all": [None if x is None else round(x, 2) for x in seconds]}


def measure_reference(page: Any, url: str, rounds: int) -> dict[str, list[float]]:
    """The trivial page: its first load is the browser's first visit to this origin (Streamlit's scripts are
    fetched and compiled), then warm loads and toggles."""
    out = {"load (cold)": [_load(page, url, "Reference page")],
           "load (warm)": [_load(page, url, "Reference page") for _ in range(rounds)]}
    out["widget change (Reference toggle)"] = [_change(page, "Reference toggle") for _ in range(rounds)]
    return out


def measure_server(page: Any, url: str) -> dict[tuple[str, str], float]:
    """One fresh server: every page's first visit (cold), then a second visit (warm), then one widget change
    per page (after a load of that page)."""
    out: dict[tuple[str, str], float] = {}
    for name, path, text, _ in PAGES:
        out[(name, "load (cold)")] = _load(page, f"{url}/{path}", text)
    for name, path, text, _ in PAGES:
        out[(name, "load (warm)")] = _load(page, f"{url}/{path}", text)
    for name, path, text, label in PAGES:
        _load(page, f"{url}/{path}", text)
        out[(name, f"widget change ({label})")] = _change(page, label)
    return out


def _start(cmd: list[str], cwd: Path, log: Path, env: dict[str, str], url: str, warm_line: str | None,
           warm_timeout_s: float) -> tuple[subprocess.Popen, float | None]:
    """Start a server and wait until it is healthy and, when `warm_line` is given, until it logged that line (the
    warm-up of harness.dashboard_server); returns the process and the seconds from start to ready."""
    t0 = time.perf_counter()
    proc = _serve(cmd, log, env, cwd)
    _wait_healthy(url)
    if warm_line is None:
        return proc, None
    while warm_line not in log.read_text() and time.perf_counter() - t0 < warm_timeout_s:
        time.sleep(0.1)
    return proc, time.perf_counter() - t0


def _serve(cmd: list[str], log: Path, env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen:
    with open(log, "w") as fh:
        return subprocess.Popen(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env)


def _wait_healthy(url: str) -> None:
    for _ in range(480):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"{url} did not become healthy in 120 s")


def _cpu() -> dict[str, Any]:
    model, flags = "?", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line
    except OSError:
        pass
    return {"model": model, "cores": os.cpu_count(), "avx512f": " avx512f" in flags}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--rounds", type=int, default=1,
                        help="fresh servers to measure (median over them); each round starts a new server")
    parser.add_argument("--baseline-app", type=Path, default=None,
                        help="also serve this app.py (e.g. an older checkout's dashboards/app.py) with plain "
                             "`streamlit run`, alternating with the current one round by round (same conditions)")
    parser.add_argument("--until", choices=["script", "indicator"], default="script",
                        help="when a load or change is over: script = the app's script run has finished (its "
                             "run-state attribute, default); indicator = the first definition, Streamlit's "
                             "running indicator gone (adds its 0.5 s show delay and 0.2 s fade-out)")
    parser.add_argument("--warm-timeout", type=float, default=300.0,
                        help="seconds to wait for the server's warm-up before measuring anyway")
    args = parser.parse_args()
    global UNTIL
    UNTIL = args.until
    from playwright.sync_api import sync_playwright

    from harness.dashboard import stop_process, streamlit_command
    from harness.dashboard_server import READY_LINE

    tmp = Path(tempfile.mkdtemp())
    db = args.db
    if db is None:
        from dashboard_fixture import build_synthetic_store

        db = build_synthetic_store(tmp / "store.duckdb")
    db = Path(db).resolve()
    ref_app = tmp / "reference_app.py"
    ref_app.write_text(REFERENCE_APP)
    port = _free_port()  # one origin for every server: the browser keeps Streamlit's scripts cached across them,
    # as it does for a user who reopens the dashboard after a restart; the reference page pays the first fetch
    url = f"http://127.0.0.1:{port}"
    flags = ["--server.fileWatcherType", "none"]
    env = {**os.environ, "HARNESS_DB": str(db)}
    plain = [sys.executable, "-m", "streamlit", "run"]
    common = ["--browser.gatherUsageStats", "false", "--server.headless", "true", "--server.address", "127.0.0.1",
              "--server.port", str(port), "--client.toolbarMode", "viewer", *flags]
    variants = {"current": (streamlit_command(db, port, headless=True, options=flags), ROOT, READY_LINE)}
    if args.baseline_app:
        base = args.baseline_app.resolve()
        variants["baseline"] = ([*plain, str(base), *common, "--", "--db", str(db)], base.parents[1], None)
    load_before = os.getloadavg()
    results: list[dict[str, Any]] = []
    per: dict[tuple[str, str, str], list[float]] = {}
    ready: dict[str, list[float]] = {}
    loads: list[tuple[str, int, tuple[float, float, float]]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 1000})
        proc = _serve([*plain, str(ref_app), *common], tmp / "reference.log", env)
        try:
            _wait_healthy(url)
            ref = measure_reference(page, url, args.rounds)
        finally:
            stop_process(proc, timeout=15)
        for what, seconds in ref.items():
            results.append(_records("reference", what, seconds, WIDGET_TARGET_S if what.startswith("widget")
                                    else LOAD_TARGET_S))
        names = list(variants)
        for r in range(args.rounds):
            for name in names if r % 2 == 0 else names[::-1]:  # alternate which variant goes first
                cmd, cwd, line = variants[name]
                loads.append((name, r, os.getloadavg()))
                proc, secs = _start(cmd, cwd, tmp / f"server-{name}-{r}.log", env, url, line, args.warm_timeout)
                try:
                    if secs is not None:
                        ready.setdefault(name, []).append(round(secs, 1))
                    for (pname, what), s in measure_server(page, url).items():
                        per.setdefault((name, pname, what), []).append(s)
                finally:
                    stop_process(proc, timeout=15)
        browser.close()
    for (name, pname, what), seconds in per.items():
        target = WIDGET_TARGET_S if what.startswith("widget") else LOAD_TARGET_S
        results.append({"variant": name, **_records(pname, what, seconds, target)})

    def kind(what: str) -> str:
        return "widget change" if what.startswith("widget") else what

    ref_s = {kind(r["what"]): r["seconds"] for r in results if r["page"] == "reference"}
    base_s = {(r["page"], r["what"]): r["seconds"] for r in results if r.get("variant") == "baseline"}
    for r in results:
        base = ref_s.get(kind(r["what"]))
        r["reference_s"] = base
        r["ratio_to_reference"] = round(r["seconds"] / base, 2) if base and r["seconds"] is not None else None
        if r.get("variant") == "current" and (r["page"], r["what"]) in base_s:
            r["baseline_s"] = base_s[(r["page"], r["what"])]
            r["ratio_to_baseline"] = (round(r["seconds"] / r["baseline_s"], 2)
                                      if r["baseline_s"] and r["seconds"] is not None else None)
    print(f"\n{'variant':<9} {'page':<11} {'what':<40} {'seconds':>7} {'target':>6} {'÷target':>7} {'reference':>9} "
          f"{'÷ref':>5} {'÷base':>6}")
    for r in results:
        if r["seconds"] is None:
            print(f"{r.get('variant', '—'):<9} {r['page']:<11} {r['what']:<40} {'—':>7} {r['target_s']:>6.1f}   "
                  "(the change started no script run: nothing to wait for)")
            continue
        ok = "ok" if r["seconds"] <= r["target_s"] else "OVER"
        ref_txt = "—" if r["reference_s"] is None else f"{r['reference_s']:.2f}"
        ref_x = "—" if r["ratio_to_reference"] is None else f"{r['ratio_to_reference']:.2f}"
        base_x = f"{r['ratio_to_baseline']:.2f}" if r.get("ratio_to_baseline") is not None else "—"
        print(f"{r.get('variant', '—'):<9} {r['page']:<11} {r['what']:<40} {r['seconds']:>7.2f} {r['target_s']:>6.1f} "
              f"{r['ratio_to_target']:>7.2f} {ref_txt:>9} {ref_x:>5} {base_x:>6} {ok}")
    for name, secs in ready.items():
        print(f"{name}: seconds from server start to warm-up done: {secs}")
    summary = {"db": str(db), "width": args.width, "rounds": args.rounds, "until": args.until,
               "baseline_app": str(args.baseline_app),
               "load_average_before": load_before, "load_average_after": os.getloadavg(),
               "load_average_at_each_server_start": loads, "warm_up_s": ready, "cpu": _cpu(), "results": results}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
