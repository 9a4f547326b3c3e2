"""Training and evaluation under `accelerate launch` (harness/distributed): the shipped configs parse, a launch
this machine cannot do is refused before any run row, and (slow) 2-process DDP on gloo trains the micro model
into one stored run with one set of curves and the loss of one process at the same global batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.distributed.launch import load_launcher, parse_config
from harness.errors import HarnessError
from harness.paths import PROJECT_ROOT
from harness.store import Store

CONFIGS = PROJECT_ROOT / "examples" / "accelerate"


def test_shipped_configs_parse_with_accelerate():
    parsed = {p.stem: parse_config(p) for p in sorted(CONFIGS.glob("*.yaml"))}
    assert set(parsed) == {"cpu_ddp", "ddp", "fsdp", "deepspeed_zero2", "deepspeed_zero3"}
    assert parsed["ddp"]["distributed_type"] == "MULTI_GPU"
    assert parsed["cpu_ddp"]["distributed_type"] == "MULTI_CPU" and parsed["cpu_ddp"]["use_cpu"]
    fsdp = parsed["fsdp"]["fsdp_config"]
    assert parsed["fsdp"]["distributed_type"] == "FSDP"
    assert fsdp["fsdp_sharding_strategy"] == "FULL_SHARD"
    assert fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert fsdp["fsdp_state_dict_type"] == "FULL_STATE_DICT"
    for stage in (2, 3):
        ds = parsed[f"deepspeed_zero{stage}"]
        assert ds["distributed_type"] == "DEEPSPEED"
        file = Path(ds["deepspeed_config"]["deepspeed_config_file"])
        assert file.is_absolute() and file.exists()  # resolved against the yaml's folder
        assert json.loads(file.read_text())["zero_optimization"]["stage"] == stage


def test_fsdp_auto_wrap_finds_the_decoder_layer_of_the_embedded_model(micro_model):
    """With no class named, accelerate wraps the model's `_no_split_modules`: the embedded model must list its
    decoder layer there, or FSDP would wrap nothing and shard nothing."""
    from transformers import AutoConfig, AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(micro_model))
    layer_classes = {type(m).__name__ for m in model.modules()}
    assert model._no_split_modules and set(model._no_split_modules) <= layer_classes
    assert any(name.endswith("DecoderLayer") for name in model._no_split_modules)


def test_launches_this_machine_cannot_do_are_refused(tmp_path):
    import torch

    if torch.cuda.device_count() < 8:
        with pytest.raises(HarnessError, match="CUDA device"):
            load_launcher("accelerate", CONFIGS / "ddp.yaml")
    with pytest.raises(HarnessError, match="needs --config"):
        load_launcher("accelerate", None)
    with pytest.raises(HarnessError, match="only with --launcher accelerate"):
        load_launcher("none", CONFIGS / "ddp.yaml")
    if torch.cuda.device_count() < 2:  # accelerate's FSDP plugin needs an accelerator even with use_cpu
        cpu_fsdp = tmp_path / "fsdp_cpu.yaml"
        cpu_fsdp.write_text((CONFIGS / "fsdp.yaml").read_text().replace("num_processes: 8", "num_processes: 2")
                            .replace("use_cpu: false", "use_cpu: true"))
        with pytest.raises(HarnessError, match="FSDP"):
            load_launcher("accelerate", cpu_fsdp)
    bad = tmp_path / "bad.yaml"
    bad.write_text("distributed_type: NOT_A_TYPE\nnum_processes: 2\n")
    with pytest.raises(HarnessError, match="accelerate cannot read"):
        load_launcher("accelerate", bad)


def _train(db: Path, overrides: list[str], launcher: str = "none", config: Path | None = None):
    from harness.pipeline import PipelineOptions, run_pipeline

    opts = PipelineOptions(domain="support_chat", base_model="default:micro", stages=["sft"],
                           overrides=["generator.n_transcripts=60", "generator.n_sft=200", "generator.n_dpo=40",
                                      "sft.max_steps=6", "sft.logging_steps=1", "sft.eval_steps=6",
                                      "sft.max_eval_samples=16", "sft.eval_batch_size=1", "sft.max_length=128",
                                      *overrides],
                           evaluate=False, progress=False, launcher=launcher, accelerate_config=config, device="cpu")
    return run_pipeline(opts, db)


@pytest.mark.slow
def test_two_process_ddp_matches_one_process_at_the_same_global_batch(micro_model, tmp_path, monkeypatch):
    # a cache of its own (the built models linked in): stage outputs cached by an earlier session would be reused
    # and nothing would train
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(micro_model.parent, target_is_directory=True)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(cache))
    one = _train(tmp_path / "one.duckdb", ["sft.per_device_batch_size=8"])
    two = _train(tmp_path / "two.duckdb", ["sft.per_device_batch_size=4"], "accelerate", CONFIGS / "cpu_ddp.yaml")

    curves = {}
    for name, db, result in (("one", tmp_path / "one.duckdb", one), ("two", tmp_path / "two.duckdb", two)):
        store = Store(db, read_only=True)
        runs = store.query("SELECT run_id, status, config_json FROM runs WHERE kind = 'train'")
        assert len(runs) == 1 and runs[0]["status"] == "completed"
        assert "reused" not in json.loads(runs[0]["config_json"])  # it trained
        assert runs[0]["run_id"] == result.train_runs["sft"]
        rows = store.query("SELECT step, split, loss FROM train_logs WHERE run_id = ? AND split IN "
                           "('train', 'validation') ORDER BY split, step", [runs[0]["run_id"]])
        keys = [(r["split"], r["step"]) for r in rows]
        assert len(keys) == len(set(keys))  # one set of curves: no point logged twice
        curves[name] = {(r["split"], r["step"]): r["loss"] for r in rows}
        assert Path(result.models["sft"].path, "config.json").exists()
    launch = json.loads(Store(tmp_path / "two.duckdb", read_only=True).query(
        "SELECT config_json FROM runs WHERE kind = 'train'")[0]["config_json"])["launch"]
    assert launch["num_processes"] == 2 and launch["distributed_type"] == "MULTI_CPU"
    assert set(curves["one"]) == set(curves["two"]) == {("train", s) for s in range(1, 7)} | {
        ("validation", 0), ("validation", 6)}
    # Same global batch (8 = 1 x 8 = 2 x 4) over the same seeded order: each step sees the same 8 chats and
    # transformers averages the loss over all tokens of all processes. What differs is float32 summation order
    # and per-process padding, which moved losses by < 2e-7 relative (measured); 1e-3 relative catches any real
    # difference (a doubled batch, a process training on the other's data, a lost gradient sync all move it by
    # >1e-2). Validation runs at eval_batch_size 1 in both: the Trainer's eval loss is a mean of per-batch means,
    # so with larger batches it depends on how the chats are grouped into batches, which sharding changes.
    for key, loss in curves["one"].items():
        assert curves["two"][key] == pytest.approx(loss, rel=1e-3), key
    assert curves["one"][("train", 6)] < curves["one"][("train", 1)]  # it trained
