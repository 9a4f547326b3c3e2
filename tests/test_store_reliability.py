"""Store reliability: it recognises its own files (foreign DuckDB files and newer schemas refused, older
migrated from a saved v1 file), runs killed with SIGKILL are marked abandoned by the next command, and
concurrent writers and readers never make each other fail. Real files, real processes, real signals."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from harness.errors import HarnessError
from harness.paths import PROJECT_ROOT
from harness.store import Store, schema
from harness.store.liveness import live_dir

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "store" / "v1.duckdb.gz"


def run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300, stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "fix:" in lines[0], proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_dump(db: Path) -> dict[str, list[tuple]]:
    """Full contents of every table (read with plain DuckDB, no harness code)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_catalog = current_database() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def columns(db: Path) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                           "WHERE table_catalog = current_database() ORDER BY table_name, column_name").fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, col, typ in rows:
        out.setdefault(table, []).append((col, typ))
    return out


def v1_copy(tmp_path: Path) -> Path:
    db = tmp_path / "v1.duckdb"
    with gzip.open(FIXTURE_V1, "rb") as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return db


# ------------------------------------------------------------------------------ recognising its files
def _foreign(tmp_path: Path, table_sql: str) -> Path:
    db = tmp_path / "other_app.duckdb"
    con = duckdb.connect(str(db))
    con.execute(table_sql)
    con.execute("CHECKPOINT")
    con.close()
    return db


@pytest.mark.parametrize("table_sql", [
    "CREATE TABLE customers (id INTEGER, name VARCHAR); INSERT INTO customers VALUES (1, 'Ada'), (2, 'Lin')",
    "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (1)",  # no runs table
    "CREATE TABLE runs (id INTEGER); CREATE TABLE schema_version (v VARCHAR)",  # same names, not ours
])
def test_foreign_duckdb_file_is_refused_and_never_modified(tmp_path, table_sql):
    db = _foreign(tmp_path, table_sql)
    before = sha(db)
    for read_only in (False, True):
        with pytest.raises(HarnessError, match="another application"):
            Store(db, read_only=read_only)
    proc = run_cli(["runs", "--db", str(db)])
    assert_one_line_error(proc, "another application", str(db))
    assert sha(db) == before
    assert not Path(str(db) + ".wal").exists() and not live_dir(db).exists()


def test_not_a_duckdb_file_is_one_line(tmp_path):
    db = tmp_path / "notes.duckdb"
    db.write_text("these are my notes, not a database\n" * 50)
    before = sha(db)
    assert_one_line_error(run_cli(["runs", "--db", str(db)]), "cannot open store")
    with pytest.raises(HarnessError, match="cannot open store"):
        Store(db)
    assert sha(db) == before


def test_directory_as_store_is_one_line(tmp_path):
    assert_one_line_error(run_cli(["runs", "--db", str(tmp_path)]), "is a directory")


def test_newer_schema_is_refused_by_writers_and_readers(tmp_path):
    db = tmp_path / "future.duckdb"
    Store(db)
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [schema.SCHEMA_VERSION + 7])
    con.close()
    before = sha(db)
    for read_only in (False, True):
        with pytest.raises(HarnessError, match="newer than this harness"):
            Store(db, read_only=read_only)
    assert_one_line_error(run_cli(["runs", "--db", str(db)]), f"v{schema.SCHEMA_VERSION + 7}")
    assert sha(db) == before


def test_saved_v1_store_opens_migrates_and_keeps_its_rows(tmp_path):
    db = v1_copy(tmp_path)
    before = table_dump(db)
    assert [r[0] for r in before["schema_version"]] == [1]
    Store(db)
    after = table_dump(db)
    assert sorted(r[0] for r in after["schema_version"]) == list(range(1, schema.SCHEMA_VERSION + 1))
    fresh = tmp_path / "fresh.duckdb"
    Store(fresh)
    assert columns(db) == columns(fresh)  # a migrated store has exactly the shape of a new one
    # completed rows untouched; the v1 run left 'running' (no liveness record: its process is long gone)
    # is marked abandoned
    keep = [t for t in before if t not in ("schema_version", "runs")]
    if schema.SCHEMA_VERSION == 1:
        for t in keep:
            assert after[t] == before[t], t
        done_before = [r for r in before["runs"] if r[4] == "completed"]
        assert [r for r in after["runs"] if r[4] == "completed"] == done_before
    runs = {r["run_id"]: r for r in Store(db, read_only=True).query("SELECT * FROM runs")}
    assert runs["train-v1-killed"]["status"] == "abandoned"
    assert {k for k, r in runs.items() if r["status"] == "completed"} == {
        "train-v1-0001", "eval-v1-base", "eval-v1-sft", "gate-v1-0001"}
    Store(db)  # opening again applies nothing
    assert table_dump(db)["schema_version"] == after["schema_version"]


def test_migration_steps_run_in_order_each_with_its_version(tmp_path, monkeypatch):
    """The framework itself: two steps appended after the real ones (SQL, then a callable) move the saved
    v1 file through every real migration and then the two new versions."""
    db = v1_copy(tmp_path)
    real = schema.SCHEMA_VERSION
    calls = []

    def last_step(con):
        calls.append(real + 2)
        con.execute("UPDATE runs SET probe = 'v' || ? || ':' || run_id", [str(real + 2)])

    monkeypatch.setattr(schema, "SCHEMA_VERSION", real + 2)
    monkeypatch.setattr(schema, "MIGRATIONS", {**schema.MIGRATIONS,
                                               real + 1: "ALTER TABLE runs ADD COLUMN probe VARCHAR",
                                               real + 2: last_step})
    Store(db)
    rows = Store(db, read_only=True).query("SELECT run_id, probe FROM runs ORDER BY run_id")
    assert calls == [real + 2] and len(rows) == 5
    assert all(r["probe"] == f"v{real + 2}:" + r["run_id"] for r in rows)
    assert [r[0] for r in table_dump(db)["schema_version"]] == list(range(1, real + 3))


def test_a_failed_migration_step_leaves_the_store_at_its_version(tmp_path, monkeypatch):
    db = v1_copy(tmp_path)
    Store(db)  # now at the current version
    before = table_dump(db)
    real = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", real + 1)
    monkeypatch.setattr(schema, "MIGRATIONS", {
        **schema.MIGRATIONS, real + 1: "ALTER TABLE runs ADD COLUMN x INT; SELECT no_such_column FROM runs"})
    with pytest.raises(duckdb.Error):
        Store(db)
    assert table_dump(db) == before


def test_a_missing_migration_step_is_a_programming_error(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(schema, "MIGRATIONS", {})
    with pytest.raises(RuntimeError, match="one step per version"):
        Store(tmp_path / "new.duckdb")


def test_empty_duckdb_file_becomes_a_store_for_writers_and_is_refused_by_readers(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(HarnessError, match="empty DuckDB file"):
        Store(db, read_only=True)
    Store(db)
    assert table_dump(db)["schema_version"][0][0] == schema.SCHEMA_VERSION


# ------------------------------------------------------------------------------------------ liveness
_VICTIM = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harness.store import Store
    db, out = Path(sys.argv[1]), Path(sys.argv[2])
    store = Store(db)
    done = store.start_run("eval", model_id="m-done", run_id="eval-done")
    store.add_eval(done, [{"run_id": done, "task": "t", "metric": "acc", "value": 0.5, "n": 2}],
                   [{"run_id": done, "task": "t", "doc_id": 0, "doc_hash": "h", "metric": "acc", "value": 1.0}])
    run = store.start_run("train", domain="support_chat", stage="sft", output_path=out, run_id="train-killed")
    Path(str(out) + ".partial").mkdir(parents=True)
    (Path(str(out) + ".partial") / "model.safetensors").write_bytes(b"half a model")
    store.add_train_logs([{"run_id": run, "step": 1, "split": "train", "loss": 2.0}])
    print("READY", flush=True)
    time.sleep(120)
""")


def test_sigkill_leaves_a_run_that_the_next_command_marks_abandoned(tmp_path):
    db, out = tmp_path / "k.duckdb", tmp_path / "stages" / "support_chat-sft-abc"
    proc = subprocess.Popen([sys.executable, "-c", _VICTIM, str(db), str(out)], stdout=subprocess.PIPE, text=True,
                            cwd=PROJECT_ROOT)
    try:
        assert proc.stdout.readline().strip() == "READY"
        # while the process lives, opening the store (writer or reader) leaves its run alone
        Store(db)
        Store(db, read_only=True)
        assert Store(db, read_only=True).run("train-killed")["status"] == "running"
        before = table_dump(db)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert table_dump(db) == before  # nothing happened on its own: still 'running', leftovers in place
    assert Path(str(out) + ".partial").is_dir()

    shown = run_cli(["runs", "--db", str(db)])  # any later command, here a reader
    assert shown.returncode == 0, shown.stderr
    assert "abandoned" in shown.stdout
    after = table_dump(db)
    killed = Store(db, read_only=True).run("train-killed")
    assert killed["status"] == "abandoned" and killed["finished_at"] is not None
    assert f"pid {proc.pid}" in killed["error"]
    assert not Path(str(out) + ".partial").exists()
    assert after["train_logs"] == []  # its partial curve is gone
    assert not list(live_dir(db).glob("*.lock"))
    # completed rows and every other table are untouched
    assert [r for r in after["runs"] if r[0] != "train-killed"] == [r for r in before["runs"] if r[0] != "train-killed"]
    for t in ("models", "eval_results", "eval_samples", "data_reports", "gates", "gate_results", "schema_version"):
        assert after[t] == before[t], t
    # and a second sweep changes nothing
    Store(db)
    assert table_dump(db) == after


def test_finished_runs_release_their_liveness_lock(tmp_path):
    db = tmp_path / "l.duckdb"
    store = Store(db)
    run = store.start_run("eval", model_id="m")
    assert (live_dir(db) / f"{run}.lock").exists()
    Store(db)  # another opener sees it alive (the lock is held by this process's lease)
    assert store.run(run)["status"] == "running"
    store.finish_run(run)
    assert not (live_dir(db) / f"{run}.lock").exists()
    with pytest.raises(RuntimeError):
        with store.tracked_run("eval", model_id="m") as failing:
            raise RuntimeError("boom")
    assert store.run(failing)["status"] == "failed"
    assert not list(live_dir(db).glob("*.lock"))


# ------------------------------------------------------------------------------------------ concurrency
_WRITER = textwrap.dedent("""
    import sys
    from harness.store import Store
    db, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = Store(db)
    for i in range(n):
        run = store.start_run("eval", model_id=f"m{k}", run_id=f"w{k}-{i}")
        store.add_train_logs([{"run_id": run, "step": s, "split": "train", "loss": 1.0} for s in range(3)])
        store.add_eval(run, [{"run_id": run, "task": "t", "metric": "acc", "value": 0.5, "n": 2}],
                       [{"run_id": run, "task": "t", "doc_id": d, "doc_hash": "h", "metric": "acc", "value": 1.0}
                        for d in range(4)], model_id=f"m{k}")
""")
_READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harness.store import Store
    db, stop = sys.argv[1], Path(sys.argv[2])
    reads = failures = 0
    while not stop.exists():
        try:
            Store(db, read_only=True).query("SELECT count(*) AS n FROM runs")
            reads += 1
        except BaseException as exc:
            failures += 1
            print("FAIL", type(exc).__name__, exc, flush=True)
    print(f"reads={reads} failures={failures}", flush=True)
""")


def test_eight_writers_and_a_reader_loop_lose_nothing_and_fail_nothing(tmp_path):
    db, stop, n = tmp_path / "c.duckdb", tmp_path / "stop", 6
    Store(db)
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(db), str(stop)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(db), str(k), str(n)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT) for k in range(8)]
    results = [w.communicate(timeout=600) for w in writers]
    stop.touch()
    r_out, r_err = reader.communicate(timeout=120)
    for w, (_out, err) in zip(writers, results, strict=True):
        assert w.returncode == 0, err
    assert reader.returncode == 0, r_err
    assert "failures=0" in r_out and "FAIL" not in r_out, r_out
    reads = int(r_out.split("reads=")[1].split()[0])
    assert reads > 0
    store = Store(db, read_only=True)
    assert store.query("SELECT count(*) AS n FROM runs WHERE status = 'completed'")[0]["n"] == 8 * n
    assert store.query("SELECT count(*) AS n FROM runs")[0]["n"] == 8 * n
    assert store.query("SELECT count(*) AS n FROM train_logs")[0]["n"] == 8 * n * 3
    assert store.query("SELECT count(*) AS n FROM eval_samples")[0]["n"] == 8 * n * 4
    assert store.query("SELECT count(DISTINCT run_id) AS n FROM eval_results")[0]["n"] == 8 * n


_HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    from pathlib import Path
    con = duckdb.connect(sys.argv[1], read_only=True)  # another program: no harness lock
    print("HOLDING", flush=True)
    deadline = time.monotonic() + 120
    while not Path(sys.argv[2]).exists() and time.monotonic() < deadline:  # until the test says release
        time.sleep(0.05)
    con.close()
""")


def test_a_writer_waits_for_another_program_holding_the_file_and_reports_it(tmp_path):
    """The six-parallel-evals failure ('Could not set lock on file'): now a bounded, reported wait. The holder
    keeps the file until the writer has said it is waiting, so the test does not depend on start-up times."""
    db, release = tmp_path / "h.duckdb", tmp_path / "release"
    Store(db)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db), str(release)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        t0 = time.monotonic()
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(db), "0", "1"], stderr=subprocess.PIPE,
                                  text=True, cwd=PROJECT_ROOT)
        first = writer.stderr.readline()  # the wait report (or EOF if the writer never waited)
        release.touch()
        rest = writer.stderr.read()
        writer.wait(timeout=120)
        waited = time.monotonic() - t0
    finally:
        release.touch()
        holder.wait(timeout=30)
    assert writer.returncode == 0, first + rest
    assert "waiting for store" in first and "another program holds the file" in first
    assert waited >= 1.0
    assert Store(db, read_only=True).run("w0-0")["status"] == "completed"


def test_the_wait_is_bounded(tmp_path):
    db = tmp_path / "b.duckdb"
    Store(db)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db), "20"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        proc = run_cli(["runs", "--db", str(db)], HARNESS_STORE_WAIT_S="0")  # a reader is fine alongside
        assert proc.returncode == 0, proc.stderr
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HARNESS_STORE_WAIT_S", "1.5")
            with pytest.raises(HarnessError, match="stayed locked by another program for 2 s"):
                Store(db).start_run("eval")
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_zero_byte_file_is_one_line_and_kept(tmp_path):
    db = tmp_path / "zero.duckdb"
    db.touch()
    for read_only in (False, True):
        with pytest.raises(HarnessError, match="empty file"):
            Store(db, read_only=read_only)
    assert db.stat().st_size == 0
