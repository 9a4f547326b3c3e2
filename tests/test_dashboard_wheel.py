"""`harness dashboard` from an installed wheel (not the source checkout): the wheel carries the app as
harness/_data/dashboards, the server starts from an empty folder, bound to 127.0.0.1 only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_fixture import build_synthetic_store

pytestmark = pytest.mark.slow  # builds and installs a wheel, starts a server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dashboard_runs_from_an_installed_wheel(installed_wheel: Path, tmp_path: Path) -> None:
    site = installed_wheel  # conftest: built and installed once per session
    assert (site / "harness" / "_data" / "dashboards" / "app.py").is_file()
    assert (site / "harness" / "_data" / "dashboards" / "views" / "compare.py").is_file()

    project = tmp_path / "project"
    project.mkdir()
    db = build_synthetic_store(project / "store.duckdb")
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "from harness.dashboard import app_path; print(app_path())"],
                           cwd=project, env=env, text=True, capture_output=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)  # not the source checkout

    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "dashboard", "--db", str(db), "--headless",
                             "--port", str(port)], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            assert resp.status == 200
        text = (tmp_path / "server.log").read_text()
        assert "Network URL" not in text  # bound to 127.0.0.1 only
    finally:
        proc.terminate()
        proc.wait(timeout=20)
