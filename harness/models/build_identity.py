"""What, besides config, corpus and seed, decides a built model's weights: the build's numerics and its code.

Why (issue 13): two builds of the embedded `default` preset with one fingerprint had different weights (max |Δw|
0.097). Both were the same code and libraries; one process ran torch with 1 intra-op thread, the other with 2.
Float sums are split across threads, so the thread count changes the last bits of every step and, over 700 steps,
the model. A cached folder is only trustworthy if its name covers everything that changes its weights, so the
build pins its numerics (`NUMERICS`) and the fingerprint names them, the CPU class the kernels dispatch on and a
hash of the build code. None of this imports torch: resolving a cached model stays cheap.
"""

from __future__ import annotations

import ast
import hashlib
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any

# The embedded build always trains on the CPU in fp32 with this many torch intra-op threads, whatever the
# machine's core count, OMP_NUM_THREADS or CPU affinity say (a GPU build differs from a CPU one, and GPU kernels
# are not bit-reproducible). 2 = the threads of the build the documented `default` scores come from.
NUMERICS: dict[str, Any] = {"device": "cpu", "dtype": "float32", "intra_op_threads": 2}


@lru_cache(maxsize=1)
def cpu_class() -> str:
    """Vendor, architecture and widest vector ISA: BLAS and torch kernels dispatch on these, so they decide the
    last bits of every matrix product (the README's "scores differ slightly between CPU classes")."""
    vendor, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "vendor_id" and not vendor:
                vendor = value.strip()
            elif key.strip() in {"flags", "Features"} and not flags:
                flags = set(value.split())
    except OSError:
        pass
    isa = next((name for name in ("avx512f", "avx2", "avx", "asimd", "neon") if name in flags), "base")
    return "/".join(part for part in (vendor or platform.processor(), platform.machine(), isa) if part)


def _without_docstrings(tree: ast.Module, skip_assignments: frozenset[str]) -> ast.Module:
    body = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in skip_assignments
                                                for t in node.targets):
            continue
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id in skip_assignments:
            continue
        body.append(node)
    tree.body = body
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=8)
def code_hash(*files: str, skip_assignments: frozenset[str] = frozenset()) -> str:
    """Hash of the code (not comments, docstrings or formatting) of the modules that make a model's weights.

    Any real edit there names a new folder, so a cache hit never returns weights the current code would not
    produce; `skip_assignments` leaves out module-level names hashed elsewhere (the presets: each build's
    config is in its fingerprint already)."""
    h = hashlib.sha256()
    for file in files:
        tree = _without_docstrings(ast.parse(Path(file).read_text(encoding="utf-8")), skip_assignments)
        h.update(ast.dump(tree, annotate_fields=False, include_attributes=False).encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]
