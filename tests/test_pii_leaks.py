"""PII in user data never reaches the store, the prepared files, the logs or the terminal (issue 14): not from
rows that are masked, nor from rows dropped before masking (a malformed line, an invalid record), whose
problems are reported by position only. Real `harness prep` (in-process entry point), real masking."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from click.testing import CliRunner

from harness import cli

SECRETS = ["jane.doe", "example.com", "4111 1111 1111 1111", "DE89370400440532013000", "leak.me", "leak2"]


class _Entry:
    name = "harness"

    def main(self, args=(), prog_name=None, **_: object) -> None:
        cli.main(list(args))


def test_pii_reaches_no_store_table_file_log_or_output(tmp_path: Path):
    domain = tmp_path / "domains" / "pii"
    domain.mkdir(parents=True)
    (domain / "manifest.yaml").write_text(
        "name: pii\nhooks: hooks.py\ndatasets:\n  chats: {kind: chat, source: file, path: data.jsonl}\n"
        "stages:\n  sft: {method: sft, data: chats}\nsuites: []\nregression_suites: []\ngate_policy: null\n"
        "cleaning:\n  decontam: {enabled: false}\n")
    (domain / "hooks.py").write_text("")
    topics = ["refund", "parcel", "password", "invoice", "upgrade", "cancel", "address", "statement"]
    rows = [json.dumps({"messages": [
        {"role": "user", "content": f"About my {t} #{i}: write to jane.doe{i}@example.com, card 4111 1111 1111 1111, "
                                    f"IBAN DE89370400440532013000, or call (212) 555-01{i:02d}."},
        {"role": "assistant", "content": f"Thanks, I will look at the {t} now."}]}) for i, t in enumerate(topics * 3)]
    rows.append('{"messages": [{"role": "user", "content": "leak.me@example.com"')  # malformed: dropped on load
    rows.append(json.dumps({"messages": [{"role": "robot", "content": "leak2@example.com"}]}))  # invalid record
    (domain / "data.jsonl").write_text("\n".join(rows) + "\n")
    cache, db = tmp_path / "cache", tmp_path / "store.duckdb"
    result = CliRunner().invoke(_Entry(), ["prep", "pii", "--db", str(db)],
                                env={"HARNESS_DOMAINS_DIR": str(tmp_path / "domains"), "HARNESS_CACHE_DIR": str(cache)})
    assert result.exit_code == 0, result.output + result.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        stored = "".join(repr(con.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)
        report = con.execute("SELECT report_json FROM data_reports WHERE dataset = 'chats'").fetchone()[0]
    finally:
        con.close()
    written = "".join(p.read_text(errors="replace") for p in cache.rglob("*") if p.is_file()
                      and p.suffix in {".jsonl", ".json", ".log", ".txt"})
    assert "[EMAIL]" in written or "EMAIL" in written  # masking ran (and the prepared rows are there)
    assert json.loads(report)["loaded"] == len(rows)
    for secret in SECRETS:
        for where, text in (("store", stored), ("prepared files and logs", written),
                            ("terminal", result.stdout + result.stderr)):
            assert secret not in text, f"{secret!r} leaked into the {where}"
