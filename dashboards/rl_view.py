"""Online RL curves on the training page: per step, the reward the policy's samples earned (mean ± std across the
step's samples, n = completions per step), the KL to the reference, and the generated reply lengths, as TRL's
GRPO / RLOO trainers logged them into train_logs.metrics_json; and the held-out check (split `held_out_reward`:
parent vs policy on the same validation prompts, paired test)."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd

REWARD_KEYS = ("reward", "reward_std", "kl", "completions/mean_length", "completions/min_length",
               "completions/max_length", "completions/clipped_ratio")


def _metrics(raw: Any) -> dict[str, Any]:
    """A train_logs row's metrics_json (JSON text, a dict, or a missing value, which pandas shows as NaN). Rows
    copied from a reused stage hold the JSON text encoded once more (a JSON string of the object): decoded until
    an object comes out; anything else is no metrics (a string never answers `"reward" in m`)."""
    for _ in range(3):
        if not isinstance(raw, str):
            break
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return dict(raw) if isinstance(raw, dict) else {}


def rl_curves(logs: pd.DataFrame) -> pd.DataFrame | None:
    """step + the RL figures of each train log (None when the run logged no reward: not an online RL run)."""
    train = logs.loc[logs["split"] == "train"]
    rows = [{"step": int(r["step"]), **{k: m.get(k) for k in REWARD_KEYS}}
            for r in train.to_dict("records") if "reward" in (m := _metrics(r["metrics_json"]))]
    return pd.DataFrame(rows) if rows else None


def held_out(logs: pd.DataFrame) -> dict[str, Any] | None:
    rows = logs.loc[logs["split"] == "held_out_reward"]
    return None if rows.empty else _metrics(rows.iloc[-1]["metrics_json"])


def rl_chart(curves: pd.DataFrame, per_step: int | None) -> alt.VConcatChart:
    """Reward (band = ± one std across the step's samples), KL and mean reply length against the step."""
    data = curves.assign(low=curves["reward"] - curves["reward_std"].fillna(0),
                         high=curves["reward"] + curves["reward_std"].fillna(0))
    n = f" (n = {per_step} samples per step)" if per_step else ""
    base = alt.Chart(data).encode(x=alt.X("step:Q", title="step"))
    reward = alt.layer(
        base.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title=f"reward{n}"), y2="high:Q"),
        base.mark_line(point=True).encode(y="reward:Q", tooltip=["step:Q", alt.Tooltip("reward:Q", format=".3f"),
                                                                  alt.Tooltip("reward_std:Q", format=".3f")]),
    ).properties(height=200, title="reward of the sampled replies (mean ± std)")
    kl = base.mark_line(point=True, color="#d62728").encode(
        y=alt.Y("kl:Q", title="KL to reference"), tooltip=["step:Q", alt.Tooltip("kl:Q", format=".4f")]
    ).properties(height=140, title="KL to the reference model")
    length = base.mark_line(point=True, color="#2ca02c").encode(
        y=alt.Y("completions/mean_length:Q", title="tokens"),
        tooltip=["step:Q", alt.Tooltip("completions/mean_length:Q", format=".1f")]
    ).properties(height=140, title="mean generated length")
    parts = [reward] + ([kl] if curves["kl"].notna().any() else []) + [length]
    return alt.vconcat(*parts)


def held_out_sentence(check: dict[str, Any]) -> str:
    lo, hi = check.get("ci95") or (float("nan"), float("nan"))
    return (f"Held-out reward (greedy replies to n={check['n']} validation prompts, same reward model): parent "
            f"{check['before']:.3f} → policy {check['after']:.3f}, Δ {check['delta']:+.3f} (95% CI {lo:+.3f} to "
            f"{hi:+.3f}); paired t-test p={check['p_ttest']:.2g}, Wilcoxon p={check['p_wilcoxon']:.2g}; "
            f"{check['improved']} prompts up, {check['worse']} down.")


def samples_per_step(run: dict[str, Any] | None) -> int | None:
    """Completions scored per optimizer step, from the train run's stage config."""
    cfg = ((run or {}).get("config_json") or {}).get("config") or {}
    if "per_device_batch_size" not in cfg:
        return None
    return int(cfg["per_device_batch_size"]) * int(cfg.get("gradient_accumulation") or 1)


def render(st: Any, logs: pd.DataFrame, stage: str, key: str, run: dict[str, Any] | None = None) -> None:
    """The RL block of one run (nothing for runs that are not online RL)."""
    from dashboards.render import chart  # cached spec: rebuilt only when the curves change

    per_step = samples_per_step(run)
    curves = rl_curves(logs)
    check = held_out(logs)
    if curves is None and check is None:
        return
    if curves is not None:
        chart(st, "rl_view.rl_chart", curves, per_step, key=f"rl_{key}")
    if check is not None:
        st.info(f"{stage}: {held_out_sentence(check)}")
