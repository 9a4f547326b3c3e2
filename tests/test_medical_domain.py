"""The medical domain: generator (varied, PII-dense, seeded, train disjoint from eval), suite data in sync,
loaders for the public formats (PubMedQA ori_pqal.json, MedQA-USMLE JSONL, MedMCQA rows) on small fixtures
written in those formats, and MRN / DOB / address masking in prep."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.data.loaders import load_converted, load_source
from harness.data.records import normalize_text, validate_record
from harness.domains import DatasetSpec, load_domain

FIX = Path(__file__).parent / "fixtures" / "medical"
SMALL = {"n_notes": 300, "n_sft": 300, "n_dpo": 80, "n_triage": 60}


@pytest.fixture(scope="module")
def domain():
    return load_domain("medical")


@pytest.fixture(scope="module")
def generated(domain) -> dict[str, list[dict]]:
    return domain.hooks.generate(domain.manifest.seed, **SMALL)


def test_generate_gives_every_dataset_valid_and_varied(domain, generated) -> None:
    for name, spec in domain.manifest.datasets.items():
        assert generated[name], name
        assert all(validate_record(r, spec.kind) is None for r in generated[name]), name
    genres = Counter(r["meta"]["genre"] for r in generated["notes"])
    assert set(genres) == {"soap", "discharge", "triage", "fact", "thread", "abstract"}
    tasks = Counter(r["meta"]["task"] for r in generated["chats"])
    assert set(tasks) == {"reply", "qa", "mcq", "triage", "message"}
    assert set(r["label"] for r in generated["triage"]) == {"emergency", "urgent", "routine"}
    texts = [r["text"] for r in generated["notes"]]
    assert sum("MRN" in t for t in texts) > 50 and sum("DOB" in t for t in texts) > 30
    lengths = sorted(len(t) for t in texts)
    # short facts and long summaries
    assert lengths[len(lengths) // 10] * 2 < lengths[-len(lengths) // 10] and lengths[0] * 5 < lengths[-1]
    assert domain.hooks.generate(1, **SMALL) != generated and domain.hooks.generate(1234, **SMALL) == generated
    with pytest.raises(ValueError, match="unknown medical generator params"):
        domain.hooks.generate(0, n_bogus=1)


def test_suite_data_matches_the_generator_and_is_disjoint_from_train(domain, generated) -> None:
    gen = subprocess.run([sys.executable, str(domain.suite_root / "generate.py"), "--check"], capture_output=True,
                         text=True, timeout=300)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    data = domain.suite_root / "data"
    rows = {f.stem: [json.loads(line) for line in f.open()] for f in data.glob("*.jsonl")}
    assert {k: len(v) for k, v in rows.items()} == {"qa": 210, "mcq": 400, "triage": 400, "ppl": 64, "reply": 40}
    for name in ("qa", "triage"):  # balanced answers: chance is 1/3
        counts = Counter(r["gold"] for r in rows[name]).values()
        assert len(counts) == 3 and max(counts) - min(counts) <= 1
    eval_texts = {normalize_text(r[k]) for name in ("qa", "mcq", "triage", "ppl", "reply") for r in rows[name]
                  for k in ("question", "context", "message", "note") if k in r}
    train = {normalize_text(t) for r in generated["notes"] for t in [r["text"]]}
    train |= {normalize_text(m["content"]) for r in generated["chats"] for m in r["messages"]}
    assert eval_texts and not eval_texts & train


def test_pubmedqa_ori_pqal_loads_with_a_column_mapping(tmp_path: Path) -> None:
    path = FIX / "ori_pqal.json"
    text = load_source(DatasetSpec(source="file", path=str(path), kind="text", file_kind="text",
                                   explode=["CONTEXTS"], columns={"text": "CONTEXTS"}), tmp_path)
    assert len(text.records) == 6 and text.records[0]["text"] == "Prolonged bed rest after hip surgery is common."
    assert text.records[0]["id"] == "30001"  # the PMID key becomes the record id
    spec = DatasetSpec(source="file", path=str(path), kind="chat", file_kind="classification",
                       columns={"text": "QUESTION", "label": "final_decision"},
                       instruction="Answer yes, no or maybe.\nQuestion: {text}\nOptions: {options}")
    defaults = DatasetSpec(kind="text", system="Be careful.")
    chats = load_converted(spec, tmp_path, "chat", **spec.prompts(defaults)).records
    assert [c["messages"][-1]["content"] for c in chats] == ["yes", "no", "maybe"]
    assert chats[0]["messages"][1]["content"].startswith("Answer yes, no or maybe.\nQuestion: Does early")


def test_medqa_and_medmcqa_rows(tmp_path: Path, domain) -> None:
    medqa = load_source(DatasetSpec(source="file", path=str(FIX / "medqa.jsonl"), kind="prompt_completion",
                                    file_kind="prompt_completion", columns={"prompt": "question",
                                                                           "completion": "answer"}), tmp_path)
    assert [r["completion"] for r in medqa.records] == ["Aspirin", "TSH"]
    rows = [json.loads(line) for line in (FIX / "medqa.jsonl").open()]
    chats = domain.hooks.medqa(rows)
    assert chats[1]["messages"][-1]["content"] == "TSH" and "C. TSH\nD. D-dimer\nE. Lactate" in \
        chats[1]["messages"][1]["content"]
    mm = [json.loads(line) for line in (FIX / "medmcqa.jsonl").open()]
    assert [c["messages"][-1]["content"] for c in domain.hooks.medmcqa(mm)] == ["Adrenaline", "Metformin"]
    assert domain.hooks.medmcqa([{**mm[1], "cop": 2, "cop_base": 1}])[0]["messages"][-1]["content"] == "Metformin"
    out = tmp_path / "pq.jsonl"
    assert domain.hooks.convert_file("pubmedqa", FIX / "ori_pqal.json", out) == 3
    first = json.loads(out.read_text().splitlines()[0])
    assert "Abstract: Prolonged bed rest" in first["messages"][1]["content"] and first["id"] == "30001"
    chat = load_source(DatasetSpec(source="file", path=str(out), kind="chat"), tmp_path)
    assert chat.kind == "chat" and len(chat.records) == 3


def test_prep_masks_names_mrns_dobs_phones_and_addresses(domain, tmp_path: Path, monkeypatch) -> None:
    from harness.cleaning.pii import PiiMasker

    masker = PiiMasker(domain.manifest.cleaning.pii)
    note = ("DISCHARGE SUMMARY\nPatient: Maria Lopez\nMRN: 4821937\nDOB: 03/14/1961\nAddress: 742 Maple Street, "
            "Springfield, IL\nHospital no. 55512345. Tel (212) 555-0143. S) pt Maria Lopez, MRN#7310022, "
            "born 4/2/1950\nDischarge medication: metformin 500 mg twice daily.")
    masked, counts = masker.mask_text(note)
    for secret in ("Lopez", "4821937", "03/14/1961", "742 Maple Street", "55512345", "555-0143", "7310022",
                   "4/2/1950"):
        assert secret not in masked, (secret, masked)
    assert "metformin 500 mg twice daily" in masked and counts["ACCOUNT_ID"] >= 5 and counts["PERSON"] >= 1
