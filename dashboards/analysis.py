"""Plain functions behind the dashboard's judgements, kept free of Streamlit so they are unit-testable."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def _points(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, float]]:
    """(step, loss) sorted by step; rows without a finite loss are dropped, a repeated step keeps its last."""
    by_step: dict[int, float] = {}
    for row in rows:
        loss = row.get("loss")
        if loss is None or row.get("step") is None:
            continue
        loss = float(loss)
        if math.isfinite(loss):
            by_step[int(row["step"])] = loss
    return sorted(by_step.items())


def _smoothed_at(points: list[tuple[int, float]], step: int, width: int) -> float | None:
    """Mean of the last `width` train losses logged at or before `step` (single train logs are noisy); the
    first train log when none precedes `step` (validation runs at step 0, before any train log)."""
    window = [loss for s, loss in points if s <= step][-width:] or [loss for _, loss in points[:1]]
    return sum(window) / len(window) if window else None


def overfitting_report(train_rows: Iterable[Mapping[str, Any]], val_rows: Iterable[Mapping[str, Any]], *,
                       k: int = 3, smooth: int = 3, tol: float = 0.0) -> dict[str, Any]:
    """Where validation loss was lowest, and whether the run ended overfitting.

    The flag is raised when over the last `k` evaluations validation loss rose (last > first of the window
    by more than `tol`) while train loss fell over the same steps (smoothed over `smooth` logs, falling by
    more than `tol`). Train loss falling alone is normal; validation rising alone may be noise or a bad
    learning rate — both together is the overfitting signature, and the min-validation step is the
    checkpoint to prefer."""
    if k < 2:
        raise ValueError("k must be at least 2 (a rise needs two evaluations)")
    train = _points(train_rows)
    val = _points(val_rows)
    report: dict[str, Any] = {
        "n_train": len(train), "n_val": len(val), "min_val_step": None, "min_val_loss": None,
        "last_val_step": None, "last_val_loss": None, "window": None, "val_change": None,
        "train_change": None, "overfitting": False, "reason": "",
    }
    if not val:
        report["reason"] = "no validation loss logged"
        return report
    min_step, min_loss = min(val, key=lambda p: (p[1], p[0]))  # earliest step among equal minima
    report.update(min_val_step=min_step, min_val_loss=min_loss, last_val_step=val[-1][0], last_val_loss=val[-1][1])
    if len(val) < k:
        report["reason"] = f"only {len(val)} validation point(s); the check needs {k}"
        return report
    window = val[-k:]
    (start, val_start), (end, val_end) = window[0], window[-1]
    report["window"] = (start, end)
    report["val_change"] = val_end - val_start
    train_start, train_end = _smoothed_at(train, start, smooth), _smoothed_at(train, end, smooth)
    if train_start is None or train_end is None:
        report["reason"] = "no train loss logged over the last validation window"
        return report
    report["train_change"] = train_end - train_start
    val_rose = report["val_change"] > tol
    train_fell = report["train_change"] < -tol
    report["overfitting"] = bool(val_rose and train_fell)
    if report["overfitting"]:
        report["reason"] = (f"validation loss rose {report['val_change']:+.4f} over steps {start}–{end} while train "
                            f"loss changed {report['train_change']:+.4f}; best checkpoint at step {min_step}")
    elif val_rose:
        report["reason"] = f"validation loss rose over steps {start}–{end}, but train loss did not fall"
    else:
        report["reason"] = f"validation loss did not rise over the last {k} evaluations"
    return report


def normal_ci(value: float | None, stderr: float | None, z: float = Z95) -> tuple[float | None, float | None]:
    """value ± z·stderr, the interval lm-eval's stderr implies; (None, None) when either is unknown."""
    if value is None or stderr is None:
        return None, None
    value, stderr = float(value), float(stderr)
    if not (math.isfinite(value) and math.isfinite(stderr)):
        return None, None
    return value - z * stderr, value + z * stderr


# What a stage's logged loss is, by training method: its axis title and a caption. DPO's loss is not a language
# modelling loss, so it never shares an axis with one.
LOSS_KINDS: dict[str, tuple[str, str]] = {
    "lm": ("LM loss (nats per token)",
           "Language-modelling loss: mean cross-entropy per predicted token, in nats (ln 2 ≈ 0.69 nats = 1 bit); "
           "SFT counts the assistant tokens only. exp(loss) is the per-token perplexity."),
    "dpo": ("DPO loss (nats per preference pair)",
            "DPO loss: −log σ(β · (chosen − rejected log-ratio against the reference model)), mean per "
            "preference pair, in nats. It starts at ln 2 ≈ 0.693 (policy = reference) and falls as the model "
            "prefers the chosen replies; it is not a language-modelling loss and is not comparable with CPT/SFT."),
    "other": ("loss (as the trainer logged it)", "Loss as the method's trainer logged it; see the method's docs "
              "for its unit."),
}
LM_METHODS = {"cpt", "sft", "pretrain", "continual_pretraining", "lm"}
PREFERENCE_METHODS = {"dpo", "ipo", "simpo", "orpo", "kto"}


def loss_kind(method: str | None, stage: str | None = None) -> str:
    """'lm', 'dpo' (preference losses) or 'other', from the run's method (else its stage name)."""
    for name in (method, stage):
        key = (name or "").lower()
        if key in LM_METHODS:
            return "lm"
        if key in PREFERENCE_METHODS:
            return "dpo"
    return "other"


def training_status(report: Mapping[str, Any], k: int) -> tuple[str, str]:
    """(state, sentence) for one run's validation curve. States: 'none' (no validation loss), 'few' (fewer
    than k points: neutral, nothing can be said about overfitting), 'overfitting', 'undertrained' (the
    minimum is the last evaluation: the loss was still falling), 'ok'."""
    n_val = report.get("n_val", 0)
    at_end = (report.get("min_val_step") is not None and n_val >= 2
              and report["min_val_step"] == report.get("last_val_step"))
    tail = (" The minimum is at the last evaluation, so the model may be undertrained: more steps could still "
            "help.") if at_end else ""
    if not n_val:
        return "none", "No validation loss logged, so overfitting cannot be judged."
    if n_val < k:
        return "few", (f"Not enough validation points to judge overfitting: {n_val} logged, the check needs {k} "
                       "(evaluate more often, e.g. a smaller eval_steps)." + tail)
    if report.get("overfitting"):
        return "overfitting", f"Overfitting: {report['reason']}."
    if at_end:
        return "undertrained", (f"Undertrained? Validation loss was still falling at the last evaluation (step "
                                f"{report['min_val_step']}, {report['min_val_loss']:.4f}): more steps could help.")
    return "ok", (f"Minimum validation loss {report['min_val_loss']:.4f} at step {report['min_val_step']}; no "
                  f"overfitting signal ({report['reason']}).")


def headline(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Verdict counts over the primary metrics in the correction family: one count per task."""
    out = {"improved": 0, "regressed": 0, "no significant change": 0, "no data": 0}
    for r in rows:
        if r["primary"] and (r.get("in_family", True) or r["verdict"] == "no data") and r["verdict"] in out:
            out[r["verdict"]] += 1
    return out


def select_items(items: pd.DataFrame, higher_is_better: bool, show: str, sort: str) -> pd.DataFrame:
    """Side-by-side view: filter paired items by direction of change and sort them (plain pandas, unit-tested)."""
    items = items.copy()
    items["change"] = items["candidate"] - items["baseline"]
    items["improvement"] = items["change"] if higher_is_better else -items["change"]
    eps = 1e-12
    masks = {"all": items["change"].notna(), "worse": items["improvement"] < -eps,
             "better": items["improvement"] > eps, "changed": items["change"].abs() > eps,
             "unchanged": items["change"].abs() <= eps}
    items = items.loc[masks[show]]
    if sort == "change":
        items = items.reindex(items["change"].abs().sort_values(ascending=False, kind="stable").index)
    elif sort == "worst":
        items = items.sort_values("improvement", kind="stable")
    elif sort == "best":
        items = items.sort_values("improvement", ascending=False, kind="stable")
    return items.reset_index(drop=True)


def data_summary(dataset: str, rep: dict[str, Any]) -> dict[str, Any]:
    """One dataset's rows in and out. Replayed general-corpus rows are *added* after cleaning, so they are
    counted on their own and never make "dropped" negative."""
    steps = rep.get("steps") or []
    on_load = sum((rep.get("dropped_on_load") or {}).get("counts", {}).values())
    cleaned = sum(int(s.get("dropped", 0) or 0) for s in steps)
    return {"dataset": dataset, "kind": rep.get("kind", "—"), "rows loaded": rep.get("loaded"),
            "dropped on load": on_load, "dropped by cleaning": cleaned,
            "replay rows added": rep.get("replayed_general", 0) or 0, "train": rep.get("train"),
            "validation": rep.get("validation")}


def default_pair(evals: pd.DataFrame) -> tuple[str, str]:
    """Baseline: the newest base-model evaluation (else the oldest run); candidate: the newest other run over
    as many tasks (a method's own evaluation, e.g. a classifier head's, covers other tasks), else the newest."""
    ids = evals["run_id"].tolist()
    base = [r for r, s in zip(ids, evals["stage"], strict=True) if s == "base"]
    b = base[0] if base else ids[-1]
    n_tasks = dict(zip(ids, evals["n_tasks"], strict=True)) if "n_tasks" in evals else {}
    alike = [r for r in ids if r != b and n_tasks.get(r) == n_tasks.get(b)]
    return b, alike[0] if alike else next(r for r in ids if r != b)


def regression_default(domain: str | None, suites: list[str]) -> list[str]:
    wanted = ["general"]
    if domain:
        try:
            from harness.domains import load_domain

            wanted = load_domain(domain).manifest.regression_suites
        except Exception:  # the manifest only supplies a default here; a store may outlive its domain folder
            pass
    return [s for s in wanted if s in suites]
