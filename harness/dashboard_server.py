"""The dashboard's server process: Streamlit's own CLI, plus a warm-up that visits every read-only page once.

    python -m harness.dashboard_server run APP [streamlit flags] -- --db STORE

A fresh server's first visit to a page used to pay, on top of the page itself, the first import of scipy, Altair,
pyarrow and the page's own modules, the store's first read-only connection (identity check, dead-run scan) and
the page's first queries, comparison and chart specs: 2-4 s on a 2-core machine against 1-2 s for the same page
warm. Here, as soon as the server answers its health check, a background thread runs each page's script once, with its
default selections, in a headless session of this process (what Streamlit's own `does_script_run_without_error`
check does for the main script). Imports land in sys.modules and results in the global st.cache_data caches, so
the first real visit finds both. The warm session's messages go nowhere and its session state is discarded.

The warm-up is best effort: any failure is logged and the server keeps serving (each page then computes what it
needs, as before). It runs once per server start; a store written afterwards is re-read by the pages as usual.
It uses two Streamlit internals (the runtime's event loop and AppSession), checked by tests/test_dashboard.py."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence

# Streamlit is imported here, in the main thread, before the warm-up thread starts: two threads importing it at
# once break its import (a partly initialised module).
from streamlit import config
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime import Runtime
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.script_data import ScriptData
from streamlit.runtime.state.session_state import SCRIPT_RUN_WITHOUT_ERRORS_KEY
from streamlit.web.cli import main as streamlit_main

# url path (and query) of each page to warm (dashboards/app.py), in the order a user meets them; Compare a second
# time with its secondary metrics shown (that toggle's table and chart spec) and Training without the learning-rate
# axis (that toggle's chart specs: building one loss chart with Altair takes 0.05-0.25 s, four of them made the
# toggle's first use 1.5 s); the labelling page is left out: it is the one page that writes (on a button), and it
# is cheap.
WARM_PAGES: tuple[str, ...] = ("", "compare", "training", "regression", "gates", "sweeps", "compare?secondary=1",
                               "training?lr=0")
PAGE_TIMEOUT_S = 120.0
READY_LINE = "dashboard warm-up:"  # the bench waits for this line on stderr


def _log(message: str) -> None:
    print(f"{READY_LINE} {message}", file=sys.stderr, flush=True)


async def _visit(runtime: Runtime, page: str) -> bool:
    """Run the app once on `page` in a session no browser sees; True when the script ran without an error."""
    session = AppSession(script_data=ScriptData(runtime._main_script_path, False),  # type: ignore[attr-defined]
                         uploaded_file_manager=runtime.uploaded_file_mgr,  # type: ignore[attr-defined]
                         script_cache=runtime._script_cache,  # type: ignore[attr-defined]
                         message_enqueued_callback=None, user_info={"email": "warm-up@localhost"})
    try:
        path, _, query = page.partition("?")
        session.request_rerun(ClientState(page_name=path, query_string=query))
        deadline = time.perf_counter() + PAGE_TIMEOUT_S
        while SCRIPT_RUN_WITHOUT_ERRORS_KEY not in session.session_state and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        return bool(session.session_state[SCRIPT_RUN_WITHOUT_ERRORS_KEY]) \
            if SCRIPT_RUN_WITHOUT_ERRORS_KEY in session.session_state else False
    finally:
        session.shutdown()


def _wait_serving(deadline: float) -> None:
    """Until the server answers its health check (or the deadline passes: then the warm-up goes ahead)."""
    address = config.get_option("server.address") or "127.0.0.1"
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
    url = f"http://{host}:{config.get_option('server.port')}/_stcore/health"
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)


def warm_up(pages: Sequence[str] = WARM_PAGES, start_timeout_s: float = 120.0) -> None:
    """Wait for the runtime to start, then visit `pages` one after another on its event loop."""
    t0 = time.perf_counter()
    try:
        while True:  # the runtime object exists before its event loop does
            try:
                loop = Runtime.instance()._get_async_objs().eventloop
                break
            except RuntimeError:
                if time.perf_counter() - t0 > start_timeout_s:
                    _log("skipped (the server did not start)")
                    return
                time.sleep(0.05)
        _wait_serving(t0 + start_timeout_s)  # the server's own start-up imports are over: nothing to race with
        runtime = Runtime.instance()
        visited = []
        for page in pages:
            t = time.perf_counter()
            ok = asyncio.run_coroutine_threadsafe(_visit(runtime, page), loop).result(PAGE_TIMEOUT_S + 10)
            visited.append(f"{page or 'runs'} {time.perf_counter() - t:.1f}s{'' if ok else ' (error)'}")
        freeze_heap()
        _log(f"done in {time.perf_counter() - t0:.1f} s ({', '.join(visited)})")
    except Exception as exc:  # noqa: BLE001 (a warm-up only: the server serves without it)
        freeze_heap()
        _log(f"stopped ({type(exc).__name__}: {exc}); pages compute on first visit instead")


def freeze_heap() -> None:
    """Move every object alive now (modules, Altair's schema classes, cached results) out of the garbage
    collector's reach. Streamlit runs a full collection after every script run (runner.postScriptGC), holding
    the GIL, so the run's last message waits for it: with scipy, pandas, pyarrow and Altair loaded that scan of
    ~200k long-lived objects took 0.15-0.4 s per page load and per widget change on a loaded 2-core machine,
    more than most pages' own scripts. Once frozen, a collection scans only what later runs allocate (their
    garbage is still collected); what is frozen is what a server keeps anyway."""
    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> None:
    """`streamlit <argv>` with the warm-up thread started first (`run` only)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        threading.Thread(target=warm_up, name="dashboard-warm-up", daemon=True).start()
    streamlit_main(args=args, prog_name="streamlit")


if __name__ == "__main__":
    main()
