"""Resuming a killed training stage. With `save_steps` / `save_minutes` set, the trainer writes checkpoints
(model, optimizer, scheduler, RNG states, trainer state) into `<stage folder>.checkpoints/`, named by the
stage's fingerprint like the stage folder itself: a re-run with the same config, data, parent model and
library versions resumes from the last complete checkpoint (transformers restores the optimizer, the schedule,
the RNG and skips the batches already seen), anything else starts a different folder. The checkpoints are
removed once the stage is saved; the stage folder is only renamed into place (and `stage.json` written) when
training finished, so a killed stage never looks complete.

A checkpoint is complete when its `trainer_state.json` exists: transformers writes it last."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_CHECKPOINT = re.compile(r"checkpoint-(\d+)")
_STATE = "trainer_state.json"


def folder_for(output_dir: Path) -> Path:
    """`<stage>.checkpoints` beside the stage's (possibly `.partial`) output folder."""
    name = output_dir.name.removesuffix(".partial")
    return output_dir.with_name(f"{name}.checkpoints")


def latest_complete(folder: Path) -> Path | None:
    """The highest-step checkpoint that was written to the end; incomplete ones (killed mid-write) are removed."""
    if not folder.is_dir():
        return None
    found = []
    for child in folder.iterdir():
        match = _CHECKPOINT.fullmatch(child.name)
        if match and child.is_dir():
            if (child / _STATE).is_file():
                found.append((int(match.group(1)), child))
            else:
                shutil.rmtree(child, ignore_errors=True)
    return max(found)[1] if found else None
