"""Every `lm_eval` command in README runs as written: the documented form is parsed out of README, run for real
(plain lm-eval in a subprocess, on the embedded micro model, `--limit` small) and its numbers must equal what the
harness stores for the same evaluation within 0.001; the other documented commands share the form and pass
`--apply_chat_template` exactly when their tasks are chat tasks."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIMIT = 4


def readme_commands() -> list[list[str]]:
    """`lm_eval ...` lines of README's code blocks, split like a shell would (FOLDER left as $FOLDER)."""
    out, in_block = [], False
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and line.startswith("lm_eval "):
            out.append(shlex.split(line))
    return out


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_readme_lm_eval_commands_share_the_working_form() -> None:
    from harness.evaluation.tasks import suite_members

    commands = readme_commands()
    assert len(commands) >= 2
    for args in commands:
        assert args[:3] == ["lm_eval", "--model", "hf"] and _option(args, "--device") == "cpu"
        model_args = _option(args, "--model_args") or ""
        assert model_args.startswith("pretrained=$FOLDER") and "device=" not in model_args
        assert (REPO / str(_option(args, "--include_path"))).is_dir()
        tasks = suite_members().get(str(_option(args, "--tasks")), [str(_option(args, "--tasks"))])
        chat = [t for t in tasks if _declared(t) == "chat"]
        assert ("--apply_chat_template" in args) == bool(chat), args


def _declared(task: str) -> str:
    from harness.evaluation.prompt_format import declared_format
    from harness.evaluation.tasks import _definitions, _key, _read

    folder = _definitions(_key())[2][task]
    doc = next(_read(p) for p in folder.glob("*.yaml") if _read(p).get("task") == task)
    return declared_format(task, doc)


@pytest.mark.slow
def test_readme_lm_eval_reproduces_the_stored_values(micro_model: Path, tmp_path: Path) -> None:
    from harness.device import plan_device
    from harness.evaluation import run_eval
    from harness.models.refs import resolve_model
    from harness.store import Store

    args = next(a for a in readme_commands() if "--apply_chat_template" in a)
    model_args = _option(args, "--model_args").replace("$FOLDER", str(micro_model))  # type: ignore[union-attr]
    cmd = [sys.executable, "-m", "lm_eval", *[model_args if a == _option(args, "--model_args") else a
                                              for a in args[1:]], "--limit", str(LIMIT), "--output_path",
           str(tmp_path / "out")]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ}, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    plain = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())["results"]

    store = Store(tmp_path / "h.duckdb")
    summary = run_eval(store, resolve_model("default:micro", progress=False), [str(_option(args, "--tasks"))],
                       limit=LIMIT, batch_size=int(_option(args, "--batch_size") or 1), device=plan_device("cpu"))
    assert len(summary.rows) >= 8
    for row in summary.rows:
        expected = plain[row["task"]][f"{row['metric']},{row['filter']}"]
        assert row["value"] == pytest.approx(expected, abs=1e-3), (row["task"], row["metric"])
    formats = {r["task"]: json.loads(r["config_json"])["prompt_format"]
               for r in store.query("SELECT task, config_json FROM eval_tasks WHERE run_id = ?", [summary.run_id])}
    assert formats["support_chat_intent"].startswith("chat:") and formats["support_chat_ppl"] == "any"
    prompt = store.query("SELECT prompt FROM eval_samples WHERE run_id = ? AND task = 'support_chat_intent' LIMIT 1",
                         [summary.run_id])[0]["prompt"]
    assert prompt.startswith("<|system|>\n") and prompt.endswith("<|end|>\n<|assistant|>\n")
