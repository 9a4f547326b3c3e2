"""Page speed of the dashboard in headless Chromium: time to interactive of every page (first visit = cold
server caches, second visit = warm) and of one widget change per page, against the issue's targets (load <= 2 s,
widget change <= 1 s) and against a trivial Streamlit page served and measured the same way in the same run.

    .venv/bin/python benchmarks/bench_dashboard.py [--db STORE] [--width 1280] [--rounds 1]

Without --db it builds the synthetic store of tests/dashboard_fixture.py in a temporary folder; pass the store of
`harness demo` (or of the micro pipeline) to measure real data. "Interactive" = the page's own text is shown and
Streamlit's running indicator is gone. Every figure is printed with its target, the ratio to the target and the
ratio to the reference page (the part of a load no page script can remove: Streamlit's own start-up of a
session, the websocket, the browser drawing). Load average and CPU are printed with the results: on a shared
machine they move every figure."""

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
    ("gates", "gates", "Rules of one gate", "Gate"),
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


def _idle(page: Any, timeout_ms: int = 120_000) -> None:
    """Wait for a script run to start (if it does within 0.5 s) and finish."""
    try:
        page.wait_for_selector("[data-testid='stStatusWidget']", timeout=500)
    except Exception:  # noqa: BLE001 (playwright's TimeoutError: the run was already over)
        pass
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms)


def _load(page: Any, url: str, text: str) -> float:
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(text, exact=False).first.wait_for(timeout=180_000)
    _idle(page)
    return time.perf_counter() - t0


def _change(page: Any, label: str) -> float:
    t0 = time.perf_counter()
    if label in ("Task", "Gate"):  # a selectbox: open it, move to the next option, pick it
        page.locator("[data-testid='stSelectbox']").filter(has_text=label).first.click()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
    elif label == "Model or run id contains":
        box = page.get_by_label(label)
        box.fill("eval")
        box.press("Enter")
    else:  # a toggle: click its label
        page.get_by_text(label, exact=False).first.click()
    _idle(page)
    return time.perf_counter() - t0


def measure(url: str, ref_url: str, width: int, rounds: int) -> list[dict[str, Any]]:
    """Reference page first (cold, warm, toggle), then every dashboard page cold, then warm, then one widget
    change each; `rounds` > 1 repeats the warm loads and widget changes and keeps the median."""
    from playwright.sync_api import sync_playwright

    out: list[dict[str, Any]] = []

    def record(page_name: str, what: str, seconds: list[float], target: float) -> None:
        s = statistics.median(seconds)
        out.append({"page": page_name, "what": what, "seconds": round(s, 2), "target_s": target,
                    "ratio_to_target": round(s / target, 2), "n": len(seconds)})

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        record("reference", "load (cold)", [_load(page, ref_url, "Reference page")], LOAD_TARGET_S)
        record("reference", "load (warm)", [_load(page, ref_url, "Reference page") for _ in range(rounds)],
               LOAD_TARGET_S)
        record("reference", "widget change (Reference toggle)",
               [_change(page, "Reference toggle") for _ in range(rounds)], WIDGET_TARGET_S)
        for name, path, text, _ in PAGES:
            record(name, "load (cold)", [_load(page, f"{url}/{path}", text)], LOAD_TARGET_S)
        for name, path, text, _ in PAGES:
            record(name, "load (warm)", [_load(page, f"{url}/{path}", text) for _ in range(rounds)], LOAD_TARGET_S)
        for name, path, text, label in PAGES:
            times = []
            for _ in range(rounds):
                _load(page, f"{url}/{path}", text)
                times.append(_change(page, label))
            record(name, f"widget change ({label})", times, WIDGET_TARGET_S)
        browser.close()
    def kind(what: str) -> str:
        return "widget change" if what.startswith("widget") else what

    ref = {kind(r["what"]): r["seconds"] for r in out if r["page"] == "reference"}
    for r in out:
        base = ref.get(kind(r["what"]))
        r["reference_s"] = base
        r["ratio_to_reference"] = round(r["seconds"] / base, 2) if base else None
    return out


def _serve(cmd: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log, "w") as fh:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)


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
    parser.add_argument("--rounds", type=int, default=1, help="repeat warm loads and widget changes (median)")
    args = parser.parse_args()
    from harness.dashboard import streamlit_command

    tmp = Path(tempfile.mkdtemp())
    db = args.db
    if db is None:
        from dashboard_fixture import build_synthetic_store

        db = build_synthetic_store(tmp / "store.duckdb")
    ref_app = tmp / "reference_app.py"
    ref_app.write_text(REFERENCE_APP)
    port, ref_port = _free_port(), _free_port()
    flags = ["--server.fileWatcherType", "none"]
    env = {**os.environ, "HARNESS_DB": str(db)}
    cmd = streamlit_command(db, port, headless=True, options=flags)
    ref_cmd = [sys.executable, "-m", "streamlit", "run", str(ref_app), "--browser.gatherUsageStats", "false",
               "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(ref_port),
               "--client.toolbarMode", "viewer", *flags]
    load_before = os.getloadavg()
    procs = [_serve(cmd, tmp / "server.log", env), _serve(ref_cmd, tmp / "reference.log", env)]
    url, ref_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ref_port}"
    try:
        _wait_healthy(url)
        _wait_healthy(ref_url)
        results = measure(url, ref_url, args.width, args.rounds)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"\n{'page':<11} {'what':<40} {'seconds':>7} {'target':>6} {'÷target':>7} {'reference':>9} {'÷ref':>5}")
    for r in results:
        ok = "ok" if r["seconds"] <= r["target_s"] else "OVER"
        ref_s = "—" if r["reference_s"] is None else f"{r['reference_s']:.2f}"
        ref_x = "—" if r["ratio_to_reference"] is None else f"{r['ratio_to_reference']:.2f}"
        print(f"{r['page']:<11} {r['what']:<40} {r['seconds']:>7.2f} {r['target_s']:>6.1f} "
              f"{r['ratio_to_target']:>7.2f} {ref_s:>9} {ref_x:>5} {ok}")
    summary = {"db": str(db), "width": args.width, "rounds": args.rounds, "load_average_before": load_before,
               "load_average_after": os.getloadavg(), "cpu": _cpu(), "results": results}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
