"""Build an embedded preset with a chosen torch thread count, stopped after a few optimizer steps, and print its
logged losses: the quick way to see that the thread count changes the weights (issue 13).

The run uses the preset's own config (its full-length LR schedule), so the step losses are directly comparable
with a full build's `loss_log` in its harness_model.json. The thread count goes through `NUMERICS`, i.e. into
the fingerprint as well, and the model lands in a throwaway cache folder (default: a new temporary one).

    .venv/bin/python scripts/probe_embedded_build.py --threads 1 --stop 35   # default: step 35 -> 5.596354316262638
    .venv/bin/python scripts/probe_embedded_build.py --threads 2 --stop 35   #                      -> 5.596355213838465
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as harness/cli.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads of the build")
    parser.add_argument("--stop", type=int, default=35, help="stop after this many optimizer steps")
    parser.add_argument("--cache", default=None, help="cache folder (default: a new temporary folder)")
    args = parser.parse_args()
    os.environ["HARNESS_CACHE_DIR"] = args.cache or tempfile.mkdtemp(prefix="probe-embedded-")

    from transformers import TrainerCallback

    import harness.recipes.callbacks as callbacks
    from harness.models.build_identity import NUMERICS
    from harness.models.embedded import build_embedded_model, read_model_meta

    class StopAt(TrainerCallback):  # takes the place of the progress bar (the build adds it when progress=True)
        def __init__(self, *_: object) -> None:
            pass

        def on_step_end(self, _args, state, control, **_kw):  # noqa: ANN001, ANN201
            if state.global_step >= args.stop:
                control.should_training_stop = True

    callbacks.RichProgressCallback = StopAt
    NUMERICS["intra_op_threads"] = args.threads
    started, cpu = time.perf_counter(), time.process_time()
    folder = build_embedded_model(args.preset, force=True, progress=True)
    meta = read_model_meta(folder)
    print(json.dumps({"preset": args.preset, "threads": meta["torch_threads"], "loss_log": meta["loss_log"],
                      "wall_s": round(time.perf_counter() - started, 1), "cpu_s": round(time.process_time() - cpu, 1),
                      "load": round(os.getloadavg()[0], 2), "folder": str(folder)}))


if __name__ == "__main__":
    main()
