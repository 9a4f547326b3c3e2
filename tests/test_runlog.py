"""The terminal shows each distinct library warning once; advice that does not apply stays in the log."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from harness.runlog import quiet_run


def test_warnings_once_and_chat_template_advice_log_only(tmp_path: Path, capfd) -> None:
    log_file = tmp_path / "run.log"
    logger = logging.getLogger("lm_eval.evaluator")
    with quiet_run(log_file):
        for stage in ("cpt-29ab", "sft-b4c1"):
            logger.warning(f"pretrained=/cache/stages/support_chat-{stage}/model appears to be an instruct or chat "
                           "variant but chat\n        template is not applied. Recommend setting `apply_chat_template`")
            logger.warning(f"cannot read /cache/stages/support_chat-{stage}/trainer_state.json; using defaults")
        logger.warning("a different warning")
        logging.getLogger("lm_eval.api.group").warning(
            "Group 'general': metric 'acc,none' is missing in 1/5 tasks. Missing in: general_ppl")
        logging.getLogger("lm_eval.api.task").warning(
            "[Task: general_ppl] metric bits_per_byte is defined, but aggregation is not. using default aggregation")
        warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6. Use "
                      "`is_activation_checkpointing` instead.", FutureWarning, stacklevel=1)
        logging.getLogger("bitsandbytes.backends.cpu.ops").warning(
            "Failed to load CPU gemm_4bit_forward from kernels-community: No module named 'kernels'.")
    terminal = capfd.readouterr().err
    log = log_file.read_text()
    assert "chat template" not in terminal.replace("\n", " ")
    assert log.count("appears to be an instruct or chat variant") == 2
    assert terminal.count("cannot read") == 1  # the same warning for another stage's folder: once
    assert log.count("cannot read") == 2
    assert terminal.count("a different warning") == 1
    assert "is missing in" not in terminal and "aggregation is not" not in terminal  # lm-eval doing the right thing
    assert "is missing in" in log and "aggregation is not" in log
    assert "is_gradient_checkpointing" not in terminal and "kernels-community" not in terminal  # library internals
    assert "is_gradient_checkpointing" in log and "kernels-community" in log
