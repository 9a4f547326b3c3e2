"""Page speed of the dashboard in headless Chromium: time to interactive of every page (first visit = cold
caches, second visit = warm) and of one widget change per page.

    .venv/bin/python benchmarks/bench_dashboard.py [--db harness.duckdb] [--width 1280]

Without --db it builds the synthetic store of tests/dashboard_fixture.py in a temporary folder. "Interactive"
= the page's own text is shown and streamlit's running indicator is gone. Prints one line per measurement
and a JSON summary; run `uptime` next to it (the machine's load changes every figure)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# (name, url path, text the finished page shows, widget to change: (label to click, text shown after))
PAGES = [
    ("runs", "", "runs", ("Model or run id contains", None)),
    ("compare", "compare", "Per task", ("Show secondary metrics", None)),
    ("training", "training", "Stages overlaid", ("Learning rate (2nd axis)", None)),
    ("regression", "regression", "completed eval runs", ("Task", None)),
    ("gates", "gates", "Rules of one gate", ("Gate", None)),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _idle(page, timeout_ms: int = 120_000) -> None:
    """Wait for a script run to start (if it does within 0.5 s) and finish."""
    try:
        page.wait_for_selector("[data-testid='stStatusWidget']", timeout=500)
    except Exception:  # noqa: BLE001 (playwright's TimeoutError: the run was already over)
        pass
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms)


def measure(url: str, width: int) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    out: list[dict[str, object]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        for visit in ("cold", "warm"):
            for name, path, text, _ in PAGES:
                t0 = time.perf_counter()
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                page.get_by_text(text, exact=False).first.wait_for(timeout=180_000)
                _idle(page)
                out.append({"page": name, "what": f"load ({visit})", "seconds": round(time.perf_counter() - t0, 2)})
                print(out[-1], flush=True)
        for name, path, text, (label, _) in PAGES:
            page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            page.get_by_text(text, exact=False).first.wait_for(timeout=180_000)
            _idle(page)
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
            out.append({"page": name, "what": f"widget change ({label})",
                        "seconds": round(time.perf_counter() - t0, 2)})
            print(out[-1], flush=True)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    from harness.dashboard import streamlit_command

    db = args.db
    if db is None:
        from dashboard_fixture import build_synthetic_store

        db = build_synthetic_store(Path(tempfile.mkdtemp()) / "store.duckdb")
    port = _free_port()
    log = open(Path(tempfile.mkdtemp()) / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(streamlit_command(db, port, headless=True, options=["--server.fileWatcherType", "none"]),
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HARNESS_DB": str(db)})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        results = measure(url, args.width)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    print(json.dumps({"db": str(db), "load_average": os.getloadavg(), "results": results}, indent=1))


if __name__ == "__main__":
    main()
