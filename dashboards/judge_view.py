"""RLAIF labelling runs (`harness label --judge`), shown on the labelling page: per run the judge, pairs, ties,
position bias and Cohen's kappa against the existing labels with its n and 95% CI; per pair the judge's two
order probabilities and confidence. Read-only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from harness.store import Store


def _ci(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None or pd.isna(low) or pd.isna(high) else f"[{low:.2f}, {high:.2f}]"


def show_judge_runs(db_path: str) -> None:
    store = Store(db_path, read_only=True)
    if not store.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'judge_runs'"):
        return
    rows = store.query("SELECT j.*, r.status FROM judge_runs j JOIN runs r USING (run_id) ORDER BY j.created_at DESC")
    if not rows:
        return
    with st.expander(f"AI judge runs (`harness label --judge`): {len(rows)}", expanded=False):
        st.table(pd.DataFrame({
            "run": [r["run_id"] for r in rows], "judge": [r["judge_ref"] for r in rows],
            "pairs (both orders)": [r["n_pairs"] for r in rows], "ties kept out": [r["n_ties"] for r in rows],
            "written": [r["n_written"] for r in rows],
            "position bias": [f"{r['position_bias']:+.3f}" for r in rows],
            "kappa vs labels [95% CI] (n)": [
                "—" if r["kappa"] is None else
                f"{r['kappa']:.2f} {_ci(r['kappa_ci_low'], r['kappa_ci_high'])} (n={r['kappa_n']})" for r in rows],
            "dataset": [r["out_path"] for r in rows],
        }).style.hide(axis="index"))
        run = st.selectbox("Pairs of run", [r["run_id"] for r in rows], key="judge_run")
        pairs = store.query("SELECT pair_index, prompt, reply_x, reply_y, p_order_1, p_order_2, confidence, winner,"
                            " existing_label, label_agrees FROM judge_labels WHERE run_id = ? ORDER BY pair_index",
                            [run])
        st.dataframe(pd.DataFrame(pairs), hide_index=True)
        st.caption("p_order_1 = P(A) with reply x first, p_order_2 = P(A) with reply y first; a pair whose two orders "
                   "disagree is a tie (position bias) and is not in the dataset.")
