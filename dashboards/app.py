"""Dashboard entry point: `streamlit run dashboards/app.py -- --db PATH` (or `harness dashboard --db PATH`).

Read-only over the DuckDB store, except the labelling page (human_labels rows); the store path comes from
--db, else env HARNESS_DB."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # streamlit puts only this folder on sys.path; pages import `dashboards.*`
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import queries as q  # noqa: E402
from dashboards.common import db_path  # noqa: E402

st.set_page_config(page_title="harness · results", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("views/runs.py", title="Runs", icon=":material/list_alt:", default=True),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/training.py", title="Training", icon=":material/show_chart:"),
    st.Page("views/regression.py", title="Regression over time", icon=":material/timeline:"),
    st.Page("views/gates.py", title="Gates", icon=":material/rule:"),
    st.Page("views/sweeps.py", title="Sweeps", icon=":material/tune:"),
    st.Page("views/labelling.py", title="Label replies", icon=":material/thumbs_up_down:"),
]
page = st.navigation(PAGES)

with st.sidebar:
    # Tables wrap long ids (rule names, run ids, paths) inside their cell instead of scrolling sideways at 1280 px.
    st.markdown("<style>[data-testid='stTable'] td *, [data-testid='stTable'] th * {overflow-wrap: anywhere}"
                "</style>", unsafe_allow_html=True)
    path = db_path()
    st.caption(f"store (read-only): `{path}`")
    if path.exists():
        try:
            version = q.store_version(path)
            if q.has_schema(str(path), version):
                q.prewarm(str(path), version)  # Compare's default comparison, in the background
                c = q.counts(str(path), version)
                st.caption(f"{c['runs']} runs · {c['evals']} evals · {c['gates']} gates")
        except Exception as exc:  # the sidebar must never take the page down
            st.caption(f"store not readable right now ({type(exc).__name__})")
    if st.button("Reload from store", key="reload", help="Cached reads refresh by themselves when the file "
                 "changes; this forces it."):
        st.cache_data.clear()

page.run()
