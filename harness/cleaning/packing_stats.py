"""How much of a training batch is padding, with and without packing (pure functions on token lengths).

The caller tokenizes; these functions only count. They answer "is packing worth it for this dataset and
max_length?" before any GPU time is spent: pad-to-max wastes `max_length - len` per row, pad-to-longest
wastes the gap to the longest row of each batch, and packing into max_length blocks wastes only the
unfilled tail of each block.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from harness.errors import HarnessError


def _check(lengths: Sequence[int], max_length: int) -> None:
    if max_length < 1:
        raise HarnessError(f"max_length must be >= 1 (got {max_length})", "set a positive max_length")
    if any(n < 0 for n in lengths):
        raise HarnessError("token lengths must be >= 0", "pass the tokenized length of each row")


def _summary(real: int, slots: int) -> dict[str, Any]:
    pad = slots - real
    return {"token_slots": slots, "padding_tokens": pad, "padding_fraction": round(pad / slots, 4) if slots else 0.0}


def pack_greedy(lengths: Sequence[int], max_length: int) -> list[list[int]]:
    """Best-fit-decreasing packing of (truncated) rows into blocks of max_length; returns row indices
    per block. Longest rows first, each into the fullest block that still fits it."""
    _check(lengths, max_length)
    order = sorted(range(len(lengths)), key=lambda i: -min(lengths[i], max_length))
    blocks: list[list[int]] = []
    free: list[tuple[int, int]] = []  # sorted (remaining capacity, block id)
    for i in order:
        n = min(lengths[i], max_length)
        pos = bisect.bisect_left(free, (n, -1))
        if pos < len(free):
            cap, b = free.pop(pos)
            blocks[b].append(i)
            bisect.insort(free, (cap - n, b))
        else:
            blocks.append([i])
            bisect.insort(free, (max_length - n, len(blocks) - 1))
    return blocks


def padding_stats(lengths: Sequence[int], max_length: int, batch_size: int = 8,
                  sort_by_length: bool = False) -> dict[str, Any]:
    """Token accounting for three layouts. Rows longer than max_length are truncated first (counted).

    - pad_to_max: every row padded to max_length.
    - pad_to_longest: batches of `batch_size` in the given order (or length-sorted), padded to their longest row.
    - packed: best-fit-decreasing packing into max_length blocks (no cross-row padding inside a block).
    """
    _check(lengths, max_length)
    if batch_size < 1:
        raise HarnessError(f"batch_size must be >= 1 (got {batch_size})", "set a positive batch_size")
    clipped = [min(n, max_length) for n in lengths]
    real = sum(clipped)
    rows = len(clipped)
    seq = sorted(clipped) if sort_by_length else clipped
    longest_slots = sum(max(seq[i:i + batch_size]) * len(seq[i:i + batch_size]) for i in range(0, rows, batch_size))
    blocks = pack_greedy(clipped, max_length)
    return {
        "rows": rows,
        "max_length": max_length,
        "batch_size": batch_size,
        "tokens": real,
        "truncated_rows": sum(n > max_length for n in lengths),
        "truncated_tokens": sum(max(0, n - max_length) for n in lengths),
        "pad_to_max": _summary(real, rows * max_length),
        "pad_to_longest": {**_summary(real, longest_slots), "sorted_by_length": sort_by_length},
        "packed": {**_summary(real, len(blocks) * max_length), "blocks": len(blocks),
                   "lower_bound_blocks": math.ceil(real / max_length) if real else 0},
    }


def length_histogram(lengths: Sequence[int], bins: int | Sequence[int] = 10,
                     max_length: int | None = None) -> list[dict[str, int]]:
    """Counts per [lo, hi) bin. `bins` = number of equal-width bins over [0, max(max_length, longest)]
    or explicit ascending edges; the last bin is closed so the longest row is counted."""
    if not lengths:
        return []
    top = max(max(lengths), max_length or 0)
    if isinstance(bins, int):
        if bins < 1:
            raise HarnessError(f"bins must be >= 1 (got {bins})", "pass a positive number of bins or explicit edges")
        width = max(1, math.ceil((top + 1) / bins))
        edges = [i * width for i in range(bins + 1)]
    else:
        edges = list(bins)
        if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise HarnessError("histogram edges must be ascending with at least two values", "pass e.g. [0, 128, 512]")
    counts = [0] * (len(edges) - 1)
    for n in lengths:
        if n < edges[0] or n > edges[-1]:
            continue
        i = min(bisect.bisect_right(edges, n) - 1, len(counts) - 1)
        counts[i] += 1
    return [{"lo": edges[i], "hi": edges[i + 1], "count": c} for i, c in enumerate(counts)]
