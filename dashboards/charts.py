"""Altair charts. Every mark that shows an estimate also shows its interval, and tooltips carry n."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd

VERDICT_COLORS = {"improved": "#1a9850", "regressed": "#d73027", "no significant change": "#8c8c8c",
                  "no data": "#fdae61", "exploratory": "#bdbdbd"}
SPLIT_COLORS = {"train": "#4c78a8", "validation": "#f58518"}
GATE_COLORS = {"passed": "#1a9850", "failed": "#d73027"}
RULE_COLORS = {"pass": "#1a9850", "fail": "#d73027", "inconclusive": "#fdae61"}


def smoothed(logs: pd.DataFrame, window: int) -> pd.DataFrame:
    """Train loss as a trailing mean over `window` logs (1 = raw); validation points are left as they are."""
    data = logs.loc[logs["loss"].notna()].sort_values("step").copy()
    if window > 1:
        train = data["split"] == "train"
        data.loc[train, "loss"] = data.loc[train, "loss"].rolling(window, min_periods=1).mean()
    return data


def loss_chart(logs: pd.DataFrame, report: dict[str, Any], title: str = "", *, smooth: int = 1,
               y_title: str = "loss", show_lr: bool = False) -> alt.LayerChart:
    """Train and validation loss of one run on one chart; a dashed rule at the step of minimum validation
    loss, and the window that raised the overfitting flag shaded red; the learning rate on a second axis."""
    data = smoothed(logs, smooth)[["step", "split", "loss", "epoch", "learning_rate"]]
    color = alt.Color("split:N", title="split", scale=alt.Scale(domain=list(SPLIT_COLORS),
                                                                range=list(SPLIT_COLORS.values())))
    tooltip = [alt.Tooltip("split:N"), alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4f"),
               alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("learning_rate:Q", format=".2e")]
    base = alt.Chart(data)
    lines = base.mark_line(interpolate="linear").encode(
        x=alt.X("step:Q", title="step"), y=alt.Y("loss:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=color, tooltip=tooltip)
    points = base.transform_filter(alt.datum.split == "validation").mark_point(filled=True, size=45).encode(
        x="step:Q", y="loss:Q", color=color, tooltip=tooltip)
    layers: list[alt.Chart] = []
    if report.get("overfitting") and report.get("window"):
        start, end = report["window"]
        layers.append(alt.Chart(pd.DataFrame([{"start": start, "end": end}])).mark_rect(
            color="#d73027", opacity=0.12).encode(x="start:Q", x2="end:Q"))
    layers += [lines, points]
    if report.get("min_val_step") is not None:
        marker = pd.DataFrame([{"step": report["min_val_step"], "loss": report["min_val_loss"],
                                "label": f"min val loss {report['min_val_loss']:.4f} @ step {report['min_val_step']}"}])
        right_half = report["min_val_step"] > (data["step"].min() + data["step"].max()) / 2 if len(data) else False
        mbase = alt.Chart(marker)
        layers += [
            mbase.mark_rule(strokeDash=[5, 4], color="#555").encode(x="step:Q", tooltip=["label:N"]),
            mbase.mark_point(shape="diamond", size=160, filled=True, color="#222").encode(
                x="step:Q", y="loss:Q", tooltip=["label:N"]),
            mbase.mark_text(align="right" if right_half else "left", dx=-8 if right_half else 8, dy=-14,
                            fontSize=11).encode(x="step:Q", y="loss:Q", text="label:N"),
        ]
    chart = alt.layer(*layers)
    lr = logs.loc[logs["learning_rate"].notna() & (logs["split"] == "train"), ["step", "learning_rate"]]
    if show_lr and not lr.empty:
        lr_line = alt.Chart(lr).mark_line(strokeDash=[2, 2], color="#7f7f7f").encode(
            x="step:Q", y=alt.Y("learning_rate:Q", title="learning rate (dotted)", axis=alt.Axis(format=".1e")),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("learning_rate:Q", format=".2e")])
        chart = alt.layer(chart, lr_line).resolve_scale(y="independent")
    return chart.properties(title=title, height=300)


def overlay_chart(logs: pd.DataFrame, *, smooth: int = 1, y_title: str = "loss") -> alt.Chart:
    """Several runs' curves on one chart: colour = run (stage), solid = train (smoothed), points+dashes =
    validation."""
    parts = [smoothed(g, smooth) for _, g in logs.groupby("label", sort=False)]
    cols = ["label", "step", "split", "loss"]
    data = pd.concat(parts)[cols] if parts else logs[cols]
    tooltip = [alt.Tooltip("label:N", title="run"), alt.Tooltip("split:N"), alt.Tooltip("step:Q"),
               alt.Tooltip("loss:Q", format=".4f")]
    color = alt.Color("label:N", title="run", sort=list(dict.fromkeys(logs["label"])))
    base = alt.Chart(data).encode(x=alt.X("step:Q", title="step (of each run)"),
                                  y=alt.Y("loss:Q", title=y_title, scale=alt.Scale(zero=False)),
                                  color=color, tooltip=tooltip)
    train = base.transform_filter(alt.datum.split == "train").mark_line(opacity=0.8)
    val = base.transform_filter(alt.datum.split == "validation").mark_line(strokeDash=[6, 3], point=True)
    return alt.layer(train, val).properties(height=320)


def delta_chart(rows: pd.DataFrame, confidence: float) -> alt.FacetChart:
    """Per-task Δ (candidate − baseline) with its bootstrap CI, colored by verdict; one panel per metric
    because accuracy and bits-per-byte share no scale. A dashed rule marks no difference."""
    data = rows.copy()
    data["label"] = data["task"] + data["higher_is_better"].map({True: "", False: " (↓ better)"})
    color = alt.Color("verdict:N", title="verdict", scale=alt.Scale(domain=list(VERDICT_COLORS),
                                                                    range=list(VERDICT_COLORS.values())))
    tooltip = [alt.Tooltip("task:N"), alt.Tooltip("metric:N"), alt.Tooltip("n:Q"),
               alt.Tooltip("baseline:Q", format=".4f"), alt.Tooltip("candidate:Q", format=".4f"),
               alt.Tooltip("delta:Q", format="+.4f", title="Δ"), alt.Tooltip("ci_low:Q", format="+.4f"),
               alt.Tooltip("ci_high:Q", format="+.4f"), alt.Tooltip("p_adjusted:Q", format=".4f", title="p adj"),
               alt.Tooltip("verdict:N")]
    x_title = f"Δ candidate − baseline ({confidence:.0%} CI)"
    bars = alt.Chart().mark_rule(strokeWidth=3).encode(
        x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q", y=alt.Y("label:N", title=None,
                                                                     axis=alt.Axis(labelLimit=320)),
        color=color, tooltip=tooltip)
    points = alt.Chart().mark_point(filled=True, size=90).encode(
        x="delta:Q", y=alt.Y("label:N", title=None), color=color, tooltip=tooltip)
    zero = alt.Chart().mark_rule(strokeDash=[4, 4], color="#666").encode(x=alt.datum(0))
    return (alt.layer(bars, points, zero, data=data).properties(width=560, height=alt.Step(28))
            .facet(row=alt.Row("metric:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
            .resolve_scale(x="independent", y="independent"))


def regression_chart(series: pd.DataFrame, metric: str, higher_is_better: bool | None) -> alt.LayerChart:
    """A metric over successive eval runs with ≈95% CI bars; gate outcomes on candidate runs as markers."""
    data = series.copy()
    data["release_label"] = [f"#{r} {s or '?'}" for r, s in zip(data["release"], data["stage"], strict=True)]
    data["gate"] = data["gate_passed"].map({True: "passed", False: "failed"})
    order = list(data["release_label"])
    x = alt.X("release_label:N", sort=order, title="eval run (oldest → newest)", axis=alt.Axis(labelAngle=-30))
    direction = "" if higher_is_better is None else (" (higher is better)" if higher_is_better
                                                     else " (lower is better)")
    tooltip = [alt.Tooltip("release:Q", title="#"), alt.Tooltip("run_id:N"), alt.Tooltip("stage:N"),
               alt.Tooltip("model_id:N"), alt.Tooltip("finished_at:T", format="%Y-%m-%d %H:%M"),
               alt.Tooltip("value:Q", format=".4f"), alt.Tooltip("stderr:Q", format=".4f"), alt.Tooltip("n:Q"),
               alt.Tooltip("ci_low:Q", format=".4f"), alt.Tooltip("ci_high:Q", format=".4f"),
               alt.Tooltip("gate:N"), alt.Tooltip("gate_id:N")]
    base = alt.Chart(data)
    y = alt.Y("value:Q", title=metric + direction, scale=alt.Scale(zero=False))
    err = base.mark_rule(strokeWidth=2, color="#4c78a8").encode(x=x, y=alt.Y("ci_low:Q"), y2="ci_high:Q",
                                                                 tooltip=tooltip)
    line = base.mark_line(color="#4c78a8", point=alt.OverlayMarkDef(filled=True, size=60)).encode(
        x=x, y=y, tooltip=tooltip)
    gates = base.transform_filter(alt.datum.gate != None).mark_point(  # noqa: E711 (a Vega expression)
        size=260, strokeWidth=3, filled=False).encode(
        x=x, y=y, tooltip=tooltip,
        shape=alt.Shape("gate:N", title="gate", scale=alt.Scale(domain=list(GATE_COLORS),
                                                                range=["triangle-up", "cross"])),
        color=alt.Color("gate:N", title="gate", scale=alt.Scale(domain=list(GATE_COLORS),
                                                                range=list(GATE_COLORS.values()))))
    return alt.layer(err, line, gates).properties(height=340)


def gate_heatmap(results: pd.DataFrame) -> alt.Chart:
    """Rule × gate grid, oldest gate left: which rules fail, and since when. `detail_json`: dicts or JSON text
    (text keeps the frame hashable for the chart cache)."""
    data = results.copy()
    data["detail_json"] = [json.loads(d) if isinstance(d, str) else d for d in data["detail_json"]]
    data["outcome"] = [d.get("outcome") if isinstance(d, dict) and d.get("outcome") in RULE_COLORS
                       else ("pass" if p else "fail") for p, d in zip(data["passed"], data["detail_json"], strict=True)]
    data["gate"] = [f"{t:%Y-%m-%d %H:%M} · {g[-6:]}" if hasattr(t, "strftime") else str(g)
                    for t, g in zip(data["created_at"], data["gate_id"], strict=True)]
    order = list(dict.fromkeys(data.sort_values("created_at")["gate"]))
    tooltip = [alt.Tooltip("gate_id:N"), alt.Tooltip("rule:N"), alt.Tooltip("outcome:N"),
               alt.Tooltip("observed:Q", format=".4f"), alt.Tooltip("threshold:Q", format=".4f"),
               alt.Tooltip("n:Q"), alt.Tooltip("detail:N")]
    data["detail"] = [str(d.get("detail", ""))[:300] if isinstance(d, dict) else "" for d in data["detail_json"]]
    data = data.drop(columns=["detail_json"])
    return alt.Chart(data).mark_rect(stroke="white", strokeWidth=2).encode(
        x=alt.X("gate:N", sort=order, title="gate (oldest → newest)", axis=alt.Axis(labelAngle=-30, labelLimit=260)),
        y=alt.Y("rule:N", title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("outcome:N", title="rule", scale=alt.Scale(domain=list(RULE_COLORS),
                                                                   range=list(RULE_COLORS.values()))),
        tooltip=tooltip,
    ).properties(height=alt.Step(28), width=alt.Step(90) if len(order) <= 10 else "container")


def many_runs_chart(values: pd.DataFrame, order: list[str]) -> alt.FacetChart:
    """Several runs' primary metric per task, one panel per task (each its own scale), ≈95% CI bars."""
    data = values.copy()
    data["label"] = data["task"] + " · " + data["metric"] + data["higher_is_better"].map(
        {True: "", False: " (↓ better)"}).fillna("")
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("run_id:N"), alt.Tooltip("task:N"), alt.Tooltip("metric:N"),
               alt.Tooltip("value:Q", format=".4f"), alt.Tooltip("ci_low:Q", format=".4f"),
               alt.Tooltip("ci_high:Q", format=".4f"), alt.Tooltip("n:Q")]
    x = alt.X("run:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160))
    err = alt.Chart().mark_rule(strokeWidth=2, color="#4c78a8").encode(x=x, y="ci_low:Q", y2="ci_high:Q",
                                                                        tooltip=tooltip)
    line = alt.Chart().mark_line(color="#4c78a8", point=alt.OverlayMarkDef(filled=True, size=50)).encode(
        x=x, y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)), tooltip=tooltip)
    return (alt.layer(err, line, data=data).properties(width=260, height=160)
            .facet(facet=alt.Facet("label:N", title=None), columns=3)
            .resolve_scale(y="independent"))


def count_bars(counts: dict[str, int], x_title: str, y_title: str) -> alt.Chart:
    """Horizontal bars of named counts (rows dropped by reason, PII values by type), labelled with the count."""
    data = pd.DataFrame({"name": list(counts), "n": list(counts.values())})
    y = alt.Y("name:N", title=y_title, sort="-x", axis=alt.Axis(labelLimit=240))
    bars = alt.Chart(data).mark_bar(color="#4c78a8").encode(x=alt.X("n:Q", title=x_title), y=y,
                                                              tooltip=["name:N", "n:Q"])
    text = alt.Chart(data).mark_text(align="left", dx=3).encode(x="n:Q", y=y, text="n:Q")
    return alt.layer(bars, text).properties(height=alt.Step(22))
