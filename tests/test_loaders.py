"""Loaders on small fixtures in real formats, conversions, and every user-error message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.data import load_records, load_source, to_chat, validate_record
from harness.data.records import DEFAULT_INSTRUCTION, chat_to_text, classification_prompt, normalize_text
from harness.domains import DatasetSpec
from harness.errors import HarnessError

FIX = Path(__file__).parent / "fixtures" / "data"
INTENT = "Classify the intent of this customer message.\nMessage: {text}\nOptions: {options}\nAnswer with one option."


def spec(path: str | Path, kind: str | None = None, **kw) -> DatasetSpec:
    """A file dataset; `kind` is the kind the file holds (detected when None)."""
    return DatasetSpec(source="file", path=str(path), kind=kind or "text", file_kind=kind, **kw)


# ---------------------------------------------------------------- formats

def test_banking77_csv_with_multiline_quoted_text() -> None:
    loaded = load_source(spec("banking77_sample.csv", kind="classification", columns={"label": "category"}), FIX)
    assert loaded.kind == "classification"
    assert len(loaded.records) == 7
    texts = [r["text"] for r in loaded.records]
    assert "I lost my card\nsomewhere on the bus\nplease help" in texts  # one record, line breaks kept
    assert "My card was declined, twice, at the shop" in texts  # quoted comma
    assert 'He said "it is pending" - why?' in texts  # escaped quotes
    assert "I can't seem to be able to use my card" in texts  # stray surrounding newlines stripped
    assert loaded.records[0] == {"text": "I am still waiting on my card?", "label": "card_arrival"}


def test_banking77_csv_kind_and_label_alias_detected() -> None:
    loaded = load_source(spec("banking77_sample.csv"), FIX)  # `category` is a known alias of `label`
    assert loaded.kind == "classification"
    assert {r["label"] for r in loaded.records} >= {"card_arrival", "lost_or_stolen_card"}


def test_classification_to_chat_uses_the_given_instruction_and_system() -> None:
    plain = load_records(spec("banking77_sample.csv"), FIX, kind="chat")
    assert [m["role"] for m in plain[0]["messages"]] == ["user", "assistant"]  # no domain text in core defaults
    assert plain[0]["messages"][0]["content"].startswith("Classify the following text.\nText: I am still")
    chats = load_records(spec("banking77_sample.csv"), FIX, kind="chat", instruction=INTENT, system="Be kind.")
    assert len(chats) == 7
    assert chats[0]["messages"][0] == {"role": "system", "content": "Be kind."}
    user, answer = chats[0]["messages"][-2], chats[0]["messages"][-1]
    assert answer == {"role": "assistant", "content": "card_arrival"}
    assert user["content"].startswith("Classify the intent of this customer message.\nMessage: I am still")
    options = user["content"].split("Options: ")[1].split("\n")[0].split(", ")
    assert "card_arrival" in options and len(options) == 7  # all 7 labels (fewer than 8 exist)
    assert all(validate_record(c, "chat") is None for c in chats)


def test_chat_jsonl_skips_blank_lines_and_keeps_id_meta() -> None:
    loaded = load_source(spec("chat.jsonl"), FIX)
    assert loaded.kind == "chat" and len(loaded.records) == 3
    assert loaded.records[1]["id"] == "c2"
    assert loaded.records[2]["meta"] == {"source": "fixture"}
    assert loaded.records[0]["messages"][0]["role"] == "system"


def test_prompt_completion_jsonl_and_conversions() -> None:
    records = load_records(spec("prompt_completion.jsonl"), FIX)
    assert records[0]["prompt"] == "Customer: where is my refund?"
    chats = load_records(spec("prompt_completion.jsonl"), FIX, kind="chat")
    assert [m["role"] for m in chats[0]["messages"]] == ["user", "assistant"]  # core adds no system text
    chats = load_records(spec("prompt_completion.jsonl"), FIX, kind="chat", system="S")
    assert [m["role"] for m in chats[0]["messages"]] == ["system", "user", "assistant"]
    texts = load_records(spec("prompt_completion.jsonl"), FIX, kind="text")
    assert texts[1]["text"].startswith("Customer: my card is lost\n")


def test_preference_jsonl() -> None:
    records = load_records(spec("preference.jsonl"), FIX, kind="preference")
    assert len(records) == 3
    assert set(records[0]) == {"prompt", "chosen", "rejected"}


def test_column_mapping_for_prompt_completion_and_id() -> None:
    records = load_records(spec("instructions.jsonl", kind="prompt_completion",
                                columns={"prompt": "question", "completion": "answer", "id": "uid"}), FIX)
    assert records[0] == {"prompt": "How long do refunds take?",
                          "completion": "Up to 5 business days after we receive your return.", "id": "q1"}


def test_raw_text_file_blocks_and_jsonl_text_column() -> None:
    blocks = load_records(spec("transcripts.txt"), FIX)
    assert len(blocks) == 2 and blocks[1]["text"].count("\n") == 4
    docs = load_records(spec("documents.jsonl", kind="text", columns={"text": "body"}), FIX)
    assert docs[0] == {"text": "Our returns policy allows 30 days for most items."}


def test_json_list_and_limit() -> None:
    records = load_records(spec("records.json", limit=1), FIX)
    assert records == [{"text": "Where is my card?", "label": "card_arrival"}]


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in (FIX / "preference.jsonl").read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "pairs.parquet")
    records = load_records(spec("pairs.parquet"), tmp_path, kind="preference")
    assert records == rows


def test_hf_saved_dataset_folder(tmp_path: Path) -> None:
    import datasets

    datasets.Dataset.from_list([{"utterance": "where is my card", "intent": "card_arrival"}]).save_to_disk(
        str(tmp_path / "ds"))
    records = load_records(spec("ds", format="hf"), tmp_path)
    assert records == [{"text": "where is my card", "label": "card_arrival"}]


def test_chat_to_text_and_normalize() -> None:
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"}]
    assert chat_to_text(msgs) == "User: Hi\nAssistant: Hello!"
    assert chat_to_text(msgs, {"user": "Customer", "assistant": "Agent"}) == "Customer: Hi\nAgent: Hello!"
    assert normalize_text("  Hi, there!  How's IT going? ") == "hi there how s it going"
    assert to_chat([{"text": "x", "label": "a"}], "classification", system=None)[0]["messages"][0]["role"] == "user"
    assert classification_prompt("m", ["a", "b"], INTENT).endswith("Options: a, b\nAnswer with one option.")
    assert classification_prompt("m", ["a", "b"]) == DEFAULT_INSTRUCTION.format(text="m", options="a, b")


# ---------------------------------------------------------------- errors: one line, HarnessError, says where and how

def _err(exc: pytest.ExceptionInfo[HarnessError]) -> str:
    assert isinstance(exc.value, HarnessError)
    message = str(exc.value)
    assert "\n" not in message and message.startswith("error: ") and " fix: " in message
    return message


def test_error_missing_file() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("nope.jsonl"), FIX)
    msg = _err(exc)
    assert "nope.jsonl" in msg and "not found" in msg and "path:" in msg


def test_error_malformed_jsonl_names_line() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("malformed.jsonl", on_bad_rows="error"), FIX)
    msg = _err(exc)
    assert "malformed.jsonl:3" in msg and "column" in msg and "line 3" in msg


def test_malformed_and_invalid_rows_are_dropped_and_counted_by_default() -> None:
    from harness.data.loaders import load_source

    loaded = load_source(spec("malformed.jsonl"), FIX)
    assert loaded.dropped == {"malformed_json": 1} and "malformed.jsonl:3" in loaded.examples["malformed_json"]
    assert loaded.records
    chats = load_source(spec("bad_chat.jsonl"), FIX)
    assert chats.dropped == {"invalid_record": 1} and "customer" in chats.examples["invalid_record"]


def test_error_missing_column_lists_columns_and_mapping() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("documents.jsonl", kind="text"), FIX)
    msg = _err(exc)
    assert "documents.jsonl:1" in msg and "'text'" in msg and "body, lang" in msg and "columns: {text: body}" in msg


def test_error_mapped_column_absent() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("banking77_sample.csv", kind="classification", columns={"label": "intent_name"}), FIX)
    msg = _err(exc)
    assert "banking77_sample.csv:2" in msg and "'intent_name'" in msg and "category, text" in msg


@pytest.mark.parametrize("name", ["empty.jsonl", "header_only.csv"])
def test_error_empty_file(name: str) -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec(name), FIX)
    msg = _err(exc)
    assert name in msg and "no records" in msg


def test_error_unknown_format() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("data.xyz"), FIX)
    msg = _err(exc)
    assert "data.xyz" in msg and "'.xyz'" in msg and "format:" in msg


def test_error_unknown_format_in_manifest_is_harness_error() -> None:
    from harness.config_io import validate
    from harness.domains import Manifest

    with pytest.raises(HarnessError) as exc:
        validate(Manifest, {"name": "x", "datasets": {"chats": {"kind": "chat", "source": "file", "path": "a",
                                                                "format": "xlsx"}}}, "m.yaml")
    assert "datasets.chats.format" in _err(exc)


def test_error_invalid_record_names_line_and_problem() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("bad_chat.jsonl", on_bad_rows="error"), FIX)
    msg = _err(exc)
    assert "bad_chat.jsonl:2" in msg and "customer" in msg


def test_error_kind_not_convertible() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("preference.jsonl"), FIX, kind="chat")
    msg = _err(exc)
    assert "preference records" in msg and "chat" in msg


def test_error_kind_undetectable() -> None:
    with pytest.raises(HarnessError) as exc:
        load_records(spec("data.xyz", format="csv"), FIX)
    msg = _err(exc)
    assert "cannot tell the record kind" in msg and "file_kind:" in msg


def test_error_hf_dataset_not_cached_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HarnessError) as exc:
        load_records(spec("nosuch-org/nosuch-dataset", format="hf"), FIX)
    msg = _err(exc)
    assert "nosuch-org/nosuch-dataset" in msg and "offline" in msg and "format: jsonl" in msg


def test_sharegpt_and_dolly_layouts_load_without_mapping(tmp_path):
    from harness.data.loaders import load_source

    fixtures = Path(__file__).parent / "fixtures" / "data"
    sg = load_source(spec(fixtures / "sharegpt.jsonl"), tmp_path)
    assert sg.kind == "chat" and len(sg.records) == 2
    assert [m["role"] for m in sg.records[0]["messages"]] == ["system", "user", "assistant"]
    dolly = load_source(spec(fixtures / "dolly.jsonl"), tmp_path)
    assert dolly.kind == "prompt_completion"
    assert "declined twice" in dolly.records[0]["prompt"] and dolly.records[0]["completion"].startswith("The customer")
    assert dolly.records[1]["prompt"] == "How can I close my account?"  # empty context adds nothing


def _write_folder(root: Path) -> None:
    (root / "a").mkdir(parents=True)
    (root / "a" / "part1.jsonl").write_text('{"text": "alpha one"}\n{"text": "alpha two"}\n', encoding="utf-8")
    (root / "b.csv").write_text("text\nbeta one\n", encoding="utf-8")
    (root / "c.jsonl").write_bytes('{"text": "gamma caf\u00e9"}\n'.encode("latin-1"))  # a Latin-1 export
    (root / ".hidden.jsonl").write_text('{"text": "never read"}\n', encoding="utf-8")
    (root / "notes.bin").write_bytes(b"\x00\x01")  # not a data file: skipped, not an error


def test_folder_source_reads_every_data_file_in_order(tmp_path: Path) -> None:
    """A folder is its data files (any supported format, nested, sorted by path; hidden files and unknown
    suffixes skipped), each with its own format and encoding; the report names the encodings per file."""
    _write_folder(tmp_path / "data")
    loaded = load_source(spec(tmp_path / "data", "text"), tmp_path)
    assert [r["text"] for r in loaded.records] == ["alpha one", "alpha two", "beta one", "gamma caf\u00e9"]
    assert loaded.source.endswith("(3 files)")
    assert loaded.encoding["encoding"] == "cp1252, utf-8" and loaded.encoding["encoding_chosen_by"] == "per file"


def test_glob_source_and_empty_matches(tmp_path: Path) -> None:
    _write_folder(tmp_path / "data")
    loaded = load_source(spec(tmp_path / "data" / "**" / "*.jsonl", "text"), tmp_path)
    assert [r["text"] for r in loaded.records] == ["alpha one", "alpha two", "gamma caf\u00e9"]
    relative = DatasetSpec(source="file", path="data/*.csv", kind="text", file_kind="text")
    assert [r["text"] for r in load_source(relative, tmp_path).records] == ["beta one"]
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "empty", tmp_path / "data" / "*.parquet"):
        with pytest.raises(HarnessError, match="holds no data files"):
            load_source(spec(path, "text"), tmp_path)
