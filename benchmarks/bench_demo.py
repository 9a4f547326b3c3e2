"""Wall-clock of `harness demo` on this machine: cold (empty cache: builds the embedded model, preps, trains,
evaluates) and, optionally, warm (everything cached: only lookups). Prints measured seconds per phase and the
demo's peak memory (max RSS of the `harness demo` process, from getrusage; targets: <= 10 min with install on an
AVX2-only 2-core machine, <= 4 GB RSS).

    .venv/bin/python benchmarks/bench_demo.py            # cold run in a fresh cache dir
    .venv/bin/python benchmarks/bench_demo.py --warm     # then a second run on the same cache
    python3 benchmarks/bench_demo.py --fresh-clone       # README's `make demo` in a new clone: empty pip cache,
                                                         # empty harness cache, install timed apart from the demo

`--fresh-clone` is the issue's "`make demo` on a fresh clone, fresh machine, no pip cache" row: it clones this
checkout's HEAD into a temporary folder and runs `make demo` there with an empty `PIP_CACHE_DIR` and
`HARNESS_CACHE_DIR` (so packages come from the registry and the embedded model is built), then prints the
install's seconds (from the venv's `.installed` stamp) beside the demo's phases.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_demo(cache: Path, db: Path, extra: list[str]) -> tuple[float, str, int, float]:
    env = {**os.environ, "HARNESS_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_EVALUATE_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "demo", "--db", str(db), *extra], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB on Linux; max over children
    return time.perf_counter() - t0, proc.stdout + proc.stderr, proc.returncode, peak_gib


def fresh_clone(root: Path) -> None:
    """`make demo` exactly as README's first command, in a new clone, with nothing cached."""
    repo = Path(__file__).resolve().parents[1]
    clone, pip_cache, cache = root / "clone", root / "pip-cache", root / "harness-cache"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    env = {**os.environ, "PIP_CACHE_DIR": str(pip_cache), "HARNESS_CACHE_DIR": str(cache)}
    env.pop("VIRTUAL_ENV", None)
    print(f"cpu: {_cpu()}, load before: {os.getloadavg()[0]:.2f}, clone: {clone}")
    t0, started = time.perf_counter(), time.time()
    proc = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    output = proc.stdout + proc.stderr
    (root / "make_demo.log").write_text(output)
    stamp = clone / ".venv" / "bin" / ".installed"  # the Makefile's install stamp
    install = stamp.stat().st_mtime - started if stamp.exists() else float("nan")
    timings = re.findall(r"timings \(s\): (.*)", output)
    print(f"make demo: exit {proc.returncode}, wall {wall:.0f} s ({wall / 60:.1f} min; target <= 10 min), "
          f"install {install:.0f} s, demo {wall - install:.0f} s, peak RSS {peak:.2f} GiB (target <= 4 GB)")
    print(f"demo phases: {timings[-1] if timings else 'n/a'}")
    if proc.returncode != 0:
        print(output[-3000:])
    print(f"load after: {os.getloadavg()[0]:.2f}; log: {root / 'make_demo.log'}")


def _cpu() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "?")
    return f"{name}, {os.cpu_count()} cores, avx512f={'avx512f' in info}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh-clone", action="store_true",
                        help="time README's `make demo` in a new clone with empty pip and harness caches")
    parser.add_argument("--warm", action="store_true", help="also time a second, fully cached run")
    parser.add_argument("--keep", type=Path, help="keep cache and store under this folder")
    parser.add_argument("extra", nargs="*", help="extra `harness demo` arguments")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    if args.fresh_clone:
        fresh_clone(root)
        return
    print(f"cpu cores: {os.cpu_count()}, load before: {os.getloadavg()[0]:.2f}, folder: {root}")
    runs = [("cold", root / "cache", root / "cold.duckdb")]
    if args.warm:
        runs.append(("warm", root / "cache", root / "warm.duckdb"))
    for name, cache, db in runs:
        seconds, output, code, peak = run_demo(cache, db, args.extra)
        timings = re.findall(r"timings \(s\): (.*)", output)
        print(f"{name}: exit {code}, wall {seconds:.0f} s ({seconds / 60:.1f} min), peak RSS {peak:.2f} GiB "
              f"(target <= 4 GB); phases: {timings[-1] if timings else 'n/a'}")
        if code != 0:
            print(output[-3000:])
        (root / f"{name}.log").write_text(output)
    print(f"load after: {os.getloadavg()[0]:.2f}; logs in {root}")


if __name__ == "__main__":
    main()
