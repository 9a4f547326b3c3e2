"""`clean_records`: the record-level cleaning pipeline prep runs between load and split.

Order is quality -> PII -> dedup -> decontam: repair/drop broken text first so later steps see clean
strings; mask PII before dedup so rows differing only in a name or e-mail collapse into one; decontaminate
last, on exactly the rows that will be trained on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from harness.cleaning.config import CleaningConfig
from harness.cleaning.decontam import EvalIndex, EvalTexts, decontaminate
from harness.cleaning.dedup import dedup_records
from harness.cleaning.fields import check_kind
from harness.cleaning.pii import mask_records
from harness.cleaning.quality import quality_filter
from harness.errors import HarnessError


def clean_records(records: Sequence[dict[str, Any]], kind: str, cfg: CleaningConfig | None = None,
                  eval_texts: EvalTexts | EvalIndex | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run every enabled step; returns (kept records, report). Input records are never mutated.

    `eval_texts`: {source name: [eval item text, ...]} (or a flat list, or a prebuilt EvalIndex to share
    across datasets). Report keys: rows_in, rows_out, dropped_by_reason, fixed, pii_counts_by_type,
    pii_rows, dedup{exact, near}, contamination{...}, seconds{step: s}, config_key.
    """
    check_kind(kind)
    cfg = cfg or CleaningConfig()
    rows = list(records)
    report: dict[str, Any] = {"kind": kind, "rows_in": len(rows), "rows_out": len(rows), "dropped_by_reason": {},
                              "fixed": {}, "pii_mode": cfg.pii.mode if cfg.pii.enabled else "off",
                              "pii_counts_by_type": {}, "pii_rows": 0, "dedup": {"exact": 0, "near": 0},
                              "contamination": {}, "seconds": {}, "config_key": cfg.cache_key()}
    if not cfg.enabled:
        return rows, report

    t = time.perf_counter()
    rows, q = quality_filter(rows, kind, cfg.quality)
    report["seconds"]["quality"] = round(time.perf_counter() - t, 3)
    report["dropped_by_reason"].update(q["dropped_by_reason"])
    report["fixed"] = q["fixed"]
    if report["rows_in"] and not rows and q["dropped_by_reason"].get("malformed") == report["rows_in"]:
        raise HarnessError(f"none of the {report['rows_in']} rows has the fields of kind '{kind}'",
                           "check the dataset's `kind` and `columns` mapping in the domain manifest")

    t = time.perf_counter()
    rows, p = mask_records(rows, kind, cfg.pii)
    report["seconds"]["pii"] = round(time.perf_counter() - t, 3)
    report["pii_counts_by_type"] = p["counts_by_type"]
    report["pii_rows"] = p["rows_with_pii"]

    t = time.perf_counter()
    rows, d = dedup_records(rows, kind, cfg.dedup)
    report["seconds"]["dedup"] = round(time.perf_counter() - t, 3)
    report["dedup"] = {"exact": d["exact"], "near": d["near"], "examples": d["examples"]}
    report["dropped_by_reason"]["exact_duplicate"] = d["exact"]
    report["dropped_by_reason"]["near_duplicate"] = d["near"]

    t = time.perf_counter()
    rows, c = decontaminate(rows, kind, eval_texts, cfg.decontam)
    report["seconds"]["decontam"] = round(time.perf_counter() - t, 3)
    report["contamination"] = c
    report["dropped_by_reason"]["contaminated"] = c["rows_dropped"]

    report["rows_out"] = len(rows)
    return rows, report
