"""A full disk or a path the user may not write (issue 14): one line naming the path and the fix, exit 2, every
store table unchanged, and nothing half-written that looks complete (no prepared-data folder, no new store).

A full disk is a real write failure: the command runs with RLIMIT_FSIZE, so writes past the limit fail with
EFBIG exactly where ENOSPC would. Permissions are real too: as root (which bypasses them) the command runs
without capabilities (`setpriv`), so the kernel applies the file modes as it would for any other user."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from harness.paths import PROJECT_ROOT
from harness.store import Store


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every table's full contents, read with plain DuckDB."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_catalog = current_database() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()

MANIFEST = ("name: mini\nhooks: hooks.py\ndatasets:\n  chats: {kind: chat, source: file, path: good.jsonl}\n"
            "stages:\n  sft: {method: sft, data: chats}\nsuites: []\nregression_suites: []\ngate_policy: null\n"
            "cleaning:\n  decontam: {enabled: false}\n")


def _limit_file_size(n: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write(), as ENOSPC would come
    return apply


def _as_unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--ambient-caps=-all"]


@pytest.fixture()
def world(tmp_path: Path) -> dict[str, Path]:
    domain = tmp_path / "domains" / "mini"
    domain.mkdir(parents=True)
    (domain / "manifest.yaml").write_text(MANIFEST)
    (domain / "hooks.py").write_text("")
    chat = {"messages": [{"role": "user", "content": "hello %d"}, {"role": "assistant", "content": "hi"}]}
    (domain / "good.jsonl").write_text("".join(json.dumps(chat).replace("%d", str(i)) + "\n" for i in range(2000)))
    db = tmp_path / "store.duckdb"
    store = Store(db)
    store.finish_run(store.start_run("eval", model_id="m0", config={"suites": ["t"]}))
    return {"root": tmp_path, "domains": tmp_path / "domains", "db": db, "cache": tmp_path / "cache"}


def run_cli(world: dict[str, Path], args: list[str], *, prefix: list[str] | None = None, preexec=None,
            cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HARNESS_DOMAINS_DIR": str(world["domains"]),
           "HARNESS_CACHE_DIR": str(cache or world["cache"])}
    return subprocess.run([*(prefix or []), sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT,
                          preexec_fn=preexec)


def assert_one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and ". fix: " in lines[0], proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _complete_prepared(cache: Path) -> list[Path]:
    return list((cache / "data").glob("*/prepared.json")) if (cache / "data").is_dir() else []


def test_disk_full_while_preparing_data(world):
    before = dump(world["db"])
    proc = run_cli(world, ["prep", "mini", "--db", str(world["db"])], preexec=_limit_file_size(20_000))
    assert_one_line(proc, "File too large", "free disk space")
    assert dump(world["db"]) == before
    assert _complete_prepared(world["cache"]) == []
    assert not any(p.name.startswith(".mini-") for p in (world["cache"] / "data").iterdir())  # no temp folder left
    proc = run_cli(world, ["prep", "mini", "--db", str(world["db"])])  # space again: the same command works
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(_complete_prepared(world["cache"])) == 1


def test_disk_full_while_creating_a_store(world):
    fresh = world["root"] / "fresh.duckdb"
    proc = run_cli(world, ["prep", "mini", "--db", str(fresh)], preexec=_limit_file_size(20_000))
    assert_one_line(proc, "free disk space")
    assert not fresh.exists() or dump(fresh).get("runs", []) == []


def test_store_folder_not_writable(world):
    prefix = _as_unprivileged()
    locked = world["root"] / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    proc = run_cli(world, ["prep", "mini", "--db", str(locked / "new.duckdb")], prefix=prefix)
    assert_one_line(proc, str(locked), "Permission denied", "permissions")
    assert list(locked.iterdir()) == []


def test_store_file_read_only(world):
    prefix = _as_unprivileged()
    before = dump(world["db"])
    world["db"].chmod(0o444)
    try:
        proc = run_cli(world, ["prep", "mini", "--db", str(world["db"])], prefix=prefix)
    finally:
        world["db"].chmod(0o644)
    assert_one_line(proc, str(world["db"]), "Permission denied", "access")
    assert dump(world["db"]) == before


def test_cache_not_writable(world):
    prefix = _as_unprivileged()
    cache = world["root"] / "ro_cache"
    cache.mkdir()
    cache.chmod(0o500)
    before = dump(world["db"])
    proc = run_cli(world, ["prep", "mini", "--db", str(world["db"])], prefix=prefix, cache=cache)
    assert_one_line(proc, str(cache), "Permission denied", "HARNESS_CACHE_DIR")
    assert dump(world["db"]) == before
    assert list(cache.iterdir()) == []
