"""Human labelling: a prompt and two models' replies side by side (order random, models hidden); the person
picks the better one or a tie. The only page that writes: each judgement is one `human_labels` row through the
store's writer (harness.store.feedback); `harness labels export` makes them a preference dataset. Above it, the
AI judge's labelling runs (`harness label --judge`, dashboards/judge_view.py), read-only."""

from __future__ import annotations

import uuid

import streamlit as st

from dashboards.common import guard, open_db, require
from dashboards.judge_view import show_judge_runs
from harness.loops import labels
from harness.store import Store
from harness.store.feedback import add_human_label

st.title("Label replies")
db = open_db()
with guard():
    show_judge_runs(db.path)
    reader = Store(db.path, read_only=True)
    require(bool(reader.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'human_labels'")),
            "This store predates human labels (schema v3): open it once with `harness runs --db PATH` to migrate.")
    runs = labels.generation_runs(reader)
    require(len(runs) >= 2, "Labelling needs two evaluations with generated replies on the same items (a "
            "generation task such as support_chat_reply): run `harness eval` for two models first.")
    names = {r["run_id"]: f"{r['stage'] or r['model_id']} · {r['run_id']} ({r['n_items']} items)" for r in runs}
    ids = list(names)
    c1, c2 = st.columns(2)
    run_a = c1.selectbox("Model A run", ids, index=0, format_func=names.get, key="label_run_a")
    run_b = c2.selectbox("Model B run", ids, index=1, format_func=names.get, key="label_run_b")
    require(run_a != run_b, "Pick two different evaluation runs.")
    pairs = labels.candidate_pairs(reader, run_a, run_b)
    todo = labels.unlabelled(reader, pairs)
    n_done = reader.query("SELECT count(*) AS n FROM human_labels")[0]["n"]
    st.caption(f"{len(pairs)} items where the two replies differ · {len(pairs) - len(todo)} of them labelled · "
               f"{n_done} labels in the store. Export: `harness labels export --out pairs.jsonl`.")
    require(bool(todo), "Every differing pair of these two runs is labelled.")
    salt = st.session_state.setdefault("label_salt", uuid.uuid4().hex)
    pair = todo[0]
    a_left = labels.left_is_a(pair, salt)
    left, right = ("a", "b") if a_left else ("b", "a")
    st.markdown(f"**Task** `{pair['task']}` · item {pair['doc_id']}")
    user, system = labels.split_chat_prompt(pair["prompt"])
    st.markdown("**Prompt**")
    if system:
        st.caption(f"system: {system}")
    st.code(user, language=None, wrap_lines=True)
    col_l, col_r = st.columns(2)
    with col_l:
        st.markdown("**Reply 1**")
        st.code(pair[f"reply_{left}"].strip() or "(empty)", language=None, wrap_lines=True)
    with col_r:
        st.markdown("**Reply 2**")
        st.code(pair[f"reply_{right}"].strip() or "(empty)", language=None, wrap_lines=True)

    def record(choice: str) -> None:
        add_human_label(Store(db.path), {
            "task": pair["task"], "doc_hash": pair["doc_hash"], "prompt": pair["prompt"],
            "model_a": pair["model_a"], "model_b": pair["model_b"], "reply_a": pair["reply_a"],
            "reply_b": pair["reply_b"], "left_model": pair[f"model_{left}"], "choice": choice,
            "labeller": st.session_state.get("labeller") or None})
        st.cache_data.clear()

    b1, b2, b3 = st.columns(3)
    if b1.button("Reply 1 is better", key="pick_left", use_container_width=True):
        record(left)
        st.rerun()
    if b2.button("Tie", key="pick_tie", use_container_width=True):
        record("tie")
        st.rerun()
    if b3.button("Reply 2 is better", key="pick_right", use_container_width=True):
        record(right)
        st.rerun()
    st.text_input("Your name (optional, stored with each label)", key="labeller")
