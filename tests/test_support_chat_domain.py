"""support_chat domain: manifest, generator determinism/coverage, train/eval disjointness, prep pipeline."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.data.records import normalize_text, validate_record
from harness.domains import Domain, Manifest, load_domain
from harness.errors import HarnessError
from harness.prep import PrepContext, domain_eval_texts, prepare_domain, read_jsonl

SMALL = {"generator": {"n_transcripts": 60, "n_sft": 80, "n_dpo": 40, "n_intents": 50},
         "datasets": {"transcripts": {"replay_general": 0.0}}}
FIX = Path(__file__).parent / "fixtures" / "data"
SUITE = Path(__file__).resolve().parents[1] / "domains" / "support_chat" / "suite"  # the suite lives in its domain


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_domain("support_chat")


@pytest.fixture(scope="module")
def generated(domain: Domain) -> dict[str, list[dict]]:
    return domain.hooks.generate(domain.manifest.seed, **domain.manifest.generator)


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


# ---------------------------------------------------------------- manifest and generator

def test_manifest_is_valid(domain: Domain) -> None:
    m = domain.manifest
    assert isinstance(m, Manifest) and m.name == "support_chat"
    assert {k: (v.method, v.data, v.config) for k, v in m.stages.items()} == {
        "cpt": ("cpt", "transcripts", "recipes/cpt.yaml"), "sft": ("sft", "chats", "recipes/sft.yaml"),
        "dpo": ("dpo", "pairs", "recipes/dpo.yaml"), "intent_head": ("classifier", "intents", None)}
    assert [m.parent_of(s) for s in m.stages] == ["base", "cpt", "sft", "sft"]  # the head starts from SFT
    assert {k: v.kind for k, v in m.datasets.items()} == {"transcripts": "text", "chats": "chat", "pairs": "preference",
                                                           "intents": "classification"}
    assert m.suites == ["support_chat"] and m.regression_suites == ["general"] and m.gate_policy == "gates.yaml"
    assert all(spec.source == "generator" for spec in m.datasets.values())
    assert domain.suite_root == domain.root / "suite" and (domain.suite_root / "_support_chat.yaml").exists()


def test_generate_sizes_and_valid_records(domain: Domain, generated: dict[str, list[dict]]) -> None:
    params = domain.manifest.generator
    assert len(generated["transcripts"]) == params["n_transcripts"]
    assert len(generated["chats"]) == params["n_sft"]
    assert len(generated["pairs"]) == params["n_dpo"] and len(generated["intents"]) == params["n_intents"]
    for stage, kind in (("transcripts", "text"), ("chats", "chat"), ("pairs", "preference"),
                        ("intents", "classification")):
        assert all(validate_record(r, kind) is None for r in generated[stage])
    assert all(r["chosen"] != r["rejected"] for r in generated["pairs"])


def test_generate_is_deterministic_and_seeded(domain: Domain) -> None:
    a = domain.hooks.generate(7, n_transcripts=30, n_sft=30, n_dpo=30)
    b = domain.hooks.generate(7, n_transcripts=30, n_sft=30, n_dpo=30)
    c = domain.hooks.generate(8, n_transcripts=30, n_sft=30, n_dpo=30)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)
    assert domain.hooks.eval_items(3) == domain.hooks.eval_items(3)


def test_generate_rejects_unknown_params(domain: Domain) -> None:
    with pytest.raises(ValueError, match="n_sfts"):
        domain.hooks.generate(1, n_sfts=3)


def test_coverage_intents_businesses_and_tasks(domain: Domain, generated: dict[str, list[dict]]) -> None:
    intents = domain.hooks.intents()
    assert len(intents) >= 20 and len(set(intents)) == len(intents)
    assert len(domain.hooks.businesses()) >= 3
    for stage in ("transcripts", "chats", "pairs"):
        assert {r["meta"]["intent"] for r in generated[stage]} == set(intents), stage
        assert len({r["meta"]["business"] for r in generated[stage]}) >= 3
    tasks = Counter(r["meta"]["task"] for r in generated["chats"])
    assert tasks["intent"] > 0.15 * len(generated["chats"]) and tasks["reply"] > 0.5 * len(generated["chats"])
    assert {r["meta"]["rejected_kind"] for r in generated["pairs"]} == {"curt", "wrong_intent", "unhelpful"}
    assert any(len(r["messages"]) > 3 for r in generated["chats"])  # some multi-turn chats
    assert len({normalize_text(r["meta"]["message"]) for r in generated["chats"]}) > 0.8 * len(generated["chats"])


def test_sft_formats(generated: dict[str, list[dict]]) -> None:
    intent_chat = next(r for r in generated["chats"] if r["meta"]["task"] == "intent")
    system, user, answer = intent_chat["messages"]
    assert system["role"] == "system" and "customer support agent for" in system["content"]
    assert user["content"].startswith("Classify the intent of this customer message.\nMessage: ")
    options = user["content"].split("Options: ")[1].split("\n")[0].split(", ")
    assert answer["content"] == intent_chat["meta"]["intent"] in options and len(options) == 8
    transcript = generated["transcripts"][0]["text"]
    assert transcript.startswith("Support chat with ") and "\nCustomer: " in transcript and "\nAgent: " in transcript


def test_reference_replies_carry_their_action_keywords(domain: Domain) -> None:
    gen = domain.hooks._generator()
    for item in domain.hooks.eval_items(0)["reply"]:
        assert all(k.lower() in item["reply"].lower() for k in item["keywords"]), item["intent"]
    for intent in gen.INTENTS:  # every intent x business reply renders with no leftover slots or brackets
        for biz in intent["businesses"]:
            text = gen.action_text(intent["label"], biz, {})
            assert "{" not in text and "[" not in text and "|" not in text, (intent["label"], biz)


# ---------------------------------------------------------------- train/eval disjointness

def _train_messages(generated: dict[str, list[dict]]) -> set[str]:
    msgs = {normalize_text(r["meta"]["message"]) for name in ("transcripts", "chats", "pairs") for r in generated[name]}
    msgs |= {normalize_text(r["prompt"]) for r in generated["pairs"]}
    for r in generated["transcripts"]:
        msgs |= {normalize_text(line[len("Customer: "):]) for line in r["text"].splitlines()
                 if line.startswith("Customer: ")}
    return msgs


def _committed_eval_messages() -> list[str]:
    out = []
    for file in sorted((SUITE / "data").glob("*.jsonl")):
        out += [m for row in read_jsonl(file) for m in row["decontam"]]
    return out


def test_templates_are_split_disjointly(domain: Domain) -> None:
    gen = domain.hooks._generator()
    for intent in gen.INTENTS:
        train = {normalize_text(t) for t in gen._templates(intent, "train")}
        held = {normalize_text(t) for t in gen._templates(intent, "eval")}
        assert held and len(train) >= 2 * len(held) and not train & held, intent["label"]
    for slot in gen.content.SLOT_POOLS:
        assert not set(gen._pool(slot, "train")) & set(gen._pool(slot, "eval")), slot


@pytest.mark.parametrize("seed", [None, 99])
def test_no_eval_message_occurs_in_train(domain: Domain, generated: dict[str, list[dict]], seed: int | None) -> None:
    data = generated if seed is None else domain.hooks.generate(seed, **domain.manifest.generator)
    train = _train_messages(data)
    eval_msgs = _committed_eval_messages() + [m for rows in domain.hooks.eval_items(5).values()
                                             for row in rows for m in row["decontam"]]
    assert len(eval_msgs) > 400
    assert not {normalize_text(m) for m in eval_msgs} & train
    # Stronger: no eval customer message appears verbatim (normalised) inside any train text.
    blob = "\n".join(normalize_text(json.dumps(r, ensure_ascii=False)) for stage in data.values() for r in stage)
    leaked = [m for m in set(map(normalize_text, _committed_eval_messages())) if m in blob]
    assert not leaked, leaked[:5]


# ---------------------------------------------------------------- prep

def test_prepare_domain_writes_splits_and_reuses_cache(domain: Domain, cache: Path) -> None:
    prepared = prepare_domain(domain, overrides=SMALL)
    assert not prepared.reused and prepared.root.parent == cache / "data"
    assert prepared.root.name == f"support_chat-{prepared.key}"
    assert prepared.counts == {"transcripts": {"train": 54, "validation": 6}, "chats": {"train": 72, "validation": 8},
                               "pairs": {"train": 36, "validation": 4}, "intents": {"train": 45, "validation": 5}}
    sft = prepared.dataset("chats")
    rows = read_jsonl(sft.train) + read_jsonl(sft.validation)
    assert len(rows) == 80 and all(validate_record(r, "chat") is None for r in rows)
    assert not {json.dumps(r) for r in read_jsonl(sft.train)} & {json.dumps(r) for r in read_jsonl(sft.validation)}
    report = prepared.report["chats"]
    assert {k: report[k] for k in ("source", "loaded", "train", "validation", "replayed_general")} == {
        "source": "generator", "loaded": 80, "train": 72, "validation": 8, "replayed_general": 0}
    assert [s["step"] for s in report["steps"]] == ["harness.cleaning"]  # the manifest's cleaning block
    mtime = sft.train.stat().st_mtime_ns

    again = prepare_domain(domain, overrides=SMALL)
    assert again.reused and again.root == prepared.root and again.data_hash == prepared.data_hash
    assert again.counts == prepared.counts and again.dataset("chats").train.stat().st_mtime_ns == mtime

    other = prepare_domain(domain, seed=5, overrides=SMALL)
    assert other.key != prepared.key and other.data_hash != prepared.data_hash


def test_prepare_domain_runs_cleaning_steps_and_reports(domain: Domain, cache: Path) -> None:
    seen: list[str] = []

    class DropCurt:
        name = "drop_curt_rejected"

        def __call__(self, records: list[dict], ctx: PrepContext):
            seen.append(ctx.dataset)
            if ctx.kind != "preference":
                return records
            kept = [r for r in records if r["meta"]["rejected_kind"] != "curt"]
            return kept, {"reason": "curt"}

    prepared = prepare_domain(domain, overrides=SMALL, steps=[DropCurt()])
    assert seen == ["transcripts", "chats", "pairs", "intents"]
    step = prepared.report["pairs"]["steps"][0]
    assert step["step"] == "drop_curt_rejected" and step["in"] == 40 and step["reason"] == "curt"
    assert step["dropped"] > 0 and step["out"] == sum(prepared.counts["pairs"].values())
    assert prepared.report["transcripts"]["steps"][0]["dropped"] == 0
    assert prepared.key != prepare_domain(domain, overrides=SMALL).key  # steps are part of the cache key


def test_prepare_domain_from_files(domain: Domain, cache: Path) -> None:
    manifest = domain.manifest.model_dump(mode="json")
    overrides = {"stages": {k: manifest["stages"][k] for k in ("cpt", "sft")}, "datasets": {
        "transcripts": {"kind": "text", "source": "file", "path": str(FIX / "transcripts.txt")},
        "chats": {"kind": "chat", "source": "file", "path": str(FIX / "banking77_sample.csv"),
                  "file_kind": "classification", "columns": {"label": "category"}}}}
    replaced = Domain(domain.root, Manifest.model_validate({**manifest, **overrides}))
    prepared = prepare_domain(replaced)
    assert set(prepared.datasets) == {"transcripts", "chats"}
    assert prepared.counts["chats"] == {"train": 6, "validation": 1}
    assert prepared.counts["transcripts"] == {"train": 1, "validation": 1}
    system, user, answer = read_jsonl(prepared.dataset("chats").train)[0]["messages"]
    # a classification file is rendered with the domain's prompts: the same system text and instruction as the suite
    assert system == {"role": "system", "content": domain.manifest.prompts.system}
    assert user["content"].startswith("Classify the intent of this customer message.\nMessage: ")
    assert answer["role"] == "assistant"
    with pytest.raises(HarnessError, match="no dataset 'pairs'"):
        prepared.dataset("pairs")


def test_prepare_domain_errors(domain: Domain, cache: Path) -> None:
    with pytest.raises(HarnessError, match="data file .*missing.jsonl for dataset 'chats' not found"):
        prepare_domain(domain, overrides={"datasets": {"chats": {"source": "file", "path": "missing.jsonl"}}})
    with pytest.raises(HarnessError, match="reads dataset 'nope', which `datasets:` does not declare"):
        prepare_domain(domain, overrides={"stages": {"rlhf": {"method": "dpo", "data": "nope"}}})
    with pytest.raises(HarnessError, match="generator rejected its params"):
        prepare_domain(domain, overrides={"generator": {"n_typo": 1}})


def test_eval_texts_are_the_suite_inputs(domain: Domain) -> None:
    texts = domain_eval_texts(domain, include_regression=False)
    assert len(texts) > 300 and len(texts) == len(set(texts))
    assert set(texts) == set(_committed_eval_messages())


def test_prepare_domain_records_runs_and_reports(domain: Domain, cache: Path, tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from harness.prep import print_prep_report
    from harness.store import Store

    store = Store(tmp_path / "t.duckdb")
    prepared = prepare_domain(domain, overrides=SMALL, store=store)
    assert prepared.paths("pairs") == (prepared.dataset("pairs").train, prepared.dataset("pairs").validation)
    runs = store.query("SELECT kind, status, data_hash FROM runs")
    assert runs == [{"kind": "prep", "status": "completed", "data_hash": prepared.data_hash}]
    reports = store.query("SELECT dataset, n_rows_in, n_rows_out FROM data_reports ORDER BY dataset")
    assert reports == [{"dataset": "chats", "n_rows_in": 80, "n_rows_out": 80},
                       {"dataset": "intents", "n_rows_in": 50, "n_rows_out": 50},
                       {"dataset": "pairs", "n_rows_in": 40, "n_rows_out": 40},
                       {"dataset": "transcripts", "n_rows_in": 60, "n_rows_out": 60}]
    with pytest.raises(HarnessError):
        prepare_domain(domain, overrides={"datasets": {"chats": {"kind": "nope"}}}, store=store)
    assert store.query("SELECT count(*) AS n FROM runs") == [{"n": 1}]  # bad input leaves the store untouched
    out = StringIO()
    print_prep_report(prepared, Console(file=out, width=160))
    assert "support_chat" in out.getvalue() and str(prepared.root) in out.getvalue()


def test_cpt_replay_adds_general_corpus_rows(domain: Domain, cache: Path) -> None:
    """Replay: the requested share of CPT rows comes from the base model's general corpus, uncleaned."""
    plain = prepare_domain(domain, overrides=SMALL)
    mixed = prepare_domain(domain, overrides={**SMALL, "datasets": {"transcripts": {"replay_general": 0.5}}})
    n_plain = plain.counts["transcripts"]["train"] + plain.counts["transcripts"]["validation"]
    n_mixed = mixed.counts["transcripts"]["train"] + mixed.counts["transcripts"]["validation"]
    assert n_mixed == 2 * n_plain and mixed.report["transcripts"]["replayed_general"] == n_plain
    rows = [json.loads(line) for p in mixed.paths("transcripts") for line in p.read_text().splitlines()]
    assert sum(r.get("meta", {}).get("replay") == "general" for r in rows) == n_plain
    assert mixed.counts["chats"] == plain.counts["chats"]  # only the text dataset replays
