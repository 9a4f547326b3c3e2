"""Item pairing on integer codes: the (task, metric, filter) groups and doc hashes of both sides are coded once,
then each side is ordered, numbered by occurrence and matched with numpy instead of pandas sorts and merges on
strings (which were most of `compare`'s alignment time at 100 k items, benchmarks/bench_store.py). The result
is the one align.align_samples always defined: the same pairs, in the same order (tests/test_compare_pairing.py
checks it against the plain pandas definition)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

GROUP_COLS = ("task", "metric", "filter")


@dataclass
class Side:
    """One side's rows in pairing order (group, doc_id, doc_hash, original position), as codes."""

    frame: pd.DataFrame  # the rows as given
    order: np.ndarray  # frame positions in pairing order
    group: np.ndarray  # group code per row in pairing order (codes sort as the (task, metric, filter) tuples)
    doc: np.ndarray  # doc_hash code, shared by both sides (codes sort as the hashes do)
    occurrence: np.ndarray  # 0 for a document's first row in its group (by doc_id order), 1 for its repeat, ...

    def rows(self, group: int) -> slice:
        lo, hi = np.searchsorted(self.group, [group, group + 1])
        return slice(int(lo), int(hi))


def _sort_key(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(missing flag, dense rank) of a column, so that lexsort orders it as sort_values(na_position='last')."""
    rank = values.rank(method="dense", na_option="keep").to_numpy(dtype=float)
    missing = np.isnan(rank)
    return missing, np.where(missing, 0.0, rank)


def sides(baseline: pd.DataFrame, candidate: pd.DataFrame) -> tuple[Side, Side, list[tuple[str, str, str]]]:
    """Both sides coded and ordered for pairing, and the groups (sorted tuples) the codes stand for."""
    n_b = len(baseline)
    keys = pd.DataFrame({c: pd.concat([baseline[c], candidate[c]], ignore_index=True) for c in GROUP_COLS})
    keys["filter"] = keys["filter"].fillna("none")
    grouped = keys.groupby(list(GROUP_COLS), sort=True, dropna=False)
    group = grouped.ngroup().to_numpy(dtype=np.int64)
    names = [tuple(k) for k in grouped.size().index.tolist()]
    hashes = pd.concat([baseline["doc_hash"], candidate["doc_hash"]], ignore_index=True)
    doc, _ = pd.factorize(hashes, sort=True, use_na_sentinel=False)
    doc = np.where(hashes.isna().to_numpy(), doc.max(initial=-1) + 1, doc).astype(np.int64)  # NULL hash last
    out = []
    for frame, g, d in ((baseline, group[:n_b], doc[:n_b]), (candidate, group[n_b:], doc[n_b:])):
        missing, rank = _sort_key(frame["doc_id"].reset_index(drop=True))
        order = np.lexsort((np.arange(len(frame)), d, rank, missing, g))
        g, d = g[order], d[order]
        # rows of one (group, document) are adjacent only after sorting by document, so number them there
        by_doc = np.lexsort((np.arange(len(order)), d, g))
        gd, dd = g[by_doc], d[by_doc]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (gd[1:] != gd[:-1]) | (dd[1:] != dd[:-1])
        idx = np.arange(len(order))
        occ_by_doc = idx - np.maximum.accumulate(np.where(first, idx, 0))
        occurrence = np.empty(len(order), dtype=np.int64)
        occurrence[by_doc] = occ_by_doc
        out.append(Side(frame, order, g, d, occurrence))
    return out[0], out[1], names


def repeats(side: Side, names: list[tuple[str, str, str]]) -> Iterator[tuple[str, int]]:
    """(task, documents repeated in it) for tasks with repeated documents, by task name: a document repeated
    k times counts k - 1 times, once per extra occurrence, across the task's metrics."""
    extra = side.occurrence > 0
    if not extra.any():
        return
    tasks = pd.Series([names[g][0] for g in side.group[extra]])
    rows = pd.DataFrame({"task": tasks, "doc": side.doc[extra], "occ": side.occurrence[extra]}).drop_duplicates()
    yield from ((str(t), int(n)) for t, n in rows.groupby("task").size().items())


def pair(b: Side, c: Side, group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame positions of one group's rows paired on (doc_hash, occurrence) on each side, ordered by doc_hash
    then occurrence, and their doc_hash codes."""
    rb, rc = b.rows(group), c.rows(group)
    width = int(max(b.occurrence[rb].max(initial=0), c.occurrence[rc].max(initial=0))) + 1
    kb = b.doc[rb] * width + b.occurrence[rb]
    kc = c.doc[rc] * width + c.occurrence[rc]
    _, ib, ic = np.intersect1d(kb, kc, assume_unique=True, return_indices=True)
    return b.order[rb][ib], c.order[rc][ic], b.doc[rb][ib]

