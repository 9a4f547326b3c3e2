"""What each process of `accelerate launch -m harness.distributed.worker <spec.json>` runs.

`kind: stage` runs one training method (its recipe builds a TRL/transformers Trainer, which picks the
distributed setup up from accelerate's environment); `kind: eval` runs lm-eval's `simple_evaluate` with the
`hf` model, which shards the documents over the processes (data parallel) and returns results on the main
process only. Only the main process writes: training curves to the store (under the run id the launching
process started), the stage folder, and `spec["result"]` (the stage output, or lm-eval's results dict), which
the launching process reads back and records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def run_stage(spec: dict[str, Any], is_main: bool) -> dict[str, Any] | None:
    from harness.device import DevicePlan
    from harness.methods import get_method
    from harness.store import Store

    method = get_method(spec["method"])
    cfg = method.config.model_validate(spec["config"])
    store = Store(spec["store"]) if is_main and spec.get("store") else None
    output = method.run(cfg, model_path=spec["model_path"], train_path=Path(spec["train_path"]),
                        validation_path=None if spec["validation_path"] is None else Path(spec["validation_path"]),
                        output_dir=Path(spec["output_dir"]), store=store, run_id=spec["run_id"] if store else None,
                        device=DevicePlan(**spec["device"]), trust_remote_code=spec["trust_remote_code"],
                        progress=bool(spec.get("progress")) and is_main,
                        **({"models": spec["models"]} if spec.get("models") else {}))
    return output.to_json() if is_main and output is not None else None


def run_eval(spec: dict[str, Any]) -> dict[str, Any] | None:
    from lm_eval import simple_evaluate
    from lm_eval.utils import handle_non_serializable

    from harness.evaluation.runner import task_manager

    args = spec["simple_evaluate"]
    results = simple_evaluate(task_manager=task_manager(args.get("tasks")), **args)
    if results is None:  # not the main process
        return None
    return json.loads(json.dumps(results, default=handle_non_serializable))


def main(argv: list[str]) -> int:
    from accelerate import PartialState

    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    state = PartialState()  # the launcher sets ACCELERATE_USE_CPU for CPU processes
    result = run_stage(spec, state.is_main_process) if spec["kind"] == "stage" else run_eval(spec)
    if state.is_main_process:
        if result is None:
            raise RuntimeError("the main process produced no result")
        tmp = Path(spec["result"] + ".tmp")
        tmp.write_text(json.dumps(result, default=str), encoding="utf-8")
        tmp.replace(spec["result"])  # present means complete
    state.wait_for_everyone()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
