"""Bad values and bad paths (issue 14): one line, exit 2, no traceback, every store table unchanged (full
contents, compared with plain DuckDB), no run row created. Real CLI subprocesses, real special files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from harness.cli_args import parse_limit
from harness.errors import HarnessError
from harness.paths import PROJECT_ROOT
from harness.store import Store


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300, stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "fix:" in lines[0], proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def dump(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_catalog = current_database() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    store = Store(path)
    run_id = store.start_run("eval", domain="support_chat", model_id="m0")
    store.add_eval(run_id, [{"run_id": run_id, "task": "t", "metric": "acc", "value": 0.5, "n": 2}],
                   [{"run_id": run_id, "task": "t", "doc_id": 0, "doc_hash": "h", "metric": "acc", "value": 1.0}])
    return path


# ------------------------------------------------------------------------------------------ --limit
BAD_LIMITS = ["0", "-5", "-0.5", "nan", "NaN", "inf", "-inf", "abc", "", "2.5", "1e400", "0x10"]


@pytest.mark.parametrize("value", BAD_LIMITS)
def test_parse_limit_rejects(value):
    with pytest.raises(HarnessError, match="--limit"):
        parse_limit(value)


@pytest.mark.parametrize("value,expected", [("20", 20), ("1", 1), ("20.0", 20), ("0.25", 0.25), (" 7 ", 7),
                                            (None, None)])
def test_parse_limit_accepts(value, expected):
    assert parse_limit(value) == expected


@pytest.mark.parametrize("value", ["0", "nan", "abc"])  # every other value: test_parse_limit_rejects
def test_eval_bad_limit_is_one_line_and_leaves_no_run(db, tmp_path, value):
    before = dump(db)
    assert_one_line_error(run_cli(["eval", "--limit", value, "--db", str(db)]), "--limit")
    assert dump(db) == before
    fresh = tmp_path / "fresh.duckdb"
    assert_one_line_error(run_cli(["eval", "--limit", value, "--db", str(fresh)]), "--limit")
    assert not fresh.exists()


def test_demo_bad_limit_is_one_line(tmp_path):
    fresh = tmp_path / "fresh.duckdb"
    assert_one_line_error(run_cli(["demo", "--limit", "0", "--db", str(fresh)]), "--limit")
    assert not fresh.exists()


# ------------------------------------------------------------------------------------------ paths
def _special(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A path of `kind` and the words the error must use."""
    if kind == "dev_null":
        return Path(os.devnull), "null device"
    if kind == "directory":
        d = tmp_path / "a_folder.jsonl"
        d.mkdir()
        return d, "is a folder"
    if kind == "fifo":
        p = tmp_path / "pipe.jsonl"
        os.mkfifo(p)
        return p, "named pipe"
    if kind == "symlink_loop":
        a, b = tmp_path / "loop_a.jsonl", tmp_path / "loop_b.jsonl"
        a.symlink_to(b)
        b.symlink_to(a)
        return a, "symlink loop"
    if kind == "broken_symlink":
        p = tmp_path / "dangling.jsonl"
        p.symlink_to(tmp_path / "gone.jsonl")
        return p, "broken symlink"
    if kind == "missing":
        return tmp_path / "absent.jsonl", "not found"
    raise AssertionError(kind)


KINDS = ["dev_null", "directory", "fifo", "symlink_loop", "broken_symlink", "missing"]


@pytest.mark.parametrize("kind", KINDS)
def test_data_file_that_is_not_a_file_says_what_it_is(db, tmp_path, kind):
    path, words = _special(tmp_path, kind)
    if kind == "directory":  # a folder is a source of many files; this one has none
        words = "holds no data files"
    before = dump(db)
    proc = run_cli(["prep", "support_chat", "--source", f"sft={path}", "--db", str(db)])
    assert_one_line_error(proc, words, str(path))
    if kind != "missing":
        assert "not found" not in proc.stderr
    assert dump(db) == before


@pytest.mark.parametrize("kind", KINDS)
def test_gate_policy_that_is_not_a_file_says_what_it_is(tmp_path, kind):
    """In-process (the CLI path of the same error: test_gate_policy_directory_is_one_line)."""
    from harness.gate.policy import load_policy

    path, words = _special(tmp_path, kind)
    with pytest.raises(HarnessError, match=words):
        load_policy(path)


def test_gate_policy_directory_is_one_line(db, tmp_path):
    before = dump(db)
    proc = run_cli(["gate", "--policy", str(PROJECT_ROOT / "domains" / "support_chat"), "--candidate", "m0",
                    "--baseline", "m0", "--db", str(db)])
    assert_one_line_error(proc, "is a folder")
    assert dump(db) == before


@pytest.mark.parametrize("kind", ["dev_null", "fifo"])
def test_store_path_that_is_not_a_file(tmp_path, kind):
    path, _ = _special(tmp_path, kind)
    assert_one_line_error(run_cli(["runs", "--db", str(path)]), "special file")
