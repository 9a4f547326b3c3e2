"""Bad input: one line naming the problem and the fix, exit code 2, no traceback, store untouched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.paths import PROJECT_ROOT
from harness.store import Store


def run_cli(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture()
def populated_db(tmp_path):
    db = tmp_path / "existing.duckdb"
    store = Store(db)
    run_id = store.start_run("eval", domain="support_chat", model_id="m0")
    store.add_eval(run_id, [{"run_id": run_id, "task": "t", "metric": "acc", "value": 0.5, "n": 2}],
                   [{"run_id": run_id, "task": "t", "doc_id": 0, "doc_hash": "h", "metric": "acc", "value": 1.0}])
    return db


def snapshot(db: Path) -> dict[str, int]:
    store = Store(db, read_only=True)
    return {t: store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("runs", "models", "eval_results", "eval_samples", "train_logs", "data_reports")}


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:") and "fix:" in lines[0], lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _domain_copy(tmp_path: Path) -> Path:
    root = tmp_path / "domains"
    shutil.copytree(PROJECT_ROOT / "domains" / "support_chat", root / "support_chat")
    return root


def test_unknown_domain(populated_db, tmp_path):
    before = snapshot(populated_db)
    proc = run_cli(["prep", "no_such_domain", "--db", str(populated_db)])
    assert_one_line_error(proc, "no_such_domain")
    assert snapshot(populated_db) == before
    fresh = tmp_path / "fresh.duckdb"
    assert_one_line_error(run_cli(["prep", "no_such_domain", "--db", str(fresh)]), "no_such_domain")
    assert not fresh.exists()


def test_missing_data_file(populated_db, tmp_path):
    before = snapshot(populated_db)
    proc = run_cli(["prep", "support_chat", "--source", f"chats={tmp_path / 'absent.jsonl'}",
                    "--db", str(populated_db)])
    assert_one_line_error(proc, "absent.jsonl")
    assert snapshot(populated_db) == before


def test_malformed_jsonl_line_is_dropped_and_counted(populated_db, tmp_path):
    bad = tmp_path / "chats.jsonl"
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    bad.write_text(f"{good}\n{good}\n{{not json\n{good}\n[1, 2]\n")
    proc = run_cli(["prep", "support_chat", "--source", f"sft={bad}", "--db", str(populated_db)])  # stage → its dataset
    assert proc.returncode == 0, proc.stderr
    report = json.loads(Store(populated_db, read_only=True).query(
        "SELECT report_json FROM data_reports WHERE dataset = 'chats'")[0]["report_json"])
    assert report["dropped_on_load"]["counts"] == {"malformed_json": 1, "not_an_object": 1}
    assert ":3:" in report["dropped_on_load"]["first_problem"]["malformed_json"]
    assert report["loaded"] == 5


def test_malformed_jsonl_line_with_on_bad_rows_error(populated_db, tmp_path):
    bad = tmp_path / "chats.jsonl"
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    bad.write_text(f"{good}\n{good}\n{{not json\n{good}\n")
    before = snapshot(populated_db)
    proc = run_cli(["prep", "support_chat", "--source", f"chats={bad}",
                    "--set", "datasets.chats.on_bad_rows=error", "--db", str(populated_db)])
    assert_one_line_error(proc, "line 3")
    assert snapshot(populated_db) == before


def test_unreadable_file(populated_db, tmp_path):
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"\x00\x01 not json at all\n{{{\n")
    before = snapshot(populated_db)
    proc = run_cli(["prep", "support_chat", "--source", f"chats={junk}", "--db", str(populated_db)])
    assert_one_line_error(proc, "junk.jsonl")
    assert snapshot(populated_db) == before


def test_missing_column(populated_db, tmp_path):
    csv = tmp_path / "intents.csv"
    csv.write_text("utterance_txt,tag\nwhere is my card,card_arrival\nI lost my card,lost_or_stolen_card\n")
    before = snapshot(populated_db)
    proc = run_cli(["prep", "support_chat", "--source", f"chats={csv}",
                    "--set", "datasets.chats.file_kind=classification", "--db", str(populated_db)])
    assert_one_line_error(proc, "utterance_txt")
    assert snapshot(populated_db) == before


@pytest.mark.parametrize("content,needle", [
    ("max_steps: [unclosed\n", "not valid YAML"),
    ("no_such_field: 3\n", "no_such_field"),
    ("learning_rate: fast\n", "learning_rate"),
])
def test_bad_recipe_yaml(populated_db, tmp_path, content, needle):
    domains = _domain_copy(tmp_path)
    (domains / "support_chat" / "recipes" / "sft.yaml").write_text(content)
    before = snapshot(populated_db)
    proc = run_cli(["train", "support_chat", "--stage", "sft", "--db", str(populated_db)],
                   {"HARNESS_DOMAINS_DIR": str(domains)})
    assert_one_line_error(proc, needle)
    assert snapshot(populated_db) == before


def test_unknown_model_path(populated_db):
    before = snapshot(populated_db)
    proc = run_cli(["eval", "--model", "./no/such/model", "--suite", "general", "--db", str(populated_db)])
    assert_one_line_error(proc, "./no/such/model")
    assert snapshot(populated_db) == before


def test_unknown_suite(populated_db, micro_model):
    before = snapshot(populated_db)
    proc = run_cli(["eval", "--model", str(micro_model), "--suite", "no_such_suite", "--db", str(populated_db)])
    assert_one_line_error(proc, "no_such_suite")
    assert snapshot(populated_db) == before
