"""A training stage killed mid-way (SIGKILL, no cleanup) resumes from its last complete checkpoint on re-run
and ends where an uninterrupted run with the same seed ends; until then it never looks complete (issue 14).
Real SFT on the embedded micro model; the kill is a real `kill -9` of a real training process."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.recipes import read_manifest, sft
from harness.train_checkpoints import folder_for, latest_complete

pytestmark = pytest.mark.slow

STEPS, SAVE_EVERY, KILL_AT = 20, 5, 12  # killed at 60%: the last complete checkpoint is step 10
CONFIG = {"max_steps": STEPS, "save_steps": SAVE_EVERY, "learning_rate": 3e-3, "per_device_batch_size": 4,
          "logging_steps": 1, "max_length": 64, "seed": 7}

KILLER = """
import json, os, signal, sys
from pathlib import Path
from transformers import TrainerCallback
import harness.recipes.common as common
from harness.recipes import sft
from harness.device import plan_device

class KillAt(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == int(sys.argv[1]):
            os.kill(os.getpid(), signal.SIGKILL)  # no finally, no atexit: what a power cut or OOM killer does

stage_callbacks = common.stage_callbacks
common.stage_callbacks = lambda *a, **k: [*stage_callbacks(*a, **k), KillAt()]
model, train, val, out = sys.argv[3:7]
sft.run(sft.SFTRecipeConfig.model_validate(json.loads(sys.argv[2])), model_path=model, train_path=Path(train),
        validation_path=Path(val), output_dir=Path(out), device=plan_device("cpu"), progress=False)
"""


def _chats(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    intents = {"refund": ["money back please", "refund my order"], "shipping": ["where is my parcel", "late box"],
               "account": ["reset my password", "cannot log in"]}
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(n):
            intent = rng.choice(sorted(intents))
            fh.write(json.dumps({"messages": [{"role": "user", "content": rng.choice(intents[intent])},
                                              {"role": "assistant", "content": f"tagged {intent}"}]}) + "\n")
    return path


def _run(micro_model: Path, train: Path, val: Path, out: Path):
    from harness.device import plan_device

    return sft.run(sft.SFTRecipeConfig.model_validate(CONFIG), model_path=str(micro_model), train_path=train,
                   validation_path=val, output_dir=out, device=plan_device("cpu"), progress=False)


def test_killed_stage_resumes_to_the_same_result(micro_model: Path, tmp_path: Path):
    train, val = _chats(tmp_path / "train.jsonl", 120, 0), _chats(tmp_path / "val.jsonl", 16, 1)
    t0 = time.perf_counter()
    whole = _run(micro_model, train, val, tmp_path / "uninterrupted")
    whole_s = time.perf_counter() - t0

    out = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", KILLER, str(KILL_AT), json.dumps(CONFIG), str(micro_model),
                           str(train), str(val), str(out)], capture_output=True, text=True, timeout=900,
                          env={**os.environ})
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert read_manifest(out) is None  # killed: nothing that looks like a finished stage
    last = latest_complete(folder_for(out))
    assert last is not None and last.name == f"checkpoint-{SAVE_EVERY * (KILL_AT // SAVE_EVERY)}"

    t0 = time.perf_counter()
    resumed = _run(micro_model, train, val, out)
    resumed_s = time.perf_counter() - t0
    assert read_manifest(out) is not None and not folder_for(out).exists()  # complete; checkpoints removed
    assert resumed.global_steps == whole.global_steps == STEPS
    assert resumed.train_loss_last == pytest.approx(whole.train_loss_last, rel=0.01)
    assert resumed.eval_loss_last == pytest.approx(whole.eval_loss_last, rel=0.01)
    print(f"uninterrupted {whole_s:.1f} s, resumed {resumed_s:.1f} s ({resumed_s / whole_s:.0%}); "
          f"train loss {whole.train_loss_last:.4f} vs {resumed.train_loss_last:.4f}, "
          f"eval loss {whole.eval_loss_last:.4f} vs {resumed.eval_loss_last:.4f}")


CLI_KILLER = """
import os, signal, sys
from transformers import TrainerCallback
import harness.recipes.common as common
from harness import cli

class KillAt(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == int(sys.argv[1]):
            os.kill(os.getpid(), signal.SIGKILL)

stage_callbacks = common.stage_callbacks
common.stage_callbacks = lambda *a, **k: [*stage_callbacks(*a, **k), KillAt()]
cli.main(sys.argv[2:])
"""


def test_harness_train_killed_then_rerun_resumes_and_records_it(micro_model: Path, tmp_path: Path):
    """Through the CLI and the store: the killed run ends `abandoned`, the re-run resumes (its curve starts
    after the last checkpoint) and completes; the stage folder exists only after that."""
    from harness.store import Store

    domain = tmp_path / "domains" / "resumable"
    domain.mkdir(parents=True)
    (domain / "manifest.yaml").write_text(
        "name: resumable\nhooks: hooks.py\ndatasets:\n  chats: {kind: chat, source: file, path: chats.jsonl}\n"
        "stages:\n  sft: {method: sft, data: chats}\nsuites: []\nregression_suites: []\ngate_policy: null\n"
        "cleaning: {enabled: false}\n")
    (domain / "hooks.py").write_text("")
    _chats(domain / "chats.jsonl", 150, 3)
    db = tmp_path / "store.duckdb"
    args = ["train", "resumable", "--model", "default:micro", "--device", "cpu", "--db", str(db),
            *(f"--set=sft.{k}={v}" for k, v in CONFIG.items())]
    env = {**os.environ, "HARNESS_DOMAINS_DIR": str(tmp_path / "domains")}
    proc = subprocess.run([sys.executable, "-c", CLI_KILLER, str(KILL_AT), *args], capture_output=True, text=True,
                          timeout=900, env=env)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert not list(Path(os.environ["HARNESS_CACHE_DIR"]).glob("stages/resumable-sft-*/stage.json"))

    rerun = subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                           timeout=900, env=env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    store = Store(db, read_only=True)
    runs = store.query("SELECT run_id, status FROM runs WHERE kind = 'train' ORDER BY started_at")
    assert [r["status"] for r in runs] == ["abandoned", "completed"]
    first_step = store.query("SELECT min(step) AS s FROM train_logs WHERE run_id = ? AND split = 'train'",
                             [runs[1]["run_id"]])[0]["s"]
    assert first_step > SAVE_EVERY * (KILL_AT // SAVE_EVERY)  # resumed after checkpoint 10, not from step 1
    stage_dirs = list(Path(os.environ["HARNESS_CACHE_DIR"]).glob("stages/resumable-sft-*"))
    assert [p.suffix for p in stage_dirs] == [""] and (stage_dirs[0] / "stage.json").exists()
