"""`harness eval` with nothing changed answers from the store without torch/transformers/lm-eval
(harness/evaluation/reuse.py); a change to any part of the reuse key (model file, task YAML, prompt format, chat
template, suite data, limit, backend, device) still re-evaluates.

Two real evaluations of one task (general_arithmetic, 2 items, made a chat task in a copy of the general suite)
on copies of the micro model: A keeps harness_model.json (its model id is the build fingerprint, so editing its
chat template leaves the model id alone), B does not (its model id hashes its files). Each change is made on the
copies, checked against the quick path and (where lm-eval is involved) against the full path's own decision,
then undone; after the undo the quick path reuses again, so it was that change that mattered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.evaluation.reuse import QuickRequest, stored_eval

TASK = "general_arithmetic"
LIMIT = 2
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def edited(path: Path, old: str, new: str) -> Iterator[None]:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    try:
        yield
    finally:
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def setup(micro_model: Path, tmp_path_factory: pytest.TempPathFactory):
    from harness.evaluation.runner import run_eval
    from harness.models.refs import resolve_model
    from harness.store import Store

    tmp = tmp_path_factory.mktemp("reuse")
    suites = tmp / "suites"
    shutil.copytree(ROOT / "suites", suites, ignore=shutil.ignore_patterns("__pycache__"))
    yaml_file = suites / "general" / f"{TASK}.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("prompt_format: plain", "prompt_format: chat"))
    model_a, model_b = tmp / "model_a", tmp / "model_b"
    shutil.copytree(micro_model, model_a)
    shutil.copytree(micro_model, model_b)
    (model_b / "harness_model.json").unlink()
    previous = os.environ.get("HARNESS_SUITES_DIR")
    os.environ["HARNESS_SUITES_DIR"] = str(suites)
    db = tmp / "store.duckdb"
    store = Store(db)
    runs = {}
    for name, folder in (("a", model_a), ("b", model_b)):
        ref = resolve_model(str(folder), store=store)
        runs[name] = run_eval(store, ref, [TASK], limit=LIMIT).run_id
    yield {"db": db, "suites": suites, "yaml": yaml_file, "a": model_a, "b": model_b, "runs": runs, "store": store}
    if previous is None:
        os.environ.pop("HARNESS_SUITES_DIR", None)
    else:
        os.environ["HARNESS_SUITES_DIR"] = previous


def quick(setup, model: str = "a", **changes):
    request = QuickRequest(model=str(setup[model]), suites=[TASK], limit=LIMIT, device="cpu")
    return stored_eval(setup["db"], QuickRequest(**{**request.__dict__, **changes}))


def full_decision(setup, model: str = "a") -> str | None:
    """What run_eval's own reuse check (lm-eval task configs, transformers' chat template) decides now."""
    from harness.evaluation.prompt_format import chat_template_of
    from harness.evaluation.runner import FEWSHOT_SEED, find_reusable_eval, task_manager
    from harness.evaluation.tasks import task_identities
    from harness.models.refs import resolve_model

    chat_template_of.cache_clear()
    ref = resolve_model(str(setup[model]), store=setup["store"])
    identities = task_identities([TASK], task_manager(), fewshot_seed=FEWSHOT_SEED,
                                 chat_template=chat_template_of(ref.path))
    return find_reusable_eval(setup["store"], ref.model_id, identities, LIMIT, "float32", {"name": "hf"})


def test_nothing_changed_reuses_without_heavy_imports(setup):
    for model in ("a", "b"):
        summary = quick(setup, model)
        assert summary is not None and summary.reused and summary.run_id == setup["runs"][model]
        assert {r["task"] for r in summary.rows} == {TASK} and all(r["n"] == LIMIT for r in summary.rows)
        assert full_decision(setup, model) == setup["runs"][model]  # the full path agrees
    # the CLI in a fresh interpreter: the stored table, and none of the heavy libraries imported
    code = ("import sys\nfrom harness.cli import app\ntry:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\nheavy = [m for m in ('torch', 'transformers', 'lm_eval', 'datasets')"
            " if m in sys.modules]\nassert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code, "eval", "--model", str(setup["a"]), "--suite", TASK,
                           "--limit", str(LIMIT), "--device", "cpu", "--db", str(setup["db"])],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{setup['runs']['a']} (reused)" in proc.stdout and TASK in proc.stdout


def test_cached_identity_is_the_full_identity(setup):
    """What reuse.py recomputes from its cache equals what lm-eval + transformers give, hash for hash."""
    from harness.evaluation.prompt_format import chat_template_of
    from harness.evaluation.reuse import known_template, suites_key, wanted_hashes
    from harness.evaluation.runner import FEWSHOT_SEED, data_hashes, task_manager
    from harness.evaluation.tasks import task_identities

    chat_template_of.cache_clear()
    template = chat_template_of(str(setup["a"]))
    assert template and known_template(str(setup["a"]), False) == (True, template)
    identities = task_identities([TASK], task_manager(), fewshot_seed=FEWSHOT_SEED, chat_template=template)
    assert identities[TASK]["config_json"]["prompt_format"].startswith("chat:")
    want = {t: (i["config_hash"], i["code_hash"]) for t, i in identities.items()}
    assert wanted_hashes(suites_key([TASK], FEWSHOT_SEED), template) == (want, data_hashes(identities))


def test_task_yaml_and_prompt_format_changes_re_evaluate(setup):
    for old, new in (("doc_to_text: context", "doc_to_text: \"{{context}} \""),
                     ("target_delimiter: \" \"", "target_delimiter: \"\""),
                     ("prompt_format: chat", "prompt_format: plain")):
        with edited(setup["yaml"], old, new):
            assert quick(setup) is None, new
            if old.startswith("doc_to_text"):  # the full path's own check, once (each costs a task load)
                assert full_decision(setup) is None, new
    assert quick(setup) is not None  # undone: reused again


def test_new_yaml_elsewhere_in_the_suites_re_checks(setup):
    """An added task file can change what a name resolves to: the quick path steps aside (the full path still
    reuses, since the task itself is unchanged)."""
    extra = setup["suites"] / "other" / "zz_extra.yaml"
    extra.parent.mkdir()
    extra.write_text(setup["yaml"].read_text().replace(f"task: {TASK}", "task: zz_extra"))
    try:
        assert quick(setup) is None
        assert full_decision(setup) == setup["runs"]["a"]
    finally:
        shutil.rmtree(extra.parent)
    assert quick(setup) is not None


def test_chat_template_change_re_evaluates(setup):
    config = setup["a"] / "tokenizer_config.json"
    template_file = setup["a"] / "chat_template.jinja"
    target = template_file if template_file.exists() else config
    text = target.read_text(encoding="utf-8")
    anchor = "<|assistant|>" if "<|assistant|>" in text else "assistant"
    with edited(target, anchor, anchor.replace("assistant", "agent")):
        from harness.models.refs import resolve_model

        assert resolve_model(str(setup["a"])).model_id.endswith(json.loads(
            (setup["a"] / "harness_model.json").read_text())["fingerprint"])  # the model id did not change
        assert quick(setup) is None
        assert full_decision(setup) is None
    assert quick(setup) is not None


def test_suite_data_change_re_evaluates(setup):
    data = setup["suites"] / "general" / "data" / "arithmetic.jsonl"
    first = data.read_text(encoding="utf-8").splitlines()[0]
    with edited(data, first, first + "\n" + first):  # one more item
        assert quick(setup) is None
        assert full_decision(setup) is None
    assert quick(setup) is not None


def test_model_file_change_re_evaluates(setup):
    from safetensors.torch import load_file, save_file

    weights = setup["b"] / "model.safetensors"
    original = weights.read_bytes()
    tensors = load_file(weights)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 1e-3
    save_file(tensors, weights, metadata={"format": "pt"})
    try:
        assert quick(setup, "b") is None
        assert full_decision(setup, "b") is None
    finally:
        weights.write_bytes(original)
    assert quick(setup, "b") is not None


@pytest.mark.parametrize("change", [{"limit": 3}, {"limit": None}, {"backend": "vllm"}, {"tensor_parallel": 2},
                                    {"launcher": "accelerate"}, {"device": "cuda"}])
def test_other_settings_are_not_reused(setup, change):
    assert quick(setup, **change) is None


def test_backend_in_the_stored_key(setup):
    """A stored hf run is not what another engine's request would get (the full path checks the same way)."""
    from harness.evaluation.prompt_format import chat_template_of
    from harness.evaluation.reuse import suites_key, wanted_hashes
    from harness.evaluation.runner import FEWSHOT_SEED, find_reusable_run
    from harness.models.refs import resolve_model

    want, data = wanted_hashes(suites_key([TASK], FEWSHOT_SEED), chat_template_of(str(setup["a"])))
    model_id = resolve_model(str(setup["a"])).model_id
    args = (setup["store"], model_id, want, LIMIT, "float32")
    assert find_reusable_run(*args, {"name": "hf"}, data) == setup["runs"]["a"]
    assert find_reusable_run(*args, {"name": "vllm", "tensor_parallel": 1}, data) is None
    assert find_reusable_run(*args, {"name": "hf", "data_parallel": 2}, data) is None
    assert find_reusable_run(setup["store"], model_id, want, LIMIT, "bfloat16", {"name": "hf"}, data) is None
