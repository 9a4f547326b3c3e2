"""The dashboard as a user gets it: `streamlit run` serving the app, loaded in headless Chromium.

AppTest (tests/test_dashboard.py) checks what each page shows; this checks that the real server starts,
the browser renders pages with their charts and no exception, and it keeps screenshots (set
HARNESS_SCREENSHOT_DIR to keep them outside the temporary folder, e.g. tests/artifacts)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_fixture import resolve_dashboard_db

from harness.dashboard import stop_process, streamlit_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow,  # a streamlit server and a headless browser
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason=f"{CHROMIUM} is not installed (scripts/ensure_browser.sh installs it)")]


@pytest.fixture(scope="module")
def dashboard_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resolve_dashboard_db(request, tmp_path_factory)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(dashboard_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A streamlit server on a free port; always terminated, its log shown when it fails to start."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = streamlit_command(dashboard_db, port, headless=True, options=["--server.fileWatcherType", "none"])
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "HARNESS_DB": str(dashboard_db)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy in 90 s:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(proc, timeout=15)


def _check_png(path: Path, width: int, height: int) -> None:
    """A real screenshot: PNG of the viewport's size with many colours, not a blank or error page."""
    from PIL import Image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 20_000, f"{path} is only {path.stat().st_size} bytes"
    with Image.open(path) as img:
        assert img.size == (width, height)
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 200, f"{path} has {len(colours)} colours: blank page?"


def _keep(path: Path) -> None:
    """Copy a screenshot to $HARNESS_SCREENSHOT_DIR (a folder; "1" or "true" means tests/artifacts)."""
    target = os.environ.get("HARNESS_SCREENSHOT_DIR", "").strip()
    if not target:
        return
    folder = ROOT / "tests" / "artifacts" if target.lower() in {"1", "true", "yes"} else Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, folder / path.name)


def test_dashboard_in_headless_chromium(server: str, dashboard_db: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from harness.store import Store

    store = Store(dashboard_db, read_only=True)
    newest = store.query("SELECT run_id FROM runs ORDER BY started_at DESC, run_id LIMIT 1")[0]["run_id"]
    comparable = len(store.query("SELECT DISTINCT r.run_id FROM runs r JOIN eval_samples s ON s.run_id = r.run_id"
                                 " WHERE r.kind = 'eval' AND r.status = 'completed'")) >= 2
    curves = bool(store.query("SELECT 1 FROM train_logs LIMIT 1"))
    width, height = 1400, 1000
    # (url path, screenshot name, text the finished page shows, whether it draws an Altair chart)
    pages = [("", "runs", newest, False),
             ("compare", "compare", "Per task" if comparable else "Comparing needs", comparable),
             ("training", "training", "train vs validation loss" if curves else "No train run", curves)]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            for url_path, name, text, chart in pages:
                page.goto(f"{server}/{url_path}", wait_until="domcontentloaded")
                page.get_by_text(text, exact=False).first.wait_for(timeout=90_000)
                if chart:  # Altair charts render through vega-embed
                    page.locator(".vega-embed").first.wait_for(timeout=60_000)
                page.wait_for_timeout(1500)  # let fonts and charts settle
                assert page.locator("[data-testid='stException']").count() == 0, f"{name}: exception shown"
                shot = tmp_path / f"dashboard_{name}.png"
                page.screenshot(path=str(shot))
                _check_png(shot, width, height)
                _keep(shot)
        finally:
            browser.close()


# -- what a release manager checks, in the browser ------------------------------------------------------------
WIDTH = 1280


def _settle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the script run finished (streamlit's running indicator gone) and the page rendered."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")",
                           timeout=timeout_ms)
    page.wait_for_timeout(300)


def _cut_cells(page) -> list[str]:
    """Table cells whose content is wider than the cell (cut or scrolled), as 'text (scroll/client px)',
    tables that run past the right edge of the page, and tables whose box scrolls sideways (their right-hand
    columns hidden until scrolled)."""
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid^='stTable'] td,"
        + " [data-testid^='stTable'] th")].filter(e => e.scrollWidth > e.clientWidth + 1)
        .map(e => `${e.innerText} (${e.scrollWidth}/${e.clientWidth})`).concat(
        [...document.querySelectorAll("[data-testid='stMain'] table")].filter(
        t => t.getBoundingClientRect().right > document.querySelector("[data-testid='stMain']")
        .getBoundingClientRect().right + 1).map(t => `table wider than the page: ${t.innerText.slice(0, 60)}`)).concat(
        [...document.querySelectorAll("[data-testid^='stTable'], [data-testid^='stTable'] div")].filter(
        d => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(d).overflowX)
        && d.scrollWidth > d.clientWidth + 1).map(
        d => `table scrolls sideways (${d.scrollWidth}/${d.clientWidth} px): ${d.innerText.slice(0, 60)}`))""")


def _table_headers(page) -> list[str]:
    """Header texts of every HTML table on the page, one string per table (tab-separated)."""
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid^='stTable'] table")].map(
        t => [...t.querySelectorAll("th")].map(h => h.innerText.trim()).join("\\t"))""")


def _has_table(page, *columns: str) -> bool:
    """True when one HTML table on the page has all of `columns` among its headers (not a scrolled grid)."""
    return any(all(c in h.split("\t") for c in columns) for h in _table_headers(page))


def _row_text(page, task: str) -> list[str]:
    """Texts of the table rows that name `task` (every st.table on the page), once one is there."""
    rows = page.locator("[data-testid^='stTable'] tr", has_text=task)
    rows.first.wait_for(timeout=120_000)
    _settle(page)
    return rows.all_inner_texts()


def test_release_manager_views(server: str, dashboard_db: Path, tmp_path: Path) -> None:
    """Same metric, same value on Runs, Compare and Regression; a copied Compare URL reopens the same
    selection; the side-by-side view shows a generation task's items with a word diff; no table cell is cut
    at 1280 px; screenshots of Compare, Training and Gates (kept with HARNESS_SCREENSHOT_DIR)."""
    import sys

    from playwright.sync_api import sync_playwright

    if str(ROOT) not in sys.path:  # `dashboards` is a top-level folder, not an installed package
        sys.path.insert(0, str(ROOT))
    from dashboards.common import fmt_num
    from harness.store import Store

    store = Store(dashboard_db, read_only=True)
    evals = [r["run_id"] for r in store.query(
        "SELECT DISTINCT r.run_id, r.started_at FROM runs r JOIN eval_samples s ON s.run_id = r.run_id"
        " WHERE r.kind = 'eval' AND r.status = 'completed' AND r.domain IS NOT NULL"
        " AND coalesce(json_extract_string(r.config_json, '$.evaluator'), 'lm-eval') <> 'custom'"  # lm-eval runs
        " ORDER BY r.started_at")]
    assert len(evals) >= 2, "the store needs two evaluations"
    baseline, candidate = evals[0], evals[-1]
    domain = store.query("SELECT domain FROM runs WHERE run_id = ?", [candidate])[0]["domain"]
    # the candidate's task with the largest stored value (several digits before the point where there are any)
    row = store.query(
        "SELECT e.task, e.metric, e.value FROM eval_results e LEFT JOIN eval_tasks t ON t.run_id = e.run_id"
        " AND t.task = e.task WHERE e.run_id = ? AND (t.primary_metric IS NULL OR e.metric = t.primary_metric)"
        " ORDER BY abs(e.value) DESC LIMIT 1", [candidate])[0]
    task, metric, value = row["task"], row["metric"], fmt_num(row["value"])
    gen = store.query(
        "SELECT b.task FROM eval_samples b JOIN eval_samples c ON c.task = b.task AND c.metric = b.metric"
        " AND c.doc_hash = b.doc_hash LEFT JOIN eval_tasks t ON t.run_id = b.run_id AND t.task = b.task"
        " WHERE b.run_id = ? AND c.run_id = ? AND b.prediction IS NOT NULL AND b.prediction <> c.prediction"
        " GROUP BY b.task HAVING any_value(json_extract_string(t.config_json, '$.output_type')) = 'generate_until'"
        " OR NOT bool_and(b.value IN (0, 1)) LIMIT 1",
        [baseline, candidate])
    assert gen, "no generation task whose outputs differ between the two runs"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            # 1. one number per metric: Runs (drill-down), Compare (candidate column), Regression (series)
            page.goto(f"{server}/?run={candidate}", wait_until="domcontentloaded")
            _settle(page)
            assert any(value in r for r in _row_text(page, task)), (value, _row_text(page, task))
            # the runs list is an HTML table too: its key columns are checked like every other cell
            assert _has_table(page, "run", "kind", "stage", "status"), _table_headers(page)
            assert not _cut_cells(page), _cut_cells(page)
            # the run's per-item rows: a browse grid (canvas) whose columns fit the page, no sideways scrolling
            page.get_by_role("tab", name="Samples").click()
            page.locator("[data-testid='stDataFrame'] .dvn-scroller").first.wait_for(timeout=120_000)
            _settle(page)
            grids = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stDataFrame'] .dvn-scroller")]
                .map(d => [d.scrollWidth, d.clientWidth])""")
            assert grids and all(w <= c + 1 for w, c in grids), f"samples grid scrolls sideways: {grids}"

            page.goto(f"{server}/compare?baseline={baseline}&candidate={candidate}", wait_until="domcontentloaded")
            page.get_by_text("Per task").first.wait_for(timeout=120_000)
            _settle(page)
            assert any(value in r for r in _row_text(page, task)), (value, _row_text(page, task))
            assert not _cut_cells(page), _cut_cells(page)
            # 2. the URL now holds the whole selection; a copy opened elsewhere shows the same comparison
            copied = page.url
            assert f"baseline={baseline}" in copied and f"candidate={candidate}" in copied, copied
            other = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            other.goto(copied, wait_until="domcontentloaded")
            other.get_by_text("Per task").first.wait_for(timeout=120_000)
            _settle(other)
            assert other.get_by_text(f"baseline run {baseline}, candidate run {candidate}").count() >= 1 or (
                baseline in other.inner_text("body") and candidate in other.inner_text("body"))
            assert other.url == copied
            other.close()
            shot = tmp_path / "dashboard_compare.png"
            page.screenshot(path=str(shot))
            _check_png(shot, WIDTH, 1000)
            _keep(shot)

            # 3. side by side: a generation task's items with word-level diff marks
            page.goto(f"{server}/compare?baseline={baseline}&candidate={candidate}&task={gen[0]['task']}"
                      "&sort=change", wait_until="domcontentloaded")
            page.get_by_text("Items side by side").first.wait_for(timeout=120_000)
            _settle(page)
            binary = store.query("SELECT task FROM eval_samples WHERE run_id = ? GROUP BY task, metric"
                                 " HAVING bool_and(value IN (0, 1)) LIMIT 1", [baseline])
            marks = page.locator("ins.diff-ins, del.diff-del")
            marks.first.wait_for(timeout=120_000)
            assert marks.count() > 0, "no diff highlighting shown"
            if binary:  # flip counts of the pair's 0/1 metrics: an HTML table, so no count is ever cut
                page.locator("[data-testid^='stTable'] th", has_text="right → wrong").first.wait_for(timeout=120_000)
                _settle(page)
                assert _has_table(page, "right → wrong", "wrong → right"), _table_headers(page)
            assert not _cut_cells(page), _cut_cells(page)
            page.locator("ins.diff-ins, del.diff-del").first.scroll_into_view_if_needed()
            shot = tmp_path / "dashboard_side_by_side.png"
            page.screenshot(path=str(shot))
            _keep(shot)

            page.goto(f"{server}/regression?domain={domain}&task={task}&metric={metric}",
                      wait_until="domcontentloaded")
            _settle(page)
            rows = _row_text(page, candidate)
            assert rows and value in rows[0], (value, rows)
            assert not _cut_cells(page), _cut_cells(page)

            # 4. screenshots for the README: Training and Gates at 1280 px
            for name, path, text in (("training", "training", "Stages overlaid"),
                                     ("gates", "gates", "Rules of one gate")):
                page.goto(f"{server}/{path}", wait_until="domcontentloaded")
                page.get_by_text(text).first.wait_for(timeout=120_000)
                _settle(page)
                assert page.locator("[data-testid='stException']").count() == 0, f"{name}: exception shown"
                assert not _cut_cells(page), _cut_cells(page)
                if name == "gates":  # the list of gates: an HTML table whose key columns are never cut
                    assert _has_table(page, "gate", "result", "rules failed"), _table_headers(page)
                if name == "gates":  # the rules of the newest gate, in words, are what the shot is for
                    page.get_by_text(text).first.evaluate("e => e.scrollIntoView({block: 'start'})")
                    page.wait_for_timeout(500)
                shot = tmp_path / f"dashboard_{name}.png"
                page.screenshot(path=str(shot))
                _check_png(shot, WIDTH, 1000)
                _keep(shot)
        finally:
            browser.close()
