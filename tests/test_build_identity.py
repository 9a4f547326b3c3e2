"""The embedded model's identity beyond config/corpus/seed: build code hash, CPU class, pinned numerics."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.models.build_identity import NUMERICS, code_hash, cpu_class
from harness.models.embedded import embedded_model_dir, model_identity

MODULE = '''"""Docstring."""
PRESETS = {"a": 1}
LR = 2e-3


def build(x):
    """Say why."""
    return x * LR  # a comment
'''


def _hash(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return code_hash(str(path), skip_assignments=frozenset({"PRESETS"}))


def test_build_code_hash_follows_code_not_comments_docstrings_or_presets(tmp_path: Path) -> None:
    base = _hash(tmp_path, "a.py", MODULE)
    cosmetic = MODULE.replace("# a comment", "# another comment").replace('"""Say why."""', '"""Other words."""')
    assert _hash(tmp_path, "b.py", cosmetic.replace("return x * LR", "return (x\n            * LR)")) == base
    assert _hash(tmp_path, "c.py", MODULE.replace('{"a": 1}', '{"a": 2}')) == base  # presets: in the config hash
    assert _hash(tmp_path, "d.py", MODULE.replace("2e-3", "3e-3")) != base
    assert _hash(tmp_path, "e.py", MODULE.replace("x * LR", "LR * x")) != base


def test_model_identity_names_numerics_cpu_and_code_without_importing_torch() -> None:
    identity = model_identity()
    assert identity["numerics"] == NUMERICS and NUMERICS["intra_op_threads"] >= 1 and NUMERICS["device"] == "cpu"
    assert identity["cpu"] == cpu_class() and identity["cpu"]
    assert set(identity["libraries"]) >= {"torch", "transformers", "tokenizers", "accelerate"}
    assert len(identity["build_code"]) == 16
    if "torch" not in sys.modules:  # run alone, the lookup of a cached model's folder needs no torch
        embedded_model_dir("micro")
        assert "torch" not in sys.modules
