"""The feedback loops on the embedded micro model, trained and scored for real: RLHF (GRPO, RLOO against a
reward model trained here), RLAIF (a judge's pairwise log-probabilities, both orders) and distillation (GKD from
an SFT'd teacher into a narrower student with the same tokenizer)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains micro models for real

INTENTS = {
    "refund": ["i want my money back", "please refund my order", "refund the charge", "return and refund"],
    "shipping": ["where is my parcel", "when will it ship", "track my delivery", "package is late"],
    "account": ["reset my password", "cannot log in", "change my email", "delete my account"],
}
GOOD = "thanks for reaching out, i am happy to help you with that today"
BAD = "no. figure it out yourself"


def _phrases(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(INTENTS[rng.choice(sorted(INTENTS))])} (ticket {rng.randint(100, 999)})" for _ in range(n)]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def feedback_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("feedback")
    _write(d / "pairs_train.jsonl", [{"prompt": p, "chosen": GOOD, "rejected": BAD} for p in _phrases(1, 200)])
    _write(d / "pairs_val.jsonl", [{"prompt": p, "chosen": GOOD, "rejected": BAD} for p in _phrases(2, 40)])
    _write(d / "prompts_train.jsonl", [{"prompt": p} for p in _phrases(3, 200)])
    _write(d / "prompts_val.jsonl", [{"prompt": p} for p in _phrases(4, 32)])
    chats = lambda seed, n: [{"messages": [{"role": "user", "content": p},  # noqa: E731
                                           {"role": "assistant", "content": GOOD}]} for p in _phrases(seed, n)]
    _write(d / "chats_train.jsonl", chats(5, 200))
    _write(d / "chats_val.jsonl", chats(6, 24))
    return d


@pytest.fixture(scope="module")
def reward_model(micro_model: Path, feedback_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reward model on the micro model that prefers the helpful reply (trained for real, ~30 steps)."""
    from harness.recipes import reward

    cfg = reward.RewardRecipeConfig(max_steps=30, learning_rate=1e-3, logging_steps=10)
    out = reward.run(cfg, model_path=str(micro_model), train_path=feedback_data / "pairs_train.jsonl",
                     validation_path=None, output_dir=tmp_path_factory.mktemp("rm") / "rm", progress=False)
    return out.model_path


def _train_logs(store, run_id: str, split: str) -> list[dict]:
    rows = store.query("SELECT step, metrics_json FROM train_logs WHERE run_id = ? AND split = ? ORDER BY step",
                       [run_id, split])
    return [{"step": r["step"], **(json.loads(r["metrics_json"]) if isinstance(r["metrics_json"], str)
                                   else r["metrics_json"] or {})} for r in rows]


# -- RLHF ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["grpo", "rloo"])
def test_online_rl_raises_the_held_out_reward_and_logs_reward_kl_length(
        method: str, micro_model: Path, feedback_data: Path, reward_model: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.methods import get_method
    from harness.store import Store

    store = Store(tmp_path / "rl.duckdb")
    run_id = store.start_run("train", domain="toy", stage=method, config={"method": method})
    spec = get_method(method)
    cfg = spec.config(max_steps=12, learning_rate=2e-3, per_device_batch_size=16, max_completion_length=8,
                      held_out_prompts=32)  # 4 prompts x 4 sampled replies per step
    out = spec.run(cfg, model_path=str(micro_model), train_path=feedback_data / "prompts_train.jsonl",
                   validation_path=feedback_data / "prompts_val.jsonl", output_dir=tmp_path / method,
                   models={"reward": str(reward_model)}, store=store, run_id=run_id, progress=False)
    store.finish_run(run_id, model_id=f"toy-{method}")
    check = json.loads(out.manifest_path.read_text())["resolved"]["held_out_reward"]
    # the same 32 held-out prompts, greedy replies of the parent vs the policy, one reward model. Seen (12 steps,
    # two reward-model seeds): GRPO -2.49 -> +2.49 and -1.87 -> +2.51, RLOO -2.49 -> -1.09; 32 of 32 prompts up
    # each time (Wilcoxon p 5e-10). The micro policy learns what this reward model likes, not helpfulness.
    assert check["n"] == 32 and check["after"] > check["before"]
    assert check["ci95"][0] > 0 and check["p_wilcoxon"] < 0.01 and check["p_ttest"] < 0.01
    train = _train_logs(store, run_id, "train")
    assert len(train) >= 12  # logging_steps 1
    assert all({"reward", "reward_std", "kl", "completions/mean_length"} <= set(r) for r in train)
    assert 0 < train[-1]["completions/mean_length"] <= 8 and train[-1]["kl"] >= 0
    assert train[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # the policy starts as its reference
    held = _train_logs(store, run_id, "held_out_reward")
    assert len(held) == 1 and held[0]["delta"] == pytest.approx(check["delta"]) and "per_prompt" not in held[0]
    if method == "grpo":  # the dashboard's training page draws the RL curves and states the held-out test
        _training_page_shows_rl(store.path, run_id, check, monkeypatch)
        _held_out_reward_is_a_stored_eval(store, micro_model, out.model_path, check, tmp_path)


def _held_out_reward_is_a_stored_eval(store, micro_model: Path, policy: Path, check: dict, tmp_path: Path) -> None:
    """The check becomes one eval run per side (the methods' after_train hook), which compare and the gate pair
    item by item on the prompt keys like any task."""
    from harness.compare.report import compare_runs
    from harness.feedback.reward_eval import record_after_train
    from harness.gate.cli import run_gate_command
    from harness.methods import get_method
    from harness.models.refs import resolve_model

    assert get_method("grpo").after_train is record_after_train and get_method("rloo").after_train is not None
    parent, trained = resolve_model(str(micro_model), progress=False), resolve_model(str(policy), progress=False)
    runs = record_after_train(store, trained, parent, domain="toy", stage="grpo", parent_stage="base")
    assert runs is not None and record_after_train(store, trained, parent, domain="toy", stage="grpo") == runs
    rows = {r["run_id"]: r for r in store.query(
        "SELECT run_id, task, metric, value, n, stderr, higher_is_better FROM eval_results WHERE run_id IN (?, ?)",
        [runs["parent"], runs["policy"]])}
    assert rows[runs["parent"]]["value"] == pytest.approx(check["before"])
    assert rows[runs["policy"]]["value"] == pytest.approx(check["after"])
    assert all(r["n"] == 32 and r["stderr"] > 0 and r["higher_is_better"] and r["metric"] == "reward"
               and r["task"] == "toy_held_out_reward" for r in rows.values())
    tasks = store.query("SELECT DISTINCT config_hash, primary_metric FROM eval_tasks WHERE run_id IN (?, ?)",
                        [runs["parent"], runs["policy"]])
    assert len(tasks) == 1 and tasks[0]["primary_metric"] == "reward"  # one identity: the two sides pair
    # by model id, as `harness compare <parent> <policy>` resolves them: paired on the 32 prompt keys
    comp = compare_runs(store, parent.model_id, trained.model_id)
    row = next(m for m in comp.to_dict()["rows"] if m["task"] == "toy_held_out_reward")
    assert row["n"] == 32 and row["delta"] == pytest.approx(check["delta"]) and row["ci_low"] > 0
    assert row["p_value"] < 0.01 and row["verdict"] == "improved"
    policy_file = tmp_path / "rlhf_gate.yaml"
    policy_file.write_text("name: rlhf\nalpha: 0.05\nregression_suites: []\nrules:\n  - kind: min_improvement\n"
                           "    task: toy_held_out_reward\n    metric: reward\n    delta: 0.0\n"
                           "    significant: true\n")
    code = run_gate_command(policy=policy_file, candidate=runs["policy"], baseline=runs["parent"],
                            eval_missing=False, suites=None, junit=None, summary=None, device="cpu", db=store.path)
    assert code == 0  # PASS; the reverse direction must fail the same rule
    assert run_gate_command(policy=policy_file, candidate=runs["parent"], baseline=runs["policy"],
                            eval_missing=False, suites=None, junit=None, summary=None, device="cpu",
                            db=store.path) != 0


def _training_page_shows_rl(db: Path, run_id: str, check: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    monkeypatch.setenv("HARNESS_DB", str(db))
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(str(app), default_timeout=180).run()
    at.switch_page("views/training.py").run()
    assert not at.exception, [e.value for e in at.exception]
    info = " ".join(str(e.value) for e in at.info)
    assert f"n={check['n']} validation prompts" in info and f"Δ {check['delta']:+.3f}" in info


def test_online_rl_needs_a_reward_model_and_matching_batch(micro_model: Path, feedback_data: Path,
                                                           tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.recipes import grpo

    with pytest.raises(HarnessError, match="needs a reward model"):
        grpo.run(grpo.GRPORecipeConfig(max_steps=1), model_path=str(micro_model),
                 train_path=feedback_data / "prompts_train.jsonl", validation_path=None,
                 output_dir=tmp_path / "g", progress=False)
    with pytest.raises(HarnessError, match="multiple of num_generations"):
        from harness.feedback.online import trl_arguments

        trl_arguments(grpo.GRPORecipeConfig(per_device_batch_size=6, num_generations=4))


def test_stage_models_by_role_are_planned_and_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       feedback_data: Path) -> None:
    import yaml

    from harness.errors import HarnessError
    from harness.models.refs import ModelRef
    from harness.pipeline import PipelineOptions, plan_pipeline, resolve_stage_models
    from harness.scaffold import new_domain

    root = tmp_path / "domains"
    monkeypatch.setenv("HARNESS_DOMAINS_DIR", str(root))
    folder = new_domain("acme", root)
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    manifest["datasets"]["prompts"] = {"kind": "prompt_only", "source": "file",
                                       "path": str(feedback_data / "prompts_train.jsonl")}
    manifest["stages"] = {"rm": {"method": "reward", "data": "pairs", "parent": "base"},
                          "rl": {"method": "grpo", "data": "prompts", "parent": "base", "models": {"reward": "rm"}}}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    from harness.methods import get_method, load_method_config

    for name in ("grpo", "rloo", "gkd"):  # default YAMLs beside the recipes validate
        method = get_method(name)
        assert method.default_config.name == f"{name}.yaml" and load_method_config(method, None).max_steps > 0
    domain, plans = plan_pipeline(PipelineOptions(domain="acme"))
    rl = next(p for p in plans if p.stage == "rl")
    assert rl.models == {"reward": "rm"} and rl.method.needs == ("policy", "reward")
    trained = {"rm": ModelRef("rm", "/models/rm", "acme-rm-abc", "stage")}
    assert resolve_stage_models(rl, domain, trained, db=None)["reward"].model_id == "acme-rm-abc"
    del manifest["stages"]["rl"]["models"]
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    with pytest.raises(HarnessError, match="needs a reward model"):
        plan_pipeline(PipelineOptions(domain="acme"))


# -- RLAIF ---------------------------------------------------------------------------------------------------------
def _judge_chats(seed: int, n: int) -> list[dict]:
    """Judging lessons: the helpful reply is A or B at random, the answer names its letter."""
    from harness.feedback.judge import TEMPLATE

    rng = random.Random(seed)
    out = []
    for prompt in _phrases(seed, n):
        good_first = rng.random() < 0.5
        a, b = (GOOD, BAD) if good_first else (BAD, GOOD)
        out.append({"messages": [{"role": "user", "content": TEMPLATE.format(prompt=prompt, a=a, b=b)},
                                 {"role": "assistant", "content": "A" if good_first else "B"}]})
    return out


def test_judge_labels_pairs_in_both_orders_and_agrees_with_labels(micro_model: Path, feedback_data: Path,
                                                                  tmp_path: Path) -> None:
    import subprocess
    import sys

    from harness.data.loaders import load_converted
    from harness.domains import DatasetSpec
    from harness.feedback.judge import label
    from harness.recipes import sft

    to_label = _write(tmp_path / "to_label.jsonl",
                      [{"prompt": p, "chosen": GOOD, "rejected": BAD} for p in _phrases(9, 40)])
    # the untrained micro model answers "A" whatever it reads: every verdict flips with the order -> all ties
    base = label(str(micro_model), to_label, tmp_path / "base.jsonl")
    assert base.n_pairs == 40 and base.position_bias > 0.2  # seen: +0.42
    assert base.ties == 40 and (tmp_path / "base.jsonl").read_text() == ""

    judge = sft.run(sft.SFTRecipeConfig(max_steps=40, learning_rate=3e-3, lora={"enabled": False}, max_length=128,
                                        logging_steps=10),
                    model_path=str(micro_model), train_path=_write(tmp_path / "judge.jsonl", _judge_chats(7, 200)),
                    validation_path=None, output_dir=tmp_path / "judge", progress=False)
    out = tmp_path / "judged.jsonl"
    db = tmp_path / "label.duckdb"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "label", "--judge", str(judge.model_path), "--data",
                           str(to_label), "--out", str(out), "--device", "cpu", "--db", str(db)],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "Cohen's kappa" in proc.stdout and "ties kept out" in proc.stdout
    report = json.loads((tmp_path / "judged.jsonl.report.json").read_text())
    # seen: 0 ties, kappa 1.00 on 40 pairs, position bias +0.003
    assert report["kappa"]["n"] >= 36 and report["kappa"]["kappa"] > 0.8 and report["kappa"]["ci95"][0] > 0.5
    assert abs(report["position_bias"]) < 0.1
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 40 - report["ties"]
    assert all(0.5 <= r["meta"]["confidence"] <= 1 and r["meta"]["label_agrees"] is not None for r in rows)
    _judge_run_is_stored(db, report, rows, str(judge.model_path))
    # a manifest dataset reads the judged file like any other preference file
    spec = DatasetSpec(kind="preference", source="file", path=str(out))
    loaded = load_converted(spec, tmp_path, "preference")
    assert len(loaded.records) == len(rows) and sum(r["chosen"] == GOOD for r in loaded.records) >= 36

    bad = subprocess.run([sys.executable, "-m", "harness.cli", "label", "--judge", "default:micro", "--data",
                          str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "x.jsonl"), "--db",
                          str(tmp_path / "bad.duckdb")],
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "not found" in bad.stderr
    assert not (tmp_path / "bad.duckdb").exists()  # bad input: no store, no run row


def _judge_run_is_stored(db: Path, report: dict, written: list[dict], judge_path: str) -> None:
    """The labelling run in the store: a completed `label` run (model = the judge's id), its summary with kappa
    and CI, and every pair's judgement (ties too) matching the dataset file."""
    from harness.models.refs import resolve_model
    from harness.store import Store

    store = Store(db, read_only=True)
    (run,) = store.query("SELECT run_id, status, model_id FROM runs WHERE kind = 'label'")
    assert run["status"] == "completed" and run["model_id"] == resolve_model(judge_path, progress=False).model_id
    (summary,) = store.query("SELECT * FROM judge_runs WHERE run_id = ?", [run["run_id"]])
    assert summary["judge_model_id"] == run["model_id"] and summary["n_pairs"] == 40
    assert summary["n_ties"] == report["ties"] and summary["n_written"] == len(written)
    assert summary["kappa"] == pytest.approx(report["kappa"]["kappa"]) and summary["kappa_n"] == report["kappa"]["n"]
    assert [summary["kappa_ci_low"], summary["kappa_ci_high"]] == pytest.approx(report["kappa"]["ci95"])
    pairs = store.query("SELECT * FROM judge_labels WHERE run_id = ? ORDER BY pair_index", [run["run_id"]])
    assert len(pairs) == 40 and sum(p["winner"] == "tie" for p in pairs) == report["ties"]
    kept = [p for p in pairs if p["winner"] != "tie"]
    assert [round(p["confidence"], 6) for p in kept] == [r["meta"]["confidence"] for r in written]
    assert all(p["p_x"] == pytest.approx((p["p_order_1"] + 1 - p["p_order_2"]) / 2) for p in pairs)
    assert sum(bool(p["label_agrees"]) for p in kept) == round(report["kappa"]["agreement"] * report["kappa"]["n"])


# -- distillation --------------------------------------------------------------------------------------------------
def test_gkd_distils_a_teacher_into_a_narrower_student(micro_model: Path, feedback_data: Path, tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.recipes import gkd, sft

    teacher = sft.run(sft.SFTRecipeConfig(max_steps=30, learning_rate=3e-3, lora={"enabled": False},
                                          logging_steps=10),
                      model_path=str(micro_model), train_path=feedback_data / "chats_train.jsonl",
                      validation_path=None, output_dir=tmp_path / "teacher", progress=False)
    cfg = gkd.GKDRecipeConfig(max_steps=30, learning_rate=3e-3, logging_steps=10,
                              student={"narrow_from": "micro", "width": 0.5})  # ~4 s to build on an idle CPU
    out = gkd.run(cfg, model_path=str(micro_model), train_path=feedback_data / "chats_train.jsonl",
                  validation_path=feedback_data / "chats_val.jsonl", output_dir=tmp_path / "gkd",
                  models={"teacher": str(teacher.model_path)}, progress=False)
    resolved = json.loads(out.manifest_path.read_text())["resolved"]
    assert resolved["student_params"] * 2 < resolved["teacher_params"] == teacher.n_params
    assert out.n_params == resolved["student_params"]
    # GKD's validation loss is the divergence (JSD, beta 0.5) to the teacher on 24 held-out chats. Seen: 0.62 -> 0.32
    # in 30 steps (a student pretrained for only 40 steps moved 0.63 -> 0.58: the narrow model needs its pretraining)
    assert out.eval_loss_last < 0.6 * out.eval_loss_first
    with pytest.raises(HarnessError, match="needs a teacher"):
        gkd.run(cfg, model_path=str(micro_model), train_path=feedback_data / "chats_train.jsonl",
                validation_path=None, output_dir=tmp_path / "g2", progress=False)
