"""Training: train vs validation loss per stage (overlaid or one by one), smoothing, learning rate on a second
axis, the step of minimum validation loss, an overfitting flag, what each loss measures, and where early
stopping ended a run (its `early_stop` train_logs row: stopping step and reason). Online RL runs (GRPO, RLOO) add
their reward, KL and reply-length curves and the held-out reward test (dashboards/rl_view.py)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboards import queries as q
from dashboards import render, rl_view
from dashboards.analysis import LOSS_KINDS, loss_kind, overfitting_report, training_status
from dashboards.common import fmt, fmt_signed, from_url, guard, open_db, require, to_url

ALL = "(all domains)"
LOSS_SHORT = {"lm": "LM, nats/token", "dpo": "DPO, nats/pair", "other": "as logged"}  # captions say more


def early_stop(logs: pd.DataFrame) -> dict | None:
    """The run's early-stopping record (written by harness/recipes/callbacks.py), or None."""
    rows = logs.loc[logs["split"] == "early_stop"]
    if rows.empty:
        return None
    raw = rows.iloc[-1]["metrics_json"]
    data = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    return {"step": int(rows.iloc[-1]["step"]), **{k: v for k, v in data.items() if k != "step"}}

st.title("Training")
db = open_db()
with guard():
    domains = q.domains(db.path, db.version)
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    from_url("train_domain", "domain", [*domains, ALL], (domains or [ALL])[0])
    domain = c1.selectbox("Domain", [*domains, ALL], key="train_domain")
    from_url("train_k", "k", list(range(2, 21)), 3, cast=int)
    k = c2.number_input("Overfitting window k (evaluations)", min_value=2, max_value=20, key="train_k",
                        help="Flag when, over the last k validation evaluations, validation loss rose while "
                        "the (smoothed) train loss fell.")
    from_url("train_smooth", "smooth", list(range(1, 51)), 1, cast=int)
    smooth = c3.number_input("Smooth train loss (logs)", min_value=1, max_value=50, key="train_smooth",
                             help="Trailing mean over this many train-loss logs (1 = raw). Validation points are "
                             "never smoothed.")
    from_url("train_lr", "lr", [True, False], True, cast=lambda v: v in ("1", "true", "True"))
    show_lr = c4.toggle("Learning rate (2nd axis)", key="train_lr")
    runs = q.train_runs(db.path, db.version, None if domain == ALL else domain)
    require(not runs.empty, "No train run with a loss curve in the store yet. Run `harness train` or `harness demo`.")

    latest = runs.sort_values("started_at", ascending=False).drop_duplicates(["domain", "stage"])
    default = latest.sort_values("started_at")["run_id"].tolist()  # pipeline order: stages run as the manifest lists
    labels = {r["run_id"]: f"{r['stage'] or '?'} · {r['run_id']} · {r['started_at']:%Y-%m-%d %H:%M} · "
              f"{r['status']} · {r['domain'] or '—'}" for r in runs.to_dict("records")}
    ids = runs["run_id"].tolist()
    from_url("train_runs", "run", ids, default, many=True)
    chosen = st.multiselect("Train runs (default: the latest run of each stage)", ids, format_func=labels.get,
                            key="train_runs")
    to_url(domain=domain, k=int(k), smooth=int(smooth), lr="1" if show_lr else "0", run=chosen)
    require(bool(chosen), "Pick at least one train run.")

    meta = runs.set_index("run_id")
    reports = {}
    for run_id in chosen:
        logs = q.train_logs(db.path, db.version, run_id)
        reports[run_id] = (logs, overfitting_report(logs.loc[logs["split"] == "train"].to_dict("records"),
                                                    logs.loc[logs["split"] == "validation"].to_dict("records"),
                                                    k=int(k)))
    kinds = {r: loss_kind(meta.at[r, "method"], meta.at[r, "stage"]) for r in chosen}
    status = {r: training_status(rep, int(k)) for r, (_, rep) in reports.items()}
    state_text = {"none": "no validation", "few": "not enough points", "overfitting": "YES", "undertrained":
                  "no (still falling: undertrained?)", "ok": "no"}
    def _step(v: object) -> str:
        return "—" if v is None else str(v)

    render.table(st, pd.DataFrame([{  # HTML, 11 columns: every one visible at 1280 px
        "stage": meta.at[r, "stage"] or "—", "loss": LOSS_SHORT[kinds[r]],
        "overfitting": "YES" if rep["overfitting"] else "no", "state": state_text[status[r][0]],
        "min val loss": fmt(rep["min_val_loss"], 4), "min val step": _step(rep["min_val_step"]),
        "last val loss @ step": "—" if rep["last_val_loss"] is None
        else f"{fmt(rep['last_val_loss'], 4)} @ {rep['last_val_step']}",
        "Δ val / Δ train over window": "—" if rep["val_change"] is None
        else f"{fmt_signed(rep['val_change'], 4)} / {fmt_signed(rep['train_change'], 4)}",
        "validation points": str(rep["n_val"]),
        "early stop": "—" if (stop := early_stop(logs)) is None else f"step {stop['step']}", "run": r,
    } for r, (logs, rep) in reports.items()]))
    st.caption("Validation loss is the mean over the stage's validation split (its size is in the prep report); "
               "the store keeps no per-item losses, so no interval is drawn around it.")

    st.subheader("Stages overlaid")
    alone = []  # a loss kind with one run: its overlay would repeat that run's own chart below
    for kind in dict.fromkeys(kinds.values()):
        of_kind = [r for r in chosen if kinds[r] == kind and not reports[r][0].empty]
        if len(of_kind) == 1:
            alone.append(f"{LOSS_SHORT[kind]} ({meta.at[of_kind[0], 'stage'] or '?'})")
        if len(of_kind) < 2:
            continue
        frames = [reports[r][0].loc[lambda f: f["split"].isin(["train", "validation"])]
                  .assign(label=f"{meta.at[r, 'stage'] or '?'} · {r[-6:]}") for r in of_kind]
        render.chart(st, "overlay_chart", pd.concat(frames), smooth=int(smooth), y_title=LOSS_KINDS[kind][0],
                     key=f"overlay_{kind}")
        st.caption(LOSS_KINDS[kind][1] + " Solid = train (smoothed as set above), dashed with points = validation.")
    if alone:  # each chart costs the browser ~0.1 s to draw; a one-run overlay only repeated the run's chart
        st.caption(f"One run only, so no overlay (its chart is below): {'; '.join(alone)}.")

    for run_id, (logs, rep) in reports.items():
        stage = meta.at[run_id, "stage"] or "?"
        kind = kinds[run_id]
        st.subheader(f"{stage} · {run_id}")
        if logs.empty:
            st.info("This run logged no loss.")
            continue
        curves = logs.loc[logs["split"].isin(["train", "validation"])]
        render.chart(st, "loss_chart", curves, rep, title=f"{stage}: train vs validation loss", smooth=int(smooth),
                     y_title=LOSS_KINDS[kind][0], show_lr=show_lr, key=f"loss_{run_id}")
        st.caption(LOSS_KINDS[kind][1])
        # GRPO / RLOO: reward, KL and reply length per step; the held-out reward test
        rl_view.render(st, logs, stage, run_id, q.run(db.path, db.version, run_id))
        if (stop := early_stop(logs)) is not None:
            st.info(f"Early stopping ended {stage} at step {stop['step']}: {stop.get('reason', '')}.")
        state, text = status[run_id]
        if state == "overfitting":
            st.warning(f"Overfitting in {stage}: {rep['reason']}.")
        elif state == "undertrained":
            st.warning(f"{stage}: {text}")
        elif state == "ok":
            st.success(f"{stage}: {text}")
        else:
            st.info(f"{stage}: {text}")
