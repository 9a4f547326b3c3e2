"""Bring your own data and models, tried as a new user would: line-oriented logs, nested JSON, prompt text in the
dataset spec, finding a trained model by run id / `domain:stage` / folder, and the config schema on the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.data.loaders import load_source
from harness.domains import DatasetSpec
from harness.errors import HarnessError


def spec(path: Path, kind: str = "text", **kw) -> DatasetSpec:
    return DatasetSpec(source="file", path=str(path), kind=kind, **kw)


def _log(path: Path, n: int = 2000) -> Path:
    lines = [f"2026-11-30 10:{i // 60 % 60:02d}:{i % 60:02d} INFO worker-{i % 7} handled request {i} in {i % 97} ms"
             for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- line-oriented text

def test_log_file_is_line_oriented_and_grouped(tmp_path: Path) -> None:
    log = _log(tmp_path / "service.log")
    per_line = load_source(spec(log), tmp_path)  # .log → format lines, one record per line
    assert len(per_line.records) == 2000 and not per_line.warnings
    grouped = load_source(spec(log, group_lines=20), tmp_path)
    assert len(grouped.records) == 100 and grouped.records[0]["text"].count("\n") == 19
    windows = load_source(spec(log, group_seconds=60), tmp_path)  # one record per minute of log time
    assert len(windows.records) == 34 and windows.records[1]["text"].startswith("2026-11-30 10:01:00")


def test_blank_line_text_format_warns_when_a_log_becomes_one_document(tmp_path: Path) -> None:
    log = _log(tmp_path / "service.txt")
    loaded = load_source(spec(log), tmp_path)  # txt: documents are separated by blank lines
    assert len(loaded.records) == 1
    assert loaded.warnings and "2000 lines gave only 1 record" in loaded.warnings[0]
    assert "format: lines" in loaded.warnings[0]


def test_prep_reports_the_warning_and_an_empty_validation_split(tmp_path: Path, monkeypatch) -> None:
    from harness.prep import prepare_domain
    from harness.scaffold import new_domain

    monkeypatch.setenv("HARNESS_DOMAINS_DIR", str(tmp_path / "domains"))
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    folder = new_domain("logs", tmp_path / "domains")
    _log(folder / "service.txt")
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    manifest["datasets"]["notes"] = {"kind": "text", "source": "file", "path": "service.txt"}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    from harness.domains import load_domain

    prepared = prepare_domain(load_domain("logs"))
    assert prepared.counts["notes"] == {"train": 1, "validation": 0}
    warnings = prepared.report["notes"]["warnings"]
    assert any("gave only 1 record" in w for w in warnings) and any("no validation rows" in w for w in warnings)


# ---------------------------------------------------------------- nested JSON

NESTED = [{"title": "Cards", "paragraphs": [
    {"context": "Cards arrive in 5 days.", "qas": [{"q": "When do cards arrive?", "a": "In 5 days."},
                                                   {"q": "How fast is delivery?", "a": "5 days."}]},
    {"context": "Fees are waived.", "qas": [{"q": "Are there fees?", "a": "No, they are waived."}]}]}]


def test_nested_json_with_dotted_paths_and_explode(tmp_path: Path) -> None:
    path = tmp_path / "docs.json"
    path.write_text(json.dumps(NESTED))
    loaded = load_source(spec(path, kind="prompt_completion", file_kind="prompt_completion",
                              explode=["paragraphs", "paragraphs.qas"],
                              columns={"prompt": "paragraphs.qas.q", "completion": "paragraphs.qas.a"}), tmp_path)
    assert [r["prompt"] for r in loaded.records] == ["When do cards arrive?", "How fast is delivery?",
                                                     "Are there fees?"]
    first = load_source(spec(path, file_kind="text", columns={"text": "paragraphs.0.context"}), tmp_path)
    assert first.records == [{"text": "Cards arrive in 5 days."}]


def test_a_list_column_error_leads_to_explode(tmp_path: Path) -> None:
    path = tmp_path / "docs.json"
    path.write_text(json.dumps(NESTED))
    with pytest.raises(HarnessError) as err:
        load_source(spec(path, file_kind="text", columns={"text": "paragraphs"}), tmp_path)
    assert "explode: [paragraphs]" in err.value.fix and "paragraphs.<field>" in err.value.fix
    with pytest.raises(HarnessError, match="not a list"):
        load_source(spec(path, file_kind="text", explode=["title"]), tmp_path)


# ---------------------------------------------------------------- prompt text belongs to the dataset spec

def test_system_and_instruction_come_from_the_dataset_spec(tmp_path: Path) -> None:
    from harness.data.loaders import load_converted

    csv = tmp_path / "tickets.csv"
    csv.write_text("text,label\nprinter is on fire,hardware\nforgot my password,account\n")
    s = spec(csv, kind="chat", system="You triage IT tickets.", instruction="Ticket: {text}\nQueue ({options})?")
    chats = load_converted(s, tmp_path, "chat", **s.prompts(DatasetSpec.model_validate({"kind": "text"}))).records
    system, user, answer = chats[0]["messages"]
    assert system["content"] == "You triage IT tickets." and user["content"].startswith("Ticket: printer is on fire")
    assert answer["content"] == "hardware"
    assert "customer" not in json.dumps(chats).lower()  # no support-chat words from core code


# ---------------------------------------------------------------- finding a trained model; config schema

def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600, stdin=subprocess.DEVNULL)


def test_train_prints_its_model_and_every_address_resolves(tmp_path: Path, micro_model: Path) -> None:
    from harness.models.refs import resolve_model
    from harness.store import Store

    env = {"HARNESS_DOMAINS_DIR": str(tmp_path / "domains")}
    assert run_cli(["domain", "new", "shop"], tmp_path, env).returncode == 0
    db = tmp_path / "h.duckdb"
    train = run_cli(["train", "shop", "--stage", "cpt", "--model", "default:micro", "--set", "cpt.max_steps=2",
                     "--db", str(db)], tmp_path, env)
    assert train.returncode == 0, train.stderr[-2000:]
    store = Store(db, read_only=True)
    run = store.query("SELECT run_id, model_id FROM runs WHERE kind = 'train'")[0]
    flat = " ".join(train.stdout.split())
    assert "shop:cpt" in flat and run["run_id"] in flat  # train says what it produced and how to address it

    os.environ.update(env)
    try:
        refs = {ref: resolve_model(ref, store=store) for ref in ("shop:cpt", run["run_id"], run["model_id"])}
        folder = Path(refs["shop:cpt"].path)
        refs["stage folder"] = resolve_model(str(folder.parent))
        refs["model folder"] = resolve_model(str(folder))
    finally:
        os.environ.pop("HARNESS_DOMAINS_DIR")
    assert {r.model_id for r in refs.values()} == {run["model_id"]}  # evals link to the train run's model
    with pytest.raises(HarnessError, match="no trained model for stage 'sft' of domain 'shop'"):
        resolve_model("shop:sft", store=store)

    evaluated = run_cli(["eval", "--model", run["run_id"], "--suite", "shop", "--limit", "4", "--db", str(db)],
                        tmp_path, env)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    linked = Store(db, read_only=True).query("SELECT model_id FROM runs WHERE kind = 'eval'")
    assert linked == [{"model_id": run["model_id"]}]


def test_config_show_prints_resolved_manifest_and_schema(tmp_path: Path) -> None:
    proc = run_cli(["config", "show", "support_chat", "--set", "sft.max_steps=7"], tmp_path, {})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "datasets:" in out and "transcripts:" in out and "method: sft" in out  # the resolved manifest
    assert "datasets.<name> fields" in out and "group_lines" in out  # dataset spec schema with docs
    assert "stage sft: method sft" in out and "loss_mask" in out and "7" in out  # stage config, value and doc
    assert "which tokens carry loss" in " ".join(out.split())
