"""Feedback loops on the micro model, for real: sweeps (Optuna), continual releases with gates, human labels in a
real browser, adversarial robustness (perturbed suites, paired gap, augmentation) and export with a model card.

One module-scoped store holds two releases (one passes its gates, one is blocked), so the labelling page, the
export and the robustness gap reuse those evaluations instead of running their own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains and evaluates the micro model

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LIMIT = 24
# CPT on support transcripts: the micro policy's significant rule is the domain perplexity drop CPT produces.
CPT = ["generator.n_transcripts=300", "cpt.max_steps=12", "cpt.eval_steps=4"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "store.duckdb"


@pytest.fixture(scope="module")
def release_data(micro_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two batches of new support transcripts (the domain generator's rows, split in halves)."""
    from harness.pipeline import PipelineOptions, plan_pipeline
    from harness.prep import prepare_domain

    domain, _ = plan_pipeline(PipelineOptions(domain="support_chat", stages=["cpt"], overrides=CPT))
    train, _ = prepare_domain(domain).paths("transcripts")
    rows = [line for line in Path(train).read_text().splitlines() if line.strip()]
    folder = tmp_path_factory.mktemp("release-data")
    first, second = folder / "batch1.jsonl", folder / "batch2.jsonl"
    first.write_text("\n".join(rows[: len(rows) // 2]) + "\n")
    second.write_text("\n".join(rows[len(rows) // 2:]) + "\n")
    return first, second


@pytest.fixture(scope="module")
def releases(db: Path, release_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """Release 1: CPT from the base on batch 1 of support transcripts (domain perplexity must drop
    significantly: the gate should pass). Release 2: from release 1 on text that is not support chat (random
    letters at a high learning rate; a tenth replayed from batch 1): domain perplexity rises, so the gate
    against release 1 must block it. Evaluated on the domain perplexity task and the reply task (whose replies
    the labelling page shows)."""
    import random

    from harness.loops.release import run_release

    folder = tmp_path_factory.mktemp("policy")
    policy = folder / "release.yaml"
    policy.write_text("name: release_micro\nalpha: 0.05\nn_boot: 1000\nrules:\n  - {kind: min_n, min_n: 20}\n"
                      "  - {kind: min_improvement, task: support_chat_ppl, metric: bits_per_byte, delta: 0.0,"
                      " significant: true}\n")
    rng = random.Random(0)
    noise = folder / "noise.jsonl"
    noise.write_text("".join(json.dumps({"text": " ".join("".join(rng.choices("qxzjkvwy", k=rng.randint(2, 9)))
                                                           for _ in range(60))}) + "\n" for _ in range(200)))
    common = dict(db=db, stage="cpt", base_model="default:micro", policy=policy, eval_limit=LIMIT,
                  allow_limit=True, device="cpu", suites=["support_chat_ppl", "support_chat_reply"])
    first = run_release("support_chat", release_data[0], overrides=CPT, **common)
    second = run_release("support_chat", noise, overrides=CPT + ["cpt.learning_rate=1e-2"], replay=0.1, **common)
    return first, second


def test_release_gates_block_a_bad_release(db: Path, releases) -> None:
    from harness.loops.release import last_release, release_history
    from harness.store import Store

    first, second = releases
    assert first.released and first.version == 1 and first.outcome == "PASS"
    assert set(first.gates) == {"base"}  # nothing released before: gated against the base only
    assert not second.released and second.version is None and second.outcome == "FAIL"
    assert set(second.gates) == {"last", "base"}
    store = Store(db, read_only=True)
    assert last_release(store, "support_chat")["release_id"] == first.release_id  # v1 stays current
    history = release_history(store, "support_chat")
    assert [(r["version"], r["released"], r["outcome"]) for r in history] == [(1, True, "PASS"),
                                                                                (None, False, "FAIL")]
    assert history[1]["parent_release"] == first.release_id
    # the blocked candidate's domain perplexity really is worse than release 1's (a real regression)
    bpb = {r["run_id"]: r["value"] for r in store.query(
        "SELECT run_id, value FROM eval_results WHERE task = 'support_chat_ppl' AND metric = 'bits_per_byte'")}
    assert bpb[second.eval_run_id] > bpb[first.eval_run_id]
    # replay: a tenth of release 2's rows come from release 1's data
    rows2 = Path(history[1]["data_path"]).read_text().splitlines()
    rows1 = set(Path(history[0]["data_path"]).read_text().splitlines())
    assert abs(sum(r in rows1 for r in rows2) / len(rows2) - 0.1) < 0.01


def test_export_writes_model_card_with_stored_results(db: Path, releases, tmp_path: Path) -> None:
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.export import export_model
    from harness.store import Store

    first, _ = releases
    out = tmp_path / "export"
    result = export_model(first.model_ref, out, db=db)
    assert result.gate_status == "PASS"
    card = ModelCard.load(out / "README.md")
    store = Store(db, read_only=True)
    stored = {(r["task"], r["metric"]): r for r in store.query(
        "SELECT e.task, e.metric, e.value, e.n, e.stderr FROM eval_results e JOIN eval_tasks t ON"
        " t.run_id = e.run_id AND t.task = e.task AND t.primary_metric = e.metric WHERE e.run_id = ?"
        " AND coalesce(e.filter, 'none') = coalesce(t.primary_filter, 'none')", [first.eval_run_id])}
    results = card.data.eval_results
    assert len(results) == len(stored) == 2  # the primary metric of each evaluated task
    for r in results:
        row = stored[(r.dataset_type, r.metric_type)]
        assert r.metric_value == pytest.approx(row["value"])
        assert r.metric_args["n"] == row["n"] == LIMIT
        low, high = r.metric_args["ci95"]
        assert low < r.metric_value < high or row["stderr"] == 0
    assert card.data.harness_gate["status"] == "PASS"
    assert {d["dataset"] for d in card.data.harness_data} >= {"transcripts"}
    model = AutoModelForCausalLM.from_pretrained(out)  # the exported folder loads as a plain HF model
    tok = AutoTokenizer.from_pretrained(out)
    assert model(**tok("hello", return_tensors="pt")).logits.shape[-1] == model.config.vocab_size


def _settled(page) -> None:
    """Streamlit finished its rerun (the running indicator is gone): no element of the previous pair is left."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=60_000)
    page.wait_for_timeout(300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing (scripts/ensure_browser.sh installs it)")
def test_labelling_page_in_browser_writes_labels_a_stage_trains_on(db: Path, releases, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from harness.dashboard import streamlit_command
    from harness.loops.labels import export_labels
    from harness.store import Store

    store = Store(db, read_only=True)
    before = {t: store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ("runs", "eval_results", "gates")}
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(streamlit_command(db, port, headless=True,
                                                  options=["--server.fileWatcherType", "none"]),
                                cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "HARNESS_DB": str(db)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        clicks = ["Reply 1 is better", "Reply 2 is better", "Reply 1 is better", "Tie"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                         args=["--headless=new", "--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{url}/labelling", wait_until="domcontentloaded")
                shown = []
                for i, label in enumerate(clicks):
                    page.get_by_text("Reply 2", exact=True).wait_for(timeout=60_000)
                    page.get_by_text(f"{i} of them labelled", exact=False).wait_for(timeout=60_000)
                    _settled(page)
                    codes = page.locator("[data-testid='stCode']")
                    shown.append([codes.nth(k).inner_text() for k in (1, 2)])
                    page.get_by_role("button", name=label).click()
                page.get_by_text(f"{len(clicks)} of them labelled", exact=False).wait_for(timeout=60_000)
                page.screenshot(path=str(tmp_path / "labelling.png"))
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    store = Store(db, read_only=True)
    rows = store.query("SELECT * FROM human_labels ORDER BY created_at")
    assert [r["choice"] == "tie" for r in rows] == [False, False, False, True]
    for row, (left, _right), label in zip(rows, shown, clicks, strict=True):
        # what the browser showed on the left is the reply of `left_model`, whichever model that was
        left_reply = row["reply_a"] if row["left_model"] == row["model_a"] else row["reply_b"]
        assert left.strip() == (left_reply.strip() or "(empty)")
        if label != "Tie":
            picked = left_reply if label == "Reply 1 is better" else (
                row["reply_b"] if row["left_model"] == row["model_a"] else row["reply_a"])
            assert (row["reply_a"] if row["choice"] == "a" else row["reply_b"]) == picked
    assert len({r["left_model"] for r in rows}) <= 2 and {r["model_a"] for r in rows} != {None}
    # every other table is untouched by the page
    assert {t: store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in before} == before
    out = tmp_path / "human_pairs.jsonl"
    assert export_labels(store, out) == (3, 1)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["chosen"] != r["rejected"] and "<|user|>" not in r["prompt"] for r in records)
    # a preference stage trains on the labels (2 real DPO steps on the micro model). The pairs are eval items
    # of support_chat_reply by construction, so the default decontamination drops every one of them: training
    # on them is an explicit choice (decontamination off for this run).
    from harness.pipeline import PipelineOptions, run_pipeline

    result = run_pipeline(PipelineOptions(domain="support_chat", base_model="default:micro", stages=["dpo"],
                                          sources=[f"pairs={out}"], overrides=["dpo.max_steps=2", "dpo.eval_steps=1",
                                                                               "dpo.per_device_batch_size=2",
                                                                               "cleaning.decontam.enabled=false"],
                                          evaluate=False, progress=False), db)
    train = Store(db, read_only=True).run(result.train_runs["dpo"])
    assert train["status"] == "completed" and json.loads(train["config_json"])["dataset"] == "pairs"


def test_sweep_grid_prunes_resumes_and_reuses_cache(db: Path, micro_model: Path, tmp_path: Path) -> None:
    import uuid

    import optuna
    import yaml

    from harness.loops.sweep import run_sweep, study_path
    from harness.store import Store

    name = f"micro-cpt-lr-{uuid.uuid4().hex[:8]}"  # studies live in the (maybe reused) cache: one per test run
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({
        "name": name, "sampler": "grid", "seed": 0,
        "objective": {"kind": "validation_loss"},
        "pruner": {"enabled": True, "n_startup_trials": 1},
        "params": {"learning_rate": {"values": [1e-7, 3e-3]}}}))
    kw = dict(db=db, base_model="default:micro", overrides=CPT, device="cpu")
    one = run_sweep("support_chat", "cpt", space, 1, **kw)
    assert [t.state for t in one.trials] == ["complete"]
    two = run_sweep("support_chat", "cpt", space, 2, **kw)  # continues: one new trial, not two
    assert len(two.trials) == 1 and len(two.all_rows) == 2
    by_lr = {json.loads(r["params_json"])["learning_rate"] if isinstance(r["params_json"], str)
             else r["params_json"]["learning_rate"]: r for r in two.all_rows}
    good, bad = by_lr[3e-3], by_lr[1e-7]
    assert good["state"] == "complete" and good["n"] > 0
    start = Store(db, read_only=True).query("SELECT loss FROM train_logs WHERE run_id = ? AND split = 'validation'"
                                            " AND step = 0", [good["train_run_id"]])[0]["loss"]
    assert good["objective"] < start - 0.5  # the objective is the trained stage's validation loss
    # the grid's order under seed 0 puts the hopeless trial second: pruned at its first validation point
    assert one.trials[0].params["learning_rate"] == 3e-3
    assert bad["state"] == "pruned" and bad["objective"] is None
    detail = json.loads(bad["detail_json"]) if isinstance(bad["detail_json"], str) else bad["detail_json"]
    assert detail["step"] == 4 and detail["validation_loss"] > good["objective"]
    pruned_run = Store(db, read_only=True).run(bad["train_run_id"])
    if not detail.get("reused_stage"):  # (a cache kept from an earlier session replays the stored curve)
        assert pruned_run["status"] == "failed" and "pruned by sweep at step 4" in pruned_run["error"]
        assert not Path(pruned_run["output_path"]).exists()  # nothing pruned looks like a finished stage
    study = optuna.load_study(study_name=name, storage=f"sqlite:///{study_path(name)}")
    assert len(study.trials) == 2
    assert run_sweep("support_chat", "cpt", space, 2, **kw).trials == []  # nothing left: re-running is a no-op
    # another sweep meeting the good configuration reuses its cached stage: same train run, no retraining
    space.write_text(yaml.safe_dump({"name": f"{name}-again", "sampler": "grid",
                                     "params": {"learning_rate": {"values": [3e-3]}}}))
    again = run_sweep("support_chat", "cpt", space, 1, **kw)
    assert again.trials[0].train_run_id == good["train_run_id"]
    assert again.trials[0].objective == pytest.approx(good["objective"])


def test_perturbed_suite_runs_in_lm_eval_and_gap_is_paired(db: Path, releases) -> None:
    from harness.models.refs import resolve_model
    from harness.robustness.gap import robustness_gap
    from harness.robustness.perturb import PerturbationSpec
    from harness.robustness.run import run_robustness
    from harness.store import Store

    first, _ = releases
    store = Store(db)
    spec = PerturbationSpec(kinds=["typos", "casing", "distractor", "shuffle_options"], seed=3)
    model = resolve_model(first.model_ref, store=store)
    result = run_robustness(store, model, "support_chat", spec, limit=LIMIT, device=_cpu(),
                            tasks=["support_chat_intent"])
    assert "support_chat_ppl" in result.suite.skipped  # perplexity is not a prompt to perturb
    intent = next(r for r in result.rows if r.task == "support_chat_intent" and r.metric == "acc")
    assert intent.n == LIMIT
    sql = "SELECT doc_id, value, prompt_hash, prediction FROM eval_samples WHERE run_id = ? AND metric = 'acc'"
    clean = {r["doc_id"]: r for r in store.query(sql + " AND task = 'support_chat_intent'", [result.clean_run])}
    pert = {r["doc_id"]: r for r in store.query(sql + " AND task LIKE 'support_chat_intent_adv_%'",
                                                [result.perturbed_run])}
    assert set(clean) == set(pert) and len(clean) == LIMIT
    assert sum(clean[d]["prompt_hash"] != pert[d]["prompt_hash"] for d in clean) == LIMIT  # every prompt changed
    diffs = [clean[d]["value"] - pert[d]["value"] for d in clean]
    assert intent.gap == pytest.approx(sum(diffs) / LIMIT)  # paired on doc id, clean minus perturbed
    # a real effect on the model: it picks another intent for some items once the prompt is perturbed
    assert sum(clean[d]["prediction"] != pert[d]["prediction"] for d in clean) >= 2
    assert intent.ci_low <= intent.gap <= intent.ci_high
    # the same spec gives the same suite (seeded): a second run reuses both stored evaluations
    again = run_robustness(store, model, "support_chat", spec, limit=LIMIT, device=_cpu(),
                           tasks=["support_chat_intent"])
    assert (again.clean_run, again.perturbed_run) == (result.clean_run, result.perturbed_run)
    assert robustness_gap(store, again.clean_run, again.perturbed_run)[0].gap == result.rows[0].gap


def _cpu():
    from harness.device import plan_device

    return plan_device("cpu")


def test_augmentation_perturbs_prompts_only() -> None:
    from harness.robustness.perturb import PerturbationSpec
    from harness.robustness.run import augment_records

    rows = [{"messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": f"please help me "
                          f"cancel order number {i} quickly today"}, {"role": "assistant", "content": "Sure."}]}
            for i in range(20)]
    out = augment_records(rows, PerturbationSpec(kinds=["typos", "paraphrase"], seed=1, rate=0.5), 0.5)
    extra = out[20:]
    assert out[:20] == rows and len(extra) == 10
    assert all(e["messages"][2] == rows[0]["messages"][2] and e["messages"][0] == rows[0]["messages"][0]
               for e in extra)
    originals = {r["messages"][1]["content"] for r in rows}
    assert sum(e["messages"][1]["content"] not in originals for e in extra) == 10
    assert out == augment_records(rows, PerturbationSpec(kinds=["typos", "paraphrase"], seed=1, rate=0.5), 0.5)
    # classification records: the text is perturbed, never the label; other records are refused
    texts = [{"text": f"please refund my order number {i} today", "label": "refund"} for i in range(10)]
    out = augment_records(texts, PerturbationSpec(kinds=["casing", "typos"], seed=2, rate=0.5), 1.0)
    assert out[:10] == texts and [e["label"] for e in out[10:]] == ["refund"] * 10
    assert sum(e["text"] not in {t["text"] for t in texts} for e in out[10:]) >= 6
    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="neither a chat, a prompt/completion nor a text/label record"):
        augment_records([{"label": "x"}], PerturbationSpec(kinds=["typos"]), 1.0)
