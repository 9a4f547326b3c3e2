"""The method registry: every method declared next to its code, listed by `harness methods`, and a throwaway
method (one recipe file + its default YAML in a folder the registry is pointed at) trained in a domain pipeline
without touching any other file. Also: stages that share a method or a dataset, and stage/method mismatches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.methods import METHODS_PATH_ENV, discover, get_method

TOY_METHOD = '''\
"""A throwaway method for the registry test: causal-LM loss on text, on the CPT recipe's setup."""

from pydantic import Field

from harness.methods import Method
from harness.recipes import cpt
from harness.recipes.common import train_and_save


class ToyConfig(cpt.CPTConfig):
    """Toy config: CPT's fields plus one of its own."""

    note: str = Field("toy", description="a field only this method has")


METHOD = Method(name="toy_lm", config=ToyConfig, reads=("text",), produces="causal_lm",
                summary="throwaway test method")


def run(cfg, **kwargs):
    return train_and_save("toy_lm", cpt.setup, cfg, **kwargs)
'''
TOY_DEFAULTS = "max_steps: 2\nlogging_steps: 1\nmax_length: 32\nper_device_batch_size: 4\nnote: from-default-yaml\n"


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300, stdin=subprocess.DEVNULL)


def test_builtin_methods_declare_kinds_and_outputs() -> None:
    methods = discover()
    assert {"cpt", "sft", "dpo", "kto", "orpo", "simpo", "reward", "classifier"} <= set(methods)
    assert methods["cpt"].reads == ("text",) and methods["dpo"].reads == ("preference",)
    assert methods["kto"].reads == ("unpaired_preference", "preference")
    assert methods["classifier"].reads == ("classification",)
    assert "chat" in methods["sft"].reads
    lm = {"cpt", "sft", "dpo", "kto", "orpo", "simpo"}
    assert all(methods[m].produces == "causal_lm" and methods[m].evaluate is None for m in lm)
    assert methods["reward"].produces == "reward_model" and methods["classifier"].produces == "classifier"
    assert methods["reward"].evaluate is not None and methods["classifier"].evaluate is not None
    assert all(m.module is not None and m.module.__file__.endswith(f"{m.name}.py") for m in methods.values())
    new = {"kto", "orpo", "simpo", "reward", "classifier"}
    assert all(methods[m].default_config is not None and methods[m].default_config.name == f"{m}.yaml" for m in new)
    with pytest.raises(HarnessError, match="unknown method 'ppo'"):
        get_method("ppo")


@pytest.fixture()
def toy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "methods"
    folder.mkdir()
    (folder / "toy_lm.py").write_text(TOY_METHOD)
    (folder / "toy_lm.yaml").write_text(TOY_DEFAULTS)
    monkeypatch.setenv(METHODS_PATH_ENV, str(folder))
    return folder


@pytest.fixture()
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scaffolded domain in a temporary ./domains (the harness is not touched)."""
    from harness.scaffold import new_domain

    root = tmp_path / "domains"
    monkeypatch.setenv("HARNESS_DOMAINS_DIR", str(root))
    return new_domain("acme", root)


def _edit_manifest(folder: Path, **changes) -> None:
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    for key, value in changes.items():
        manifest[key] = {**manifest.get(key, {}), **value}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))


def test_methods_cli_lists_every_method_and_json(toy_dir: Path) -> None:
    env = {METHODS_PATH_ENV: str(toy_dir)}
    proc = run_cli(["methods", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    listed = {m["name"]: m for m in json.loads(proc.stdout)}
    assert {"cpt", "sft", "dpo", "toy_lm"} <= set(listed)
    assert listed["toy_lm"]["reads"] == ["text"] and listed["toy_lm"]["produces"] == "causal_lm"
    assert listed["toy_lm"]["default_config"].endswith("toy_lm.yaml")
    table = run_cli(["methods"], env)
    assert table.returncode == 0 and "toy_lm" in table.stdout and "preference" in table.stdout


def test_throwaway_method_runs_in_a_domain_pipeline(toy_dir: Path, acme: Path, micro_model: Path,
                                                    tmp_path: Path) -> None:
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.store import Store

    _edit_manifest(acme, stages={"toy": {"method": "toy_lm", "data": "notes", "parent": "base"}})
    db = tmp_path / "toy.duckdb"
    result = run_pipeline(PipelineOptions(domain="acme", base_model="default:micro", stages=["toy"],
                                          evaluate=False, progress=False), db)
    model = Path(result.models["toy"].path)
    assert (model / "config.json").exists() and result.models["toy"].model_id.startswith("acme-toy-")
    manifest = json.loads((model.parent / "harness_model.json").read_text())
    assert manifest["stage"] == "toy_lm" and manifest["config"]["note"] == "from-default-yaml"
    assert manifest["config"]["max_steps"] == 2
    run = Store(db, read_only=True).query("SELECT stage, status, config_json FROM runs WHERE kind = 'train'")[0]
    assert run["stage"] == "toy" and run["status"] == "completed"
    assert json.loads(run["config_json"])["method"] == "toy_lm"


def test_stages_share_methods_and_datasets(acme: Path) -> None:
    """Two SFT variants from one parent, and two preference methods on one set of pairs, in one domain."""
    from harness.pipeline import PipelineOptions, plan_pipeline

    _edit_manifest(acme, stages={"sft_short": {"method": "sft", "data": "chats", "parent": "cpt",
                                               "config": "recipes/sft.yaml"},
                                 "dpo_strong": {"method": "dpo", "data": "pairs", "parent": "sft"}})
    domain, plans = plan_pipeline(PipelineOptions(domain="acme", overrides=["sft_short.max_steps=3",
                                                                            "dpo_strong.beta=0.5"]))
    by = {p.stage: p for p in plans}
    assert [p.stage for p in plans] == ["cpt", "sft", "dpo", "sft_short", "dpo_strong"]
    assert (by["sft_short"].method.name, by["sft_short"].parent, by["sft_short"].config.max_steps) == ("sft", "cpt", 3)
    assert by["sft"].config.max_steps != 3  # overrides go to the named stage only
    assert (by["dpo_strong"].dataset, by["dpo_strong"].config.beta, by["dpo"].config.beta) == ("pairs", 0.5, 0.1)


def test_stage_method_mismatches_are_one_line_errors(acme: Path) -> None:
    from harness.pipeline import PipelineOptions, plan_pipeline

    _edit_manifest(acme, stages={"dpo": {"method": "dpo", "data": "chats"}})
    with pytest.raises(HarnessError, match="reads preference") as err:
        plan_pipeline(PipelineOptions(domain="acme"))
    assert "kind 'chat'" in str(err.value)
    _edit_manifest(acme, stages={"dpo": {"method": "ppo", "data": "pairs"}})
    with pytest.raises(HarnessError, match="unknown method 'ppo'"):
        plan_pipeline(PipelineOptions(domain="acme"))
    _edit_manifest(acme, stages={"dpo": {"method": "dpo", "data": "pairs", "parent": "later"}})
    with pytest.raises(HarnessError, match="parent 'later'"):
        plan_pipeline(PipelineOptions(domain="acme"))


SCORER_METHOD = '''\
"""A throwaway method whose output lm-eval does not score: it declares its own evaluation (mean token loss on
the stage dataset's validation texts), written to the same store tables."""

import json

from harness.evaluation.custom import record_eval
from harness.methods import Method
from harness.recipes import cpt
from harness.recipes.common import train_and_save


def evaluate(store, model, *, domain, stage, paths, limit, device):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model.path)
    lm = AutoModelForCausalLM.from_pretrained(model.path).eval()
    texts = [json.loads(line)["text"] for line in paths[1].read_text().splitlines()][: limit or None]
    items = []
    for i, text in enumerate(texts):
        ids = tokenizer(text, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            loss = lm(input_ids=ids, labels=ids).loss.item()
        items.append({"doc_id": i, "doc": text, "value": loss})
    return record_eval(store, model, suite=f"{domain.name}_scorer", task=f"{domain.name}_scorer_loss",
                       metric="loss", items=items, higher_is_better=False, domain=domain.name, stage=stage)


METHOD = Method(name="toy_scorer", config=cpt.CPTConfig, reads=("text",), produces="classifier",
                summary="throwaway scorer", evaluate=evaluate)


def run(cfg, **kwargs):
    return train_and_save("toy_scorer", cpt.setup, cfg, **kwargs)
'''


def test_an_output_lm_eval_cannot_score_gets_its_own_evaluation(acme: Path, micro_model: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.compare.report import compare_runs
    from harness.pipeline import PipelineOptions, run_pipeline
    from harness.store import Store

    folder = tmp_path / "scorer"
    folder.mkdir()
    (folder / "toy_scorer.py").write_text(SCORER_METHOD)
    (folder / "toy_scorer.yaml").write_text("max_steps: 3\nlogging_steps: 1\nmax_length: 32\n")
    monkeypatch.setenv(METHODS_PATH_ENV, str(folder))
    _edit_manifest(acme, stages={"score_a": {"method": "toy_scorer", "data": "notes", "parent": "base"},
                                 "score_b": {"method": "toy_scorer", "data": "notes", "parent": "score_a"}})
    db = tmp_path / "scorer.duckdb"
    result = run_pipeline(PipelineOptions(domain="acme", base_model="default:micro", stages=["score_a", "score_b"],
                                          eval_limit=4, progress=False), db)
    assert result.own_evals == {"score_a", "score_b"} and set(result.eval_runs) == {"base", "score_a", "score_b"}
    store = Store(db, read_only=True)
    row = store.query("SELECT task, metric, n, stderr FROM eval_results WHERE run_id = ?",
                      [result.eval_runs["score_b"]])[0]
    assert row["task"] == "acme_scorer_loss" and row["n"] > 0 and row["stderr"] is not None
    comp = compare_runs(store, result.eval_runs["score_a"], result.eval_runs["score_b"], regression_suites=())
    paired = next(r for r in comp.rows if r.task == "acme_scorer_loss")
    assert paired.n == row["n"] and paired.delta is not None  # compare works on it unchanged
