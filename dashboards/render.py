"""Cheap rendering for every rerun: charts cached as Vega-Lite specs, tables without a pandas Styler.

Building an Altair chart and turning it into Vega-Lite (deep copies of the schema objects plus a JSON-schema
validation) took 0.1-0.3 s per chart on every rerun, more than the page's cached queries; the Styler that hid a
table's index took ~0.08 s per table. Here a chart is built once per set of inputs (st.cache_data hashes the
frames) and replayed as its spec, and a table hides its index with st.table's own flag."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import streamlit as st

_ALTAIR_GLOBALS = threading.Lock()  # altair's theme and data-transformer switches are process-wide


@st.cache_data(show_spinner=False, max_entries=512)
def chart_spec(builder: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The Vega-Lite spec of `dashboards.charts.<builder>(*args, **kwargs)` (or `rl_view.<builder>` when the
    name starts with "rl_view."), without Altair's default theme (its fixed 300 px views) and without the
    5,000-row limit; data inline. Validation is skipped: the builders are fixed code, checked by the tests."""
    import altair as alt

    from dashboards import charts, rl_view

    module = rl_view if builder.startswith("rl_view.") else charts
    chart = getattr(module, builder.removeprefix("rl_view."))(*args, **kwargs)
    with _ALTAIR_GLOBALS, alt.theme.enable("none"), alt.data_transformers.enable("default", max_rows=None):
        return chart.to_dict(validate=False)


def chart(target: Any, builder: str, *args: Any, key: str, width: str = "stretch", **kwargs: Any) -> None:
    """Show a chart from dashboards/charts.py on `target` (st, a column, a tab)."""
    target.vega_lite_chart(spec=chart_spec(builder, args, kwargs), key=key, width=width)


def table(target: Any, frame: pd.DataFrame) -> None:
    """A static HTML table (wraps instead of scrolling, so no cell is cut at 1280 px), without the index."""
    target.table(frame, hide_index=True)


def paged_table(target: Any, frame: pd.DataFrame, key: str, page_size: int = 50) -> None:
    """A long list as HTML tables of `page_size` rows (every column readable at 1280 px, where a scrolled grid
    cut its key columns), with a page picker only when there is more than one page."""
    pages = max(1, -(-len(frame) // page_size))
    page = 1
    if pages > 1:
        if st.session_state.get(key, 1) > pages:
            st.session_state[key] = 1
        page = int(target.number_input(f"Page (of {pages}, {page_size} rows each)", min_value=1, max_value=pages,
                                       step=1, key=key))
    start = (page - 1) * page_size
    table(target, frame.iloc[start: start + page_size])
    if pages > 1:
        target.caption(f"rows {start + 1}–{min(len(frame), start + page_size)} of {len(frame)}")
