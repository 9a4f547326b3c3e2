"""The legal domain: generator (varied, seeded, train disjoint from eval), suite data in sync, readers for the
legal formats (LegalBench task folders, CUAD / SQuAD-v2 JSON with unanswerable questions, ContractNLI JSON,
LEDGAR rows) on small fixtures written in those formats, a LegalBench folder written out as an lm-eval task,
the SQuAD v2 metric, and docket / bar number masking and caption-party pseudonyms in prep."""

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
from harness.errors import HarnessError

FIX = Path(__file__).parent / "fixtures" / "legal"
SMALL = {"n_docs": 300, "n_sft": 300, "n_dpo": 60, "n_clauses": 64}


@pytest.fixture(scope="module")
def domain():
    return load_domain("legal")


@pytest.fixture(scope="module")
def generated(domain) -> dict[str, list[dict]]:
    return domain.hooks.generate(domain.manifest.seed, **SMALL)


def _read(domain, path: Path, **spec) -> list[dict]:
    """Rows the way prep reads a file: the domain's reader first, then the column mapping."""
    kind = spec.pop("kind", "text")
    return load_converted(DatasetSpec(source="file", path=str(path), kind=kind, **spec), path.parent, kind,
                          reader=domain.hooks.read_file, system="Be careful.").records


def test_generate_gives_every_dataset_valid_and_varied(domain, generated) -> None:
    for name, spec in domain.manifest.datasets.items():
        assert generated[name], name
        assert all(validate_record(r, spec.kind) is None for r in generated[name]), name
    assert set(Counter(r["meta"]["genre"] for r in generated["docs"])) == {"contract", "statute", "opinion", "client"}
    assert set(Counter(r["meta"]["task"] for r in generated["chats"])) == {"clause", "nli", "extract", "plain",
                                                                           "client"}
    assert Counter(r["label"] for r in generated["clauses"]) == {t: 8 for t in domain.hooks._sibling("content")
                                                                 .CLAUSE_TYPES}
    texts = [r["text"] for r in generated["docs"]]
    assert sum("Bar No." in t for t in texts) > 10 and sum(" v. " in t for t in texts) > 20
    assert sum("@" in t for t in texts) > 20  # signatories' emails: PII for the prep report
    assert ".." not in " ".join(t.replace("...", "") for t in texts)  # "Inc." ending a sentence is tidied
    extract = [r for r in generated["chats"] if r["meta"]["task"] == "extract"]
    answers = Counter(r["messages"][-1]["content"] == "not stated" for r in extract)
    assert answers[True] > 0.2 * len(extract) and answers[False] > 0.5 * len(extract)  # unanswerable questions
    lengths = sorted(len(t) for t in texts)
    assert lengths[0] * 5 < lengths[-1]  # one-line statutes and multi-clause contracts
    assert domain.hooks.generate(1, **SMALL) != generated and domain.hooks.generate(1234, **SMALL) == generated
    with pytest.raises(ValueError, match="unknown legal generator params"):
        domain.hooks.generate(0, n_bogus=1)


def test_suite_data_matches_the_generator_and_is_disjoint_from_train(domain, generated) -> None:
    gen = subprocess.run([sys.executable, str(domain.suite_root / "generate.py"), "--check"], capture_output=True,
                         text=True, timeout=300)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    rows = {f.stem: [json.loads(line) for line in f.open()] for f in (domain.suite_root / "data").glob("*.jsonl")}
    assert {k: len(v) for k, v in rows.items()} == {"clause": 400, "nli": 400, "extract": 90, "ppl": 64, "plain": 40}
    for name, k in (("clause", 8), ("nli", 3)):  # balanced gold labels: chance is what the metadata says
        labels = Counter(r["label"] for r in rows[name]).values()
        assert len(labels) == k and max(labels) - min(labels) <= 1
    assert sum(not r["answers"]["text"] for r in rows["extract"]) == 30  # a third unanswerable
    for r in rows["extract"]:  # SQuAD v2 offsets point at the answer
        for text, start in zip(r["answers"]["text"], r["answers"]["answer_start"], strict=True):
            assert r["context"][start:start + len(text)] == text
    eval_texts = {normalize_text(r[k]) for name in rows for r in rows[name]
                  for k in ("clause", "premise", "hypothesis", "context", "document") if k in r}
    train = {normalize_text(r["text"]) for r in generated["docs"]}
    train |= {normalize_text(m["content"]) for r in generated["chats"] for m in r["messages"]}
    assert eval_texts and not eval_texts & train
    # no eval clause, premise, hypothesis or contract inside a training prompt either (chats and DPO pairs wrap
    # items in instructions, so equality alone would not catch one)
    prompts = [normalize_text(m["content"]) for r in generated["chats"] for m in r["messages"] if m["role"] == "user"]
    prompts += [normalize_text(r["prompt"]) for r in generated["pairs"]]
    assert not [t for t in eval_texts if len(t) > 40 and any(t in p for p in prompts)]


def test_pairs_teach_redlines_and_review_answers(generated) -> None:
    pairs = generated["pairs"]
    assert set(Counter(r["meta"]["task"] for r in pairs)) == {"redline", "clause", "nli", "extract", "plain"}
    assert all(r["chosen"] != r["rejected"] for r in pairs)
    nli = [r for r in pairs if r["meta"]["task"] == "nli"]
    assert all({r["chosen"], r["rejected"]} <= {"entailed", "contradicted", "not mentioned"} for r in nli)
    clause = [r for r in pairs if r["meta"]["task"] == "clause"]  # both answers are listed options
    assert all("Options: " in r["prompt"] and r["rejected"] in r["prompt"].split("Options: ")[1] for r in clause)
    extract = [r for r in pairs if r["meta"]["task"] == "extract"]  # a wrong answer is a span of the contract
    assert all(r["rejected"] == "not stated" or r["rejected"] in r["prompt"] for r in extract)


def test_legalbench_task_folder_is_an_sft_dataset(domain) -> None:
    folder = FIX / "legalbench" / "private_action"
    rows = _read(domain, folder / "train.tsv", kind="chat")  # prompt/completion rows become chats
    assert len(rows) == 3 and rows[1]["messages"][-1]["content"] == "Yes"
    user = rows[1]["messages"][1]["content"]
    assert user.startswith("A private right of action") and user.endswith(
        "Clause: Any tenant harmed by a violation of this section may sue the landlord for actual damages and "
        "attorney fees.\nA:")
    assert "{{" not in user
    # the folder itself is a source too (its test.tsv), as a classification set; captions are pseudonymised
    labelled = _read(domain, folder, kind="classification")
    assert [r["label"] for r in labelled] == ["Yes", "No", "Yes", "No"]
    assert "Miller v. Kowalski" not in labelled[0]["text"] and " v. " in labelled[0]["text"]
    # another task: two slots, another column order
    qa = _read(domain, FIX / "legalbench" / "clause_qa" / "test.tsv", kind="chat",
               columns={"prompt": "zero_shot_prompt"})
    assert qa[2]["messages"][1]["content"].endswith(
        "Question: Does the clause cap liability?\nClause: Liability shall not exceed the fees paid in the prior "
        "year.\nAnswer:")


def test_legalbench_prompt_slots_must_exist(domain, tmp_path: Path) -> None:
    (tmp_path / "base_prompt.txt").write_text("Q: {{question}}\nClause: {{text}}\nA:")
    (tmp_path / "test.tsv").write_text("index\tanswer\ttext\n0\tYes\tSome clause.\n")
    with pytest.raises(HarnessError, match=r"slot\(s\) \{\{question\}\} that the TSV lacks"):
        _read(domain, tmp_path / "test.tsv", kind="chat")


def test_legalbench_folder_becomes_an_lm_eval_task(domain, tmp_path: Path) -> None:
    from lm_eval.tasks import TaskManager

    writer = domain.hooks._sibling("legalbench")
    folder = FIX / "legalbench" / "private_action"
    few_shot = writer.write_task(folder, tmp_path)  # test.tsv: no row is a prompt example
    assert few_shot.name == "legalbench_private_action.yaml"
    task = TaskManager(include_path=str(tmp_path), include_defaults=False).load(
        ["legalbench_private_action"])["tasks"]["legalbench_private_action"]
    docs = list(task.test_docs())
    assert len(docs) == 4 and task.doc_to_choice(docs[0]) == ["No", "Yes"] and task.doc_to_target(docs[1]) == 0
    prompt = task.doc_to_text(docs[2])
    assert "Does the clause specify a private right of action?" in prompt and \
        "Clause: An employee who is retaliated against may file suit for reinstatement and back pay.\nA:" in prompt
    # train.tsv rows are base_prompt.txt's own examples: left out (or zero-shot keeps them all)
    train_only = tmp_path / "train_only"
    train_only.mkdir()
    for name in ("train.tsv", "base_prompt.txt"):
        (train_only / name).write_text((folder / name).read_text())
    writer.write_task(train_only, tmp_path / "fs")
    assert len((tmp_path / "fs" / "legalbench_train_only.jsonl").read_text().splitlines()) == 1
    writer.write_task(train_only, tmp_path / "zs", zero_shot=True)
    items = (tmp_path / "zs" / "legalbench_train_only.jsonl").read_text().splitlines()
    assert len(items) == 3 and "Amendments to pleadings" not in (tmp_path / "zs" / "legalbench_train_only.yaml"
                                                                 ).read_text()


def test_cuad_squad_v2_json_with_unanswerable_questions(domain) -> None:
    rows = _read(domain, FIX / "cuad_mini.json", kind="chat")
    assert len(rows) == 5
    answers = [r["messages"][-1]["content"] for r in rows]
    assert answers == ["the laws of the State of New York", "not stated", "ninety (90) days", "$2,000,000",
                       "not stated"]
    user = rows[0]["messages"][1]["content"]
    assert user.startswith("Contract: ") and "Governing Law" in user  # the suite's extraction prompt
    assert user.endswith("\nQuote the contract, or say 'not stated'.")
    raw = list(domain.hooks.read_file(FIX / "cuad_mini.json"))
    long = raw[3]  # a whole contract cut to a window that still holds the answer at its new offset
    assert long["context_cut"] and len(long["context"]) <= 1500
    assert long["context"][long["answer_start"]:long["answer_start"] + len(long["answer"])] == "$2,000,000"
    assert raw[1]["is_impossible"] and raw[1]["answer_start"] == -1


def test_contract_nli_json(domain) -> None:
    raw = list(domain.hooks.read_file(FIX / "contract_nli_mini.json"))
    assert [r["label"] for r in raw] == ["entailed", "entailed", "not mentioned", "contradicted"]
    assert raw[1]["premise"].startswith("2. The Receiving Party may share") and raw[1]["evidence_found"]
    assert not raw[2]["evidence_found"] and raw[2]["premise"].startswith("MUTUAL NDA.")
    chats = _read(domain, FIX / "contract_nli_mini.json", kind="chat")
    assert chats[3]["messages"][-1]["content"] == "contradicted"
    assert "Hypothesis: Receiving Party may use Confidential Information for any purpose." in \
        chats[3]["messages"][1]["content"]
    labelled = _read(domain, FIX / "contract_nli_mini.json", kind="classification")
    assert labelled[0]["label"] == "entailed" and "\nHypothesis: " in labelled[0]["text"]


def test_ledgar_rows(domain) -> None:
    rows = _read(domain, FIX / "ledgar_mini.jsonl", kind="classification")
    assert [r["label"] for r in rows] == ["Governing Laws", "Assignments", "Terminations"]
    lexglue = load_source(DatasetSpec(source="file", path=str(FIX / "ledgar_lexglue.csv"), kind="classification"),
                          FIX)
    assert [r["label"] for r in lexglue.records] == ["Governing Laws", "Confidentiality"]
    # as chats in the suite's clause-type format (the manifest's prompts)
    spec = DatasetSpec(source="file", path=str(FIX / "ledgar_mini.jsonl"), kind="chat", file_kind="classification")
    chats = load_converted(spec, FIX, "chat", reader=domain.hooks.read_file,
                           **spec.prompts(domain.manifest.prompts)).records
    assert chats[0]["messages"][1]["content"].startswith("Classify the type of this contract clause.\nClause: This")
    assert chats[0]["messages"][-1]["content"] == "Governing Laws"


def test_squad_v2_metric_follows_the_official_rules(domain) -> None:
    import evaluate

    metric = evaluate.load(str(domain.suite_root / "metrics" / "squad_v2"))
    out = metric.compute(predictions=["The 30 days.", "within 30 days written", "", "30 days", "Delaware"],
                         references=[["30 days"], ["30 days"], [], [], ["Delaware", "the State of Delaware"]])
    assert out["exact_scores"] == [1, 0, 1, 0, 1]
    assert out["f1_scores"][1] == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))  # 2 of 4 predicted tokens, all gold
    assert out["no_ans_total"] == 2 and out["has_ans_total"] == 3
    import importlib.util

    spec = importlib.util.spec_from_file_location("legal_suite_utils", domain.suite_root / "utils.py")
    assert spec is not None and spec.loader is not None
    suite_utils = importlib.util.module_from_spec(spec)  # the suite's own helper, loaded by path as lm-eval does
    spec.loader.exec_module(suite_utils)
    assert suite_utils.answer_text(" Not stated.") == "" and suite_utils.answer_text("$5,000") == "$5,000"
    # an unanswerable question has no has-answer score at all (not 0, not NaN): the official HasAns_ split
    assert suite_utils.process_extract({"answers": {"text": []}}, ["not stated"]) == {"f1": 1.0, "exact": 1.0}
    assert suite_utils.process_extract({"answers": {"text": ["30 days"]}}, ["not stated"]) == {
        "f1": 0.0, "exact": 0.0, "f1_has_answer": 0.0, "exact_has_answer": 0.0}
    within = suite_utils.process_extract({"answers": {"text": ["30 days"]}}, ["within 30 days written"])
    assert within["f1_has_answer"] == within["f1"] == out["f1_scores"][1] and within["exact_has_answer"] == 0.0


# -- the answerable-items metric through eval, compare, gate and dashboard ---------------------------------------
def _suite_utils(domain):
    import importlib.util

    spec = importlib.util.spec_from_file_location("legal_suite_utils", domain.suite_root / "utils.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _extract_docs(domain) -> list[dict]:
    lines = (domain.suite_root / "data" / "extract.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _write_extract_eval(store, domain, run_id: str, answer, undefined: str = "absent") -> None:
    """An eval of legal_extract as the runner stores one: each item scored by the suite's own process_extract on
    `answer(doc)`. `undefined`: how the has-answer metrics of unanswerable items arrive: absent (what lm-eval
    logs when process_results leaves the key out), or a None / NaN value (another writer's way to say it)."""
    utils = _suite_utils(domain)
    samples, values = [], {}
    for i, doc in enumerate(_extract_docs(domain)):
        prediction = answer(doc)
        scores: dict = utils.process_extract(doc, [prediction])
        if undefined != "absent":
            for metric in ("f1_has_answer", "exact_has_answer"):
                scores.setdefault(metric, None if undefined == "none" else float("nan"))
        for metric, value in scores.items():
            samples.append({"run_id": run_id, "model_id": run_id, "suite": "legal", "task": "legal_extract",
                            "doc_id": i, "doc_hash": doc["id"], "metric": metric, "value": value, "filter": "none",
                            "prediction": prediction, "prompt_hash": f"p{i}"})
            if value is not None and value == value:
                values.setdefault(metric, []).append(value)
    results = [{"run_id": run_id, "model_id": run_id, "suite": "legal", "task": "legal_extract", "metric": m,
                "filter": "none", "value": sum(v) / len(v), "n": len(v), "higher_is_better": True}
               for m, v in values.items()]
    store.add_model(run_id, f"/models/{run_id}")
    store.start_run("eval", run_id=run_id, model_id=run_id, config={"limit": None})
    store.add_eval(run_id, results, samples, model_id=run_id, tasks=[{
        "task": "legal_extract", "suite": "legal", "config_hash": "c", "config_json": {"task": "legal_extract"},
        "primary_metric": "f1", "primary_filter": "none", "higher_is_better": True, "n_docs": 90}])


def _not_stated(doc: dict) -> str:
    return "not stated"


def _extractor(doc: dict) -> str:
    return doc["answers"]["text"][0] if doc["answers"]["text"] else "not stated"


def _first_word(doc: dict) -> str:  # a baseline that extracts nothing useful (the base model's stray tokens)
    return doc["context"].split()[0]


@pytest.mark.parametrize("undefined", ["absent", "none", "nan"])
def test_not_stated_everywhere_cannot_pass_the_answerable_floor(domain, tmp_path: Path, undefined: str) -> None:
    """The demo's tuned model answers "not stated" to every question: the F1 rule passes on the unanswerable
    third, the f1_has_answer floor fails, on n = the answerable items (never the unanswerable ones as 0)."""
    from harness.gate.evaluate import run_gate
    from harness.gate.policy import FloorRule, load_policy
    from harness.store import Store

    answerable = sum(bool(d["answers"]["text"]) for d in _extract_docs(domain))
    assert 0 < answerable < len(_extract_docs(domain))
    store = Store(tmp_path / "s.duckdb")
    _write_extract_eval(store, domain, "eval-base", _first_word, undefined)
    _write_extract_eval(store, domain, "eval-abstain", _not_stated, undefined)
    _write_extract_eval(store, domain, "eval-extract", _extractor, undefined)
    policy = load_policy(domain.path(domain.manifest.gate_policy))
    floor = next(r for r in policy.rules if isinstance(r, FloorRule) and r.metric == "f1_has_answer")
    assert floor.task == "legal_extract" and floor.on == "ci"

    comparison, outcome = run_gate(store, policy, baseline="eval-base", candidate="eval-abstain", n_boot=400)
    by = {r.name: r for r in outcome.results}
    row = comparison.row("legal_extract", "f1_has_answer")
    assert row is not None and row.n == answerable and row.dropped_baseline == row.dropped_candidate == 0
    assert row.candidate == 0.0 and row.baseline is not None and row.baseline < 0.1
    assert comparison.row("legal_extract", "f1").n == len(_extract_docs(domain))
    assert by["min_improvement:legal_extract/f1"].outcome == "pass"  # the hole: 1/3 from the unanswerable items
    assert by[floor.name].outcome == "fail" and by[floor.name].data["n"] == answerable
    assert f"n={answerable}" in by[floor.name].detail

    comparison, outcome = run_gate(store, policy, baseline="eval-base", candidate="eval-extract", n_boot=400)
    assert comparison.row("legal_extract", "f1_has_answer").candidate == 1.0
    assert {r.name: r for r in outcome.results}[floor.name].outcome == "pass"

    import sys

    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:  # `dashboards` is a top-level folder, not an installed package
        sys.path.insert(0, str(root))
    from dashboards import queries as q

    db = str(tmp_path / "s.duckdb")
    tasks = q.sample_tasks(db, q.store_version(tmp_path / "s.duckdb"), "eval-abstain").set_index("metric")
    assert tasks.loc["f1_has_answer", "n"] == answerable and tasks.loc["f1_has_answer", "mean"] == 0.0
    assert tasks.loc["f1", "n"] == len(_extract_docs(domain))


def test_micro_eval_scores_has_answer_on_answerable_items_only(domain, micro_model: Path, tmp_path: Path) -> None:
    """A real lm-eval run of legal_extract (micro model, first 12 items): f1_has_answer's stored n and per-item
    rows are the answerable items among them, f1's are all 12; `gate --plan` counts the same from the suite."""
    from harness.evaluation.runner import run_eval, task_manager
    from harness.gate.plan import metric_items
    from harness.models.refs import resolve_model
    from harness.store import Store

    limit = 12
    docs = _extract_docs(domain)
    answerable = {i for i, d in enumerate(docs[:limit]) if d["answers"]["text"]}
    assert 0 < len(answerable) < limit
    store = Store(tmp_path / "s.duckdb")
    run = run_eval(store, resolve_model(str(micro_model)), ["legal_extract"], limit=limit).run_id
    n = {r["metric"]: r["n"] for r in store.query("SELECT metric, n FROM eval_results WHERE run_id = ?", [run])}
    assert n == {"f1": limit, "exact": limit, "f1_has_answer": len(answerable), "exact_has_answer": len(answerable)}
    rows = store.query("SELECT doc_id, value FROM eval_samples WHERE run_id = ? AND metric = 'f1_has_answer'", [run])
    assert sorted(r["doc_id"] for r in rows) == sorted(answerable) and all(r["value"] is not None for r in rows)
    counted = metric_items([("legal_extract", "f1_has_answer")], task_manager(["legal_extract"]))
    assert counted == {("legal_extract", "f1_has_answer"): sum(bool(d["answers"]["text"]) for d in docs)}


def test_prep_masks_dockets_and_bar_numbers_keeping_their_shape(domain) -> None:
    from harness.cleaning.pii import PiiMasker

    masker = PiiMasker(domain.manifest.cleaning.pii)
    text = ("Maria Okafor v. Northwind Logistics Inc., No. 2:19-cv-01234 (D. Del. 2021); see also Case No. "
            "2020-04512 and 21-CV-33451, CV-2019-012345. Counsel: David Chen (Bar No. 4821937), d.chen@firm.example, "
            "(212) 555-0143. Liability is capped at $250,000 under section 12-304.")
    masked, counts = masker.mask_text(text)
    for secret in ("Okafor", "2:19-cv-01234", "2020-04512", "21-CV-33451", "CV-2019-012345", "4821937",
                   "d.chen@firm.example", "555-0143", "David Chen"):
        assert secret not in masked, (secret, masked)
    import re

    assert re.search(r"No\. \d:\d\d-cv-\d{5} \(D\. Del\. 2021\)", masked)  # the docket keeps its court format
    assert re.search(r"\b\d\d-CV-\d{5}\b", masked) and "Northwind Logistics Inc." in masked
    assert "$250,000" in masked and "12-304" in masked and counts["ACCOUNT_ID"] >= 5
    assert masker.mask_text(text)[0] == masked  # pseudonyms are consistent


def test_caption_parties_are_pseudonymised_consistently(domain) -> None:
    parties = domain.hooks.parties()
    a = parties.text("In Miller v. Kowalski, the court held...")
    b = parties.text("Kowalski v. Miller (2d Cir.). State v. Miller. In re Garcia. Miller v. Acme Corp.")
    fake_miller, fake_kowalski = a.split(" v. ")[0][3:], a.split(" v. ")[1].split(",")[0]
    assert "Miller" not in a + b and "Kowalski" not in a + b and "Garcia" not in b
    assert b.startswith(f"{fake_kowalski} v. {fake_miller} (2d Cir.). State v. {fake_miller}.")
    assert b.endswith(f"{fake_miller} v. Acme Corp.")  # companies and the State keep their names
