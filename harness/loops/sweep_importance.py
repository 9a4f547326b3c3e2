"""Parameter importance of a stored sweep (optuna.importance), without torch/transformers: the dashboard uses it."""

from __future__ import annotations

import json
from typing import Any

import optuna


def importances(rows: list[dict[str, Any]]) -> dict[str, float]:
    """optuna.importance (fANOVA) over the stored complete trials; {} when fewer than two differ."""
    complete = [r for r in rows if r["state"] == "complete" and r["objective"] is not None]
    if len(complete) < 2 or len({r["objective"] for r in complete}) < 2:
        return {}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=complete[0]["direction"])
    for r in complete:
        detail = r["detail_json"] if isinstance(r["detail_json"], dict) else json.loads(r["detail_json"])
        params = r["params_json"] if isinstance(r["params_json"], dict) else json.loads(r["params_json"])
        dists = {k: optuna.distributions.json_to_distribution(v) for k, v in detail["distributions"].items()}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=r["objective"]))
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)  # seeded: the same rows, the same ranking
        return {k: float(v) for k, v in optuna.importance.get_param_importances(
            study, evaluator=evaluator, normalize=True).items()}
    except (RuntimeError, ValueError):  # a single varying value: nothing to attribute
        return {}
