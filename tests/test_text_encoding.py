"""Non-UTF-8 files are data, not errors (issue 14): Latin-1 (Financial PhraseBank), cp1252 and UTF-16 with a
byte-order mark (Windows exports) are detected, decoded exactly and the encoding used is reported; a declared
`encoding:` is obeyed; only a file that cannot be decoded is an error (tests/test_bad_input_corpus.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import cli
from harness.config_io import read_yaml
from harness.data.loaders import load_source
from harness.domains import DatasetSpec
from harness.gate.policy import load_policy
from harness.paths import PROJECT_ROOT
from harness.store import Store
from harness.text_encoding import detect

TEXTS = ["Caf\u00e9 cr\u00e8me, s'il vous pla\u00eet", "Stra\u00dfe M\u00fcller, gro\u00df", "a\u00f1o y ni\u00f1o"]
CP1252_TEXTS = ["It\u2019s \u20ac5 \u2013 \u201cfine\u201d", "Caf\u00e9 \u2026 done"]


def _chat(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": text.upper()}]}


@pytest.mark.parametrize("encoding,texts,expected,how", [
    ("latin-1", TEXTS, "cp1252", "fallback (not UTF-8)"),  # cp1252 agrees with Latin-1 on every printable byte
    ("cp1252", CP1252_TEXTS, "cp1252", "fallback (not UTF-8)"),
    ("utf-16", TEXTS + CP1252_TEXTS, "utf-16", "byte-order mark"),
    ("utf-8-sig", TEXTS + CP1252_TEXTS, "utf-8-sig", "byte-order mark"),
    ("utf-8", TEXTS + CP1252_TEXTS, "utf-8", "valid UTF-8"),
])
def test_jsonl_in_any_common_encoding_is_read_exactly(tmp_path: Path, encoding, texts, expected, how):
    path = tmp_path / "chats.jsonl"
    path.write_bytes("".join(json.dumps(_chat(t), ensure_ascii=False) + "\n" for t in texts * 5).encode(encoding))
    loaded = load_source(DatasetSpec(kind="chat", source="file", path=str(path)), tmp_path)
    assert [r["messages"][0]["content"] for r in loaded.records] == texts * 5
    assert loaded.encoding == {"encoding": expected, "encoding_chosen_by": how}


def test_latin1_csv_with_declared_encoding(tmp_path: Path):
    """Financial PhraseBank style: Latin-1 sentences, a label column; `encoding: latin-1` is obeyed."""
    path = tmp_path / "phrasebank.csv"
    rows = [("Nestl\u00e9's operating profit rose to EUR 5 mn", "positive"), ("Sales fell 3 \u00b1 1 %", "negative")]
    path.write_bytes(("text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in rows * 6)).encode("latin-1"))
    spec = DatasetSpec(kind="classification", source="file", path=str(path), encoding="latin-1")
    loaded = load_source(spec, tmp_path)
    assert [r["text"] for r in loaded.records[:2]] == [t for t, _ in rows]
    assert loaded.encoding == {"encoding": "latin-1", "encoding_chosen_by": "declared"}


def test_east_asian_multibyte_is_detected(tmp_path: Path):
    path = tmp_path / "gbk.txt"
    text = "\u5ba2\u6237\u670d\u52a1\uff1a\u8bf7\u95ee\u60a8\u7684\u8ba2\u5355\u53f7\u662f\u591a\u5c11\uff1f" * 20
    path.write_bytes(text.encode("gbk"))
    enc = detect(path)
    assert enc.how.startswith("detected") and path.read_bytes().decode(enc.name) == text


def test_latin1_recipe_and_gate_policy_load(tmp_path: Path):
    recipe = tmp_path / "sft.yaml"
    recipe.write_bytes("# Gr\u00f6\u00dfe des Modells\nmax_steps: 7\n".encode("latin-1"))
    assert read_yaml(recipe) == {"max_steps": 7}
    policy = tmp_path / "gates.yaml"
    text = (PROJECT_ROOT / "tests/fixtures/gates/micro.yaml").read_text(encoding="utf-8")
    policy.write_bytes(text.replace("name: support_chat_micro", "name: caf\u00e9_micro").encode("utf-16"))
    assert load_policy(policy).name == "caf\u00e9_micro"


def test_prep_reports_the_encoding_in_the_store(tmp_path: Path):
    """The real CLI: a Latin-1 file passed with --source; the stored data report names the encoding."""
    domain = tmp_path / "domains" / "enc"
    domain.mkdir(parents=True)
    (domain / "manifest.yaml").write_text(
        "name: enc\nhooks: hooks.py\ndatasets:\n  chats: {kind: chat}\nstages:\n  sft: {method: sft, data: chats}\n"
        "suites: []\nregression_suites: []\ngate_policy: null\ncleaning:\n  decontam: {enabled: false}\n")
    (domain / "hooks.py").write_text("")
    data = tmp_path / "latin1.jsonl"
    data.write_bytes("".join(json.dumps(_chat(f"{t} #{i}"), ensure_ascii=False) + "\n"
                             for i, t in enumerate(TEXTS * 8)).encode("latin-1"))
    db = tmp_path / "store.duckdb"
    result = CliRunner().invoke(_Entry(), ["prep", "enc", "--source", f"chats={data}", "--db", str(db)],
                                env={"HARNESS_DOMAINS_DIR": str(tmp_path / "domains")})
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads(Store(db, read_only=True).query(
        "SELECT report_json FROM data_reports WHERE dataset = 'chats'")[0]["report_json"])
    assert report["encoding"] == "cp1252" and report["encoding_chosen_by"] == "fallback (not UTF-8)"
    assert report["loaded"] == len(TEXTS) * 8


class _Entry:
    name = "harness"

    def main(self, args=(), prog_name=None, **_: object) -> None:
        cli.main(list(args))
