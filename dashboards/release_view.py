"""The release history of a domain (harness release), shown on the regression page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import render
from harness.store import Store


def show_releases(db_path: str, domain: str) -> None:
    store = Store(db_path, read_only=True)
    if not store.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'releases'"):
        return
    from harness.loops.release import release_history

    rows = release_history(store, domain)
    st.subheader("Releases")
    if not rows:
        st.caption(f"No `harness release {domain} --data NEW` yet.")
        return
    render.table(st, pd.DataFrame({
        "version": [f"v{r['version']}" if r["released"] else "rejected" for r in rows],
        "created (UTC)": [str(r["created_at"])[:16] for r in rows],
        "outcome": [r["outcome"] for r in rows],
        "gate vs last release": [r["last_status"] or ("—" if r["gate_vs_last"] is None else "?") for r in rows],
        "gate vs base": [r["base_status"] or "?" for r in rows],
        "data": [r["data_name"] or "—" for r in rows], "replay": [r["replay"] for r in rows],
        "model": [r["model_id"] for r in rows], "eval run": [r["eval_run_id"] for r in rows],
    }))
    st.caption("A candidate becomes a release only when both gates PASS; rejected candidates are kept here and "
               "never become the parent of the next release.")
