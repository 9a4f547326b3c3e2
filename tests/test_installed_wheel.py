"""An installed (not editable) harness, used from an empty project folder: the built-in domains and the general
suite ship inside the wheel, a user's own domains live in ./domains of that folder, and the demo runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MICRO_OVERRIDES

pytestmark = pytest.mark.slow


def test_wheel_finds_builtin_domains_and_runs_the_demo_from_an_empty_folder(installed_wheel: Path,
                                                                            tmp_path: Path) -> None:
    installed = installed_wheel  # conftest: built and installed once per session
    project = tmp_path / "project"
    project.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k not in ("HARNESS_DOMAINS_DIR", "HARNESS_SUITES_DIR")},
           "PYTHONPATH": str(installed)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=project, env=env, text=True,
                              capture_output=True, timeout=900, stdin=subprocess.DEVNULL)

    where = subprocess.run([sys.executable, "-c", "import harness.paths as p; print(p.builtin_domains_dir())"],
                           cwd=project, env=env, text=True, capture_output=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed)  # not the source checkout

    assert cli("domain", "new", "mine").returncode == 0
    listed = cli("domains")
    assert listed.returncode == 0 and "support_chat" in listed.stdout and "mine" in listed.stdout

    sets = [a for item in MICRO_OVERRIDES for a in ("--set", item)]
    demo = cli("demo", "--model", "default:micro", "--limit", "20", *sets)
    assert demo.returncode in (0, 1), demo.stdout[-3000:] + demo.stderr[-3000:]  # 1 = no significant gain yet
    assert "support_chat: base vs stages" in demo.stdout and "support_chat/ppl" in demo.stdout
    assert (project / "harness.duckdb").exists()
